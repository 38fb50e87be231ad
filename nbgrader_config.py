"""nbgrader configuration of the loss_optimization course (the repository root is the course root)."""

from pathlib import Path

from autograder import course

c = get_config()  # noqa: F821 (provided by traitlets when nbgrader loads this file)

COURSE_ROOT = Path(__file__).resolve().parent
ASSIGNMENT = course.ASSIGNMENT

c.CourseDirectory.root = str(COURSE_ROOT)
c.CourseDirectory.course_id = ASSIGNMENT
c.CourseDirectory.source_directory = course.SOURCE_DIR
c.CourseDirectory.release_directory = course.RELEASE_DIR
c.CourseDirectory.db_url = f"sqlite:///{COURSE_ROOT / 'gradebook.db'}"

# Students write these modules: without this, `nbgrader autograde` would replace them with the
# instructor's copies and grade every student on the reference.
c.Autograde.exclude_overwriting = {ASSIGNMENT: list(course.student_files())}

# A hung student cell must not stall a whole grading run.
c.ExecutePreprocessor.timeout = 300

# Feedback is rendered from the autograded notebooks, where the hidden tests were restored: clear them
# again, and keep only the diagnosis of a failed test cell, not its traceback (which quotes test lines).
c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.GetGrades",
    "nbgrader.preprocessors.ClearHiddenTests",
    "autograder.nbgrader_hooks.feedback.HideTestTracebacks",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
]
