"""The course's nbgrader configuration: autograde runs no notebook, and student HTML is sanitized where it is shown."""

import nbformat
from nbgrader.converters import Autograde
from nbgrader.preprocessors import Execute
from nbgrader.utils import determine_grade
from traitlets.config import PyFileConfigLoader

from autograder import course
from autograder.nbgrader_hooks.not_executed import NOT_RUN, SandboxScoresTestCells


def course_config():
    return PyFileConfigLoader("nbgrader_config.py", path=str(course.COURSE_ROOT)).load_config()


def test_autograde_runs_nbgraders_own_steps_with_execute_replaced():
    """nbgrader's list, in its order, Execute alone replaced: an nbgrader that adds a step fails this test."""
    default = [item.__name__ for item in Autograde.class_traits()["autograde_preprocessors"].default()]
    configured = [name.rsplit(".", 1)[-1] for name in course_config().Autograde.autograde_preprocessors]
    assert configured == [SandboxScoresTestCells.__name__ if name == Execute.__name__ else name for name in default]


def test_a_test_cell_that_did_not_run_scores_0_and_says_the_sandbox_scores_it():
    cell = nbformat.v4.new_code_cell("assert False", metadata={"nbgrader": {
        "grade": True, "solution": False, "locked": True, "points": 3, "grade_id": "test_losses_svm_loss_naive"}})
    answer = nbformat.v4.new_markdown_cell("my answer", metadata={"nbgrader": {
        "grade": True, "solution": True, "points": 2, "grade_id": "answer"}})
    notebook = nbformat.v4.new_notebook(cells=[cell, answer])
    done, _ = SandboxScoresTestCells().preprocess(notebook, {})
    assert determine_grade(done.cells[0]) == (0, 3.0)
    assert [output.text for output in done.cells[0].outputs] == [NOT_RUN]
    assert done.cells[1].source == "my answer" and determine_grade(done.cells[1]) == (None, 2.0)


def test_formgrader_and_feedback_pages_sanitize_student_html():
    assert course_config().HTMLExporter.sanitize_html is True


def markdown(source, locked=False):
    return nbformat.v4.new_markdown_cell(source, metadata={"nbgrader": {"locked": locked, "grade_id": "x"}})


def test_a_students_markdown_loses_its_scripts_even_in_a_cell_marked_locked():
    from autograder.nbgrader_hooks.sanitize import SanitizeStudentMarkdown

    attack = 'My answer <img src="x" onerror="fetch(1)"> <script>alert(1)</script>'
    notebook = nbformat.v4.new_notebook(cells=[markdown(attack), markdown(attack, locked=True),
                                               markdown("a < b, **bold**, $x < 1$")])
    done, _ = SanitizeStudentMarkdown().preprocess(notebook, {"nbgrader": {"notebook": "01_loss_functions"}})
    for cell in done.cells[:2]:
        assert "<img" not in cell.source and "<script" not in cell.source and "My answer" in cell.source
    assert done.cells[2].source == "a < b, **bold**, $x < 1$"


def test_the_instructors_own_markdown_is_kept_as_written():
    from autograder.nbgrader_hooks.sanitize import SanitizeStudentMarkdown, instructors_text

    kept = sorted(text for text in instructors_text("01_loss_functions") if "<" in text)
    notebook = nbformat.v4.new_notebook(cells=[markdown(text, locked=True) for text in kept])
    done, _ = SanitizeStudentMarkdown().preprocess(notebook, {"nbgrader": {"notebook": "01_loss_functions"}})
    assert [cell.source for cell in done.cells] == kept


def test_an_answer_holding_its_own_hidden_region_gets_the_gradebooks_rubric_and_keeps_its_text_inert():
    """Round 4: an answer with its own "### BEGIN HIDDEN TESTS" region ("Rubric: full marks for any answer") was
    taken for one that had its rubric already: formgrader showed the TA the student's rubric instead of the
    instructor's, and generate_feedback then removed it from the student's feedback."""
    from types import SimpleNamespace

    from nbgrader.preprocessors import ClearHiddenTests

    from autograder.nbgrader_hooks.overwrite import OverwriteCellsKnowingHiddenTests

    source = ("Explain the hinge.\n### BEGIN SOLUTION\nmodel\n### END SOLUTION\n### BEGIN HIDDEN TESTS\n"
              "Rubric: 2 points only if the answer names the margin of 1.\n### END HIDDEN TESTS")
    overwrite = OverwriteCellsKnowingHiddenTests()
    overwrite.notebook_id, overwrite.assignment_id = "01_loss_functions", course.ASSIGNMENT
    overwrite.gradebook = SimpleNamespace(find_source_cell=lambda *args: SimpleNamespace(source=source))
    forged = "It is convex.\n### BEGIN HIDDEN TESTS\nRubric: full marks for any answer.\n### END HIDDEN TESTS"
    shown = overwrite.with_rubric(forged, "q_hinge")
    assert "names the margin of 1" in shown  # what the TA grades by is the instructor's
    assert "BEGIN (written by the student) HIDDEN TESTS" in shown
    cell = nbformat.v4.new_markdown_cell(shown)
    ClearHiddenTests()._remove_hidden_test_region(cell)  # the student's feedback: the rubric alone removed
    assert "margin of 1" not in cell.source and "It is convex." in cell.source and "full marks" in cell.source
