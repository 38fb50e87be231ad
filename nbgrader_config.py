"""nbgrader configuration of the loss_optimization course (the repository root is the course root)."""

from pathlib import Path

from autograder import course
from autograder.nbgrader_hooks.console import quiet_nbgrader

c = get_config()  # noqa: F821 (provided by traitlets when nbgrader loads this file)

# nbgrader's lines per file (hundreds for a class) left out, so that its warnings about students are seen.
quiet_nbgrader()

COURSE_ROOT = Path(__file__).resolve().parent
ASSIGNMENT = course.ASSIGNMENT

c.CourseDirectory.root = str(COURSE_ROOT)
c.CourseDirectory.course_id = ASSIGNMENT
c.CourseDirectory.source_directory = course.SOURCE_DIR
c.CourseDirectory.release_directory = course.RELEASE_DIR
c.CourseDirectory.db_url = f"sqlite:///{COURSE_ROOT / 'gradebook.db'}"
# nbgrader's own list (nbgrader/coursedir.py, CourseDirectory.ignore) and the source's developer files: the
# import contracts of solutions/ name the grader and `make test`, nothing a student needs.
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", ".importlinter"]

# Students write these modules: without this, `nbgrader autograde` would replace them with the
# instructor's copies and grade every student on the reference.
c.Autograde.exclude_overwriting = {ASSIGNMENT: list(course.student_files())}

# `nbgrader autograde` runs no student notebook: nbgrader would execute each one in a kernel of the instructor's
# own user, outside every sandbox, where a cell can start a process that rewrites gradebook.db or a classmate's
# files. Here it only sanitizes the notebooks and records their answer cells in the gradebook, for formgrader;
# the code's points are the sandboxed `python -m autograder grade`'s (autograder/nbgrader_hooks/not_executed.py).
# nbgrader's own list (nbgrader/converters/autograde.py, Autograde.autograde_preprocessors) with its Execute
# replaced.
c.Autograde.autograde_preprocessors = [
    "autograder.nbgrader_hooks.not_executed.SandboxScoresTestCells",
    "nbgrader.preprocessors.IgnorePattern",
    "nbconvert.preprocessors.ClearMetadataPreprocessor",
    "nbgrader.preprocessors.LimitOutput",
    "nbgrader.preprocessors.SaveAutoGrades",
    "nbgrader.preprocessors.AssignLatePenalties",
    "nbgrader.preprocessors.CheckCellMetadata",
]

# Should a course run notebooks in a kernel anyway (the list above undone), a hung student cell must not stall a
# whole grading run. The slowest cell of the reference notebooks takes
# about 3 s (04_optimization's training, hidden tests included, on a loaded 2-core machine): 30 s is ten times
# that. A student whose sgd never returns costs 30 s per cell that calls it, not 300 s (28 minutes for one
# student with nbgrader's old limit here).
c.ExecutePreprocessor.timeout = 30

# nbgrader warns "Attribute 'checksum' for cell test_... has changed!" for every test cell with hidden tests
# (jupyter/nbgrader#1961: the gradebook records the cell with them, students get it without): the same
# restoring of the cell, without the false alarm; a cell the student really changed is still reported.
c.Autograde.sanitize_preprocessors = [
    "nbgrader.preprocessors.ClearOutput",
    "nbgrader.preprocessors.DeduplicateIds",
    "nbgrader.preprocessors.OverwriteKernelspec",
    "autograder.nbgrader_hooks.overwrite.OverwriteCellsKnowingHiddenTests",
    "autograder.nbgrader_hooks.sanitize.SanitizeStudentMarkdown",
    "nbgrader.preprocessors.CheckCellMetadata",
]

# `nbgrader zip_collect loss_optimization` reads what is in downloaded/loss_optimization/archive/ (a Moodle,
# Canvas or Blackboard bulk download, or a zip per student) the way `python -m autograder grade` does: zips
# inside zips unpacked, each student known by the LMS's own naming (autograder/intake/layouts.py), the newest
# of several copies collected, and the modules collected with the notebooks (.py among the extensions), each
# where the assignment has it. An instructor's own c.FileNameCollectorPlugin.named_regexp still wins.
c.ZipCollectApp.extractor_plugin = "autograder.intake.zip_collect.LMSExtractor"
c.ZipCollectApp.collector_plugin = "autograder.intake.zip_collect.LMSCollector"
c.FileNameCollectorPlugin.valid_ext = [".ipynb", ".py"]
# A roster maps the LMS's ids to the course's student ids (columns student_id and lms_id):
# c.LMSCollector.roster = "roster.csv"

# Feedback is rendered from the autograded notebooks, where the hidden tests were restored: clear them
# again, and keep only the diagnosis of a failed test cell, not its traceback (which quotes test lines).
# Each page opens with the assignment's total, code and written answers as its parts.
c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.GetGrades",
    "nbgrader.preprocessors.ClearHiddenTests",
    "autograder.nbgrader_hooks.feedback.HideTestTracebacks",
    "autograder.nbgrader_hooks.feedback.AssignmentTotal",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
]

# Student notebooks are rendered as HTML in formgrader (at the Jupyter server's origin, where a script could reach
# its API as the instructor) and in the feedback pages: their outputs are sanitized by nbconvert (its
# HTMLExporter.sanitize_html), their Markdown by autograde (SanitizeStudentMarkdown above: nbgrader's formgrade
# template ignores sanitize_html for Markdown), so a student's <script> or onerror= never runs in a grader's browser.
c.HTMLExporter.sanitize_html = True
