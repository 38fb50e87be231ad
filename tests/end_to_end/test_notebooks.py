"""The notebooks: solutions run and validate; the release runs its given code up to the first stub."""

import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from autograder import course

NBGRADER = Path(sys.executable).parent / "nbgrader"
SOLUTION_NOTEBOOKS = sorted(p.name for p in course.reference_dir().glob("*.ipynb"))
# The explorer has no graded cells and never stops at a stub: its panels name the stubs instead
# (tests/course/test_explore.py runs its release copy to the end).
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


@pytest.mark.parametrize("name", GRADED_NOTEBOOKS)
def test_release_notebook_fails_every_test_until_the_student_works(name, offline_release):
    result = validate(offline_release / name, "--invert")
    assert "Success! The notebook does not pass any tests." in result.stdout, result.stdout + result.stderr


@pytest.mark.parametrize("name", GRADED_NOTEBOOKS)
def test_release_notebook_runs_its_given_code_until_the_first_stub(name, offline_release):
    notebook = nbformat.read(offline_release / name, as_version=4)
    client = NotebookClient(notebook, timeout=300, kernel_name="python3",
                            resources={"metadata": {"path": str(offline_release)}})
    with pytest.raises(CellExecutionError) as raised:
        client.execute()
    assert raised.value.ename == "NotImplementedError", str(raised.value)[-2000:]
    assert "is not implemented yet" in raised.value.evalue
    assert "in linear_classifier/" in raised.value.evalue
