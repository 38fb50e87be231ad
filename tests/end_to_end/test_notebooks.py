"""The notebooks: solutions run and validate; the release runs its given code up to the first stub; and what a
student sees when their code is wrong: a failed check or a stub shows a short diagnosis with the student's own file
and line (never the frames of ``checks/``), and a typo in a loss leaves every explorer panel built."""

import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from autograder import course
from support.submissions import make_submission

NBGRADER = Path(sys.executable).parent / "nbgrader"
SOLUTION_NOTEBOOKS = sorted(p.name for p in course.reference_dir().glob("*.ipynb"))
# The explorer has no graded cells and never stops at a stub: its panels name the stubs instead
# (tests/course/explore/test_explore_student_code.py runs its release copy to the end).
GRADED_NOTEBOOKS = [name for name in SOLUTION_NOTEBOOKS if name != "05_loss_explorer.ipynb"]


def test_there_are_notebooks_to_test():
    assert {"01_loss_functions.ipynb", "02_gradients.ipynb", "03_regularization.ipynb",
            "04_optimization.ipynb"} <= set(SOLUTION_NOTEBOOKS)


@pytest.mark.parametrize("name", SOLUTION_NOTEBOOKS)
def test_notebooks_are_committed_without_outputs(name):
    for folder in (course.reference_dir(), course.release_dir()):
        notebook = nbformat.read(folder / name, as_version=4)
        for cell in notebook.cells:
            if cell.cell_type == "code":
                assert cell.outputs == [] and cell.execution_count is None, f"{folder / name}: outputs committed"


def validate(notebook_path, *extra):
    with course.tools_on_path():
        return subprocess.run([str(NBGRADER), "validate", str(notebook_path), *extra],
                              capture_output=True, text=True, cwd=notebook_path.parent, timeout=600)


@pytest.mark.parametrize("name", GRADED_NOTEBOOKS)
def test_solution_notebook_runs_and_passes_its_own_tests(name):
    result = validate(course.reference_dir() / name)
    assert "Success! Your notebook passes all the tests." in result.stdout, result.stdout + result.stderr


@pytest.fixture(scope="module")
def offline_release(tmp_path_factory):
    """The release folder copied alone, as nbgrader's exchange or a zip delivers it."""
    destination = tmp_path_factory.mktemp("student") / course.ASSIGNMENT
    shutil.copytree(course.release_dir(), destination, ignore=shutil.ignore_patterns("__pycache__"))
    return destination


def test_every_script_the_release_tells_students_to_run_is_in_it(offline_release):
    texts = [path.read_text(encoding="utf-8") for path in offline_release.rglob("*")
             if path.suffix in (".md", ".py", ".ipynb")]
    scripts = {match for text in texts for match in re.findall(r"[\w./-]+\.sh\b", text)}
    assert "data/get_cifar10.sh" in scripts
    assert [script for script in scripts if not (offline_release / script).is_file()] == []


@pytest.mark.parametrize("name", GRADED_NOTEBOOKS)
def test_release_notebook_fails_every_test_until_the_student_works(name, offline_release):
    result = validate(offline_release / name, "--invert")
    assert "Success! The notebook does not pass any tests." in result.stdout, result.stdout + result.stderr


#: What the issue counts as short enough to read without scrolling.
MAX_ERROR_LINES = 12
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def run_until_first_error(folder, name):
    """Run notebook ``name`` of ``folder`` as a kernel would for a student; returns the notebook as run."""
    notebook = nbformat.read(folder / name, as_version=4)
    client = NotebookClient(notebook, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(folder)}})
    with pytest.raises(CellExecutionError):
        client.execute()
    return notebook


def first_error(notebook):
    """The first error output of ``notebook``: its ename and the lines the student sees (colours removed)."""
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            if output.output_type == "error":
                return output.ename, ANSI.sub("", "\n".join(output.traceback)).splitlines()
    raise AssertionError("the notebook ran without an error")


def assert_short_and_free_of_checks(lines):
    shown = "\n".join(lines)
    assert len(lines) <= MAX_ERROR_LINES, shown
    assert "checks/" not in shown and "Traceback" not in shown and "File " not in shown, shown


@pytest.mark.parametrize("name", GRADED_NOTEBOOKS)
def test_release_notebook_runs_its_given_code_until_the_first_stub(name, offline_release):
    ename, lines = first_error(run_until_first_error(offline_release, name))
    assert ename == "NotImplementedError", lines
    assert "is not implemented yet" in lines[0] and "in linear_classifier/" in lines[0], lines
    assert re.fullmatch(r"  in linear_classifier/\w+\.py, line \d+, in \w+", lines[1]), lines
    assert_short_and_free_of_checks(lines)


