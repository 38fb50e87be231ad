"""A student's session: editing ``losses.py`` beside a notebook and rerunning its check, as in notebook 01.

The notebook holds notebook 01's own setup cell (its ``%autoreload`` line) and its first check; the package
is the reference, so that the check passes before the edits. After each saved edit the rerun check must
speak of the file as it is now: the line an error is raised at, and for a file that does not parse one
short message and no ✓ for the code it held before.
"""

import nbformat
import pytest

from autograder import course
from lab_session import (
    ERROR_OUTPUT, copy_assignment, error_outputs, open_notebook, run_cell, screenshot, step, write_notebook,
)

pytestmark = pytest.mark.browser

DEF = "def svm_loss_naive(W, X, y, reg):"
RAISE = '    raise ValueError("stopped here")'
SETUP, CHECK, HINT = 0, 1, 2
#: A failure with a hint of checks/mistakes.py that holds formulas.
FAILURE_WITH_FORMULA = """from linear_classifier.checks.mistakes import hint
from linear_classifier.checks.report import CheckFailed
raise CheckFailed("softmax_loss_naive", hints=[hint("softmax_exp_of_correct_score")])
"""


@pytest.fixture(scope="module")
def session(student_lab):
    """``session/``: the release with the reference package, and a notebook of notebook 01's setup and first check."""
    folder = copy_assignment(course.release_dir(), student_lab["workspace"] / "session",
                             package_from=course.reference_dir())
    release = nbformat.read(course.release_dir() / "01_loss_functions.ipynb", as_version=4)
    setup = next(cell for cell in release.cells if cell.cell_type == "code")
    check = next(cell for cell in release.cells if "check_svm_loss_naive()" in cell.source)
    write_notebook(folder / "session.ipynb", [nbformat.v4.new_code_cell(setup.source),
                                              nbformat.v4.new_code_cell(check.source),
                                              nbformat.v4.new_code_cell(FAILURE_WITH_FORMULA)])
    return folder


@pytest.fixture
def losses(session):
    """The session's ``losses.py``, put back as it was after the test."""
    path = session / course.PACKAGE / "losses.py"
    original = path.read_text(encoding="utf-8")
    yield path
    path.write_text(original, encoding="utf-8")


@pytest.fixture
def notebook(student_lab, page, session):
    """The session notebook open in the Lab, its setup cell run and its check passed once."""
    open_notebook(page, student_lab, "session/session.ipynb")
    run_cell(page, SETUP)
    assert "✓" in run_cell(page, CHECK)
    return page


def _line_of(text, line):
    return text.splitlines().index(line) + 1


@pytest.mark.parametrize("notes_above", [3, 11])
def test_a_check_rerun_after_an_edit_names_the_line_the_file_has_now(notebook, losses, notes_above):
    original = losses.read_text(encoding="utf-8")
    # A first edit, then a second that moves everything further down: each rerun must name the line as saved.
    for added in (notes_above, notes_above + 5):
        edited = "".join(f"# my notes {i}\n" for i in range(added)) + original.replace(DEF, f"{DEF}\n{RAISE}", 1)
        losses.write_text(edited, encoding="utf-8")
        text = run_cell(notebook, CHECK)
        with step(notebook, f"reading the error after adding {added} lines", "session_edit"):
            assert f"in linear_classifier/losses.py, line {_line_of(edited, RAISE)}, in svm_loss_naive" in text, text
            assert RAISE.strip() in text, text
    screenshot(notebook, "session_error_line_after_edit")


def test_a_file_that_does_not_parse_gets_one_short_message_and_no_tick(notebook, losses, session):
    original = losses.read_text(encoding="utf-8")
    broken = original.replace(DEF, DEF[:-1], 1)  # the colon forgotten
    losses.write_text(broken, encoding="utf-8")
    text = run_cell(notebook, CHECK)
    notebook.locator(ERROR_OUTPUT).first.scroll_into_view_if_needed()
    screenshot(notebook, "session_syntax_error")
    lines = text.strip().splitlines()
    assert error_outputs(notebook, CHECK) == 1, text  # autoreload's tracebacks went to stderr, a second output
    assert lines[0] == "SyntaxError: expected ':'", text
    assert f"in linear_classifier/losses.py, line {_line_of(broken, DEF[:-1])}" in text, text
    assert DEF[:-1] in text and len(lines) <= 6, text
    assert "✓" not in text and "Traceback" not in text and "autoreload" not in text, text
    assert str(session) not in text, text

    losses.write_text(original, encoding="utf-8")
    text = run_cell(notebook, CHECK)
    assert "✓" in text and error_outputs(notebook, CHECK) == 0, text


def test_a_hint_with_a_formula_shows_no_dead_link(notebook):
    text = run_cell(notebook, HINT)
    assert "likely cause: each example's loss subtracts exp()" in text and "exp(s_y) ∕ sum_j" in text, text
    links = notebook.locator(".jp-Notebook .jp-Cell").nth(HINT).locator(".jp-OutputArea a").count()
    assert links == 0, text  # JupyterLab made each " / " a link to a folder "/" that does not open