#: Mistakes a student could make, planted into the reference: (notebook, module, code, what the student must read).
#: A later ``def`` replaces the reference's function.
PLANTED = {
    "svm_loss_naive counts the correct class": ("01_loss_functions.ipynb", "losses.py", """
        def svm_loss_naive(W, X, y, reg):
            scores = X @ W
            margins = np.maximum(0.0, scores - scores[np.arange(len(y)), y][:, None] + 1.0)
            dW = X.T @ (margins > 0) / len(y)
            return float(margins.sum() / len(y) + reg * np.sum(W * W)), dW + 2 * reg * W
        """, ["✗ svm_loss_naive", "expected: 2.9", "got:      3.9", "likely cause: ", "exactly 1 too high"]),
    "svm_loss_naive forgets to average dW": ("01_loss_functions.ipynb", "losses.py", """
        def svm_loss_naive(W, X, y, reg):
            loss, dW = 0.0, np.zeros(W.shape)
            for i in range(X.shape[0]):
                scores = X[i] @ W
                for j in range(W.shape[1]):
                    margin = scores[j] - scores[y[i]] + 1
                    if j != y[i] and margin > 0:
                        loss += margin
                        dW[:, j] += X[i]
                        dW[:, y[i]] -= X[i]
            return loss / X.shape[0] + reg * np.sum(W * W), dW + 2 * reg * W
        """, ["✗ svm_loss_naive: dW", "expected: array of shape (4, 3)", "likely cause: dW is N times too large"]),
    "svm_loss_naive indexes past the last class": ("01_loss_functions.ipynb", "losses.py", """
        def svm_loss_naive(W, X, y, reg):
            scores = X @ W
            loss = 0.0
            for i in range(X.shape[0]):
                for j in range(W.shape[1] + 1):
                    loss += max(0.0, scores[i, j] - scores[i, y[i]] + 1)
            return loss, np.zeros(W.shape)
        """, ["IndexError: index 3 is out of bounds", "in linear_classifier/losses.py, line {line}, in svm_loss_naive",
              "loss += max(0.0, scores[i, j] - scores[i, y[i]] + 1)", "raised in your code while a check ran it"]),
    "l2_penalty's gradient is W instead of 2 W": ("03_regularization.ipynb", "regularization.py", """
        def l2_penalty(W):
            return float(np.sum(W * W)), W.copy()
        """, ["✗ l2_penalty", "likely cause: "]),
}


@pytest.mark.parametrize("mistake", PLANTED)
def test_a_planted_mistake_shows_its_diagnosis_in_a_few_lines_without_the_checks(mistake, tmp_path):
    name, module, code, wanted = PLANTED[mistake]
    code = textwrap.dedent(code)
    folder = make_submission(tmp_path, "student", append={module: code})  # the release's notebooks and data
    planted = (folder / course.PACKAGE / module).read_text(encoding="utf-8").splitlines()
    faulty = next((number for number, line in enumerate(planted, start=1)
                   if "scores[i, j] - scores[i, y[i]]" in line), 0)
    _, lines = first_error(run_until_first_error(folder, name))
    shown = "\n".join(lines)
    for text in wanted:
        assert text.format(line=faulty) in shown, shown
    assert_short_and_free_of_checks(lines)


EXPLORER = "05_loss_explorer.ipynb"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
#: A typo in svm_loss_vectorized: the name of a variable misspelt.
TYPO = """
def svm_loss_vectorized(W, X, y, reg):
    scores = X @ W
    return float(np.sum(scroes)), np.zeros_like(W)
"""


def run_explorer(tmp_path, append=None):
    """Notebook 05 run to the end beside the reference (with ``append``); returns the notebook as run."""
    folder = make_submission(tmp_path, "student", append=append)  # the release's notebooks and data
    notebook = nbformat.read(folder / EXPLORER, as_version=4)
    client = NotebookClient(notebook, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(folder)}})
    client.execute()
    return notebook


def widget_views(notebook):
    outputs = [output for cell in notebook.cells for output in cell.get("outputs", [])]
    return [output for output in outputs if WIDGET_VIEW in output.get("data", {})]


def shown_html(notebook):
    state = notebook.metadata.widgets["application/vnd.jupyter.widget-state+json"]["state"]
    return [str(model["state"].get("value", "")) for model in state.values()]


def test_a_typo_in_a_student_loss_leaves_every_explorer_panel_built_and_names_the_line(tmp_path):
    correct = run_explorer(tmp_path / "correct")
    typo = run_explorer(tmp_path / "typo", append={"losses.py": TYPO})
    outputs = [output for cell in typo.cells if cell.cell_type == "code" for output in cell.outputs]
    assert not [output for output in outputs if output.output_type in ("error", "stream")]
    assert len(widget_views(typo)) == len(widget_views(correct)) == 6
    errors = [value for value in shown_html(typo) if "lx-error" in value]
    # The playground, the landscape and the score comparison call svm_loss_vectorized; the descent labs do not.
    assert len(errors) == 3, errors
    for box in errors:
        assert "NameError: name &#x27;scroes&#x27; is not defined" in box, box
        assert "in linear_classifier/losses.py, line" in box and "np.sum(scroes)" in box, box
    assert not [value for value in shown_html(correct) if "lx-error" in value]
