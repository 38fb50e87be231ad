"""The Gradescope autograder, run as Gradescope runs it, on a reference, a buggy and a stub submission.

Real processes and a real bubblewrap sandbox; ``GRADESCOPE_ROOT`` stands for ``/autograder``. Each upload
is one of the ways a student hands the assignment in: the folder's contents, the folder itself, a zip.
"""

import shutil
import subprocess
import zipfile

import pytest

from autograder import course
from autograder.gradescope.bundle import build_bundle
from support.gradescope import run_autograder, unpack_bundle
from support.lms import assignment_folder, folder_files
from support.submissions import PYTHON

#: What a Gradescope run must not import (none of it is used): notebooks, nbgrader, plots, progress bars, pages.
NOT_IMPORTED = ("matplotlib", "nbgrader", "nbformat", "tqdm", "jinja2", "scipy", "sqlalchemy", "traitlets")
BUGGY = {"losses.py": """
    def svm_loss_naive(W, X, y, reg):
        loss = 0.0
        for i in range(X.shape[0]):
            scores = X[i] @ W
            loss += np.maximum(0, scores - scores[y[i]] + 1).sum()
        return loss / X.shape[0] + reg * np.sum(W * W), np.zeros_like(W)
    """}


@pytest.fixture(scope="module")
def harness(tmp_path_factory):
    """Two unpacked bundles (the plain one, one with an embedded secret) and three uploads."""
    root = tmp_path_factory.mktemp("gradescope")
    build_bundle(root / "autograder.zip")
    build_bundle(root / "embedded.zip", secret="a secret only the staff knows")
    uploads = root / "uploads"
    contents = uploads / "contents"
    shutil.copytree(assignment_folder(root / "work", "good"), contents)
    folder = uploads / "folder"
    shutil.copytree(assignment_folder(root / "work", "buggy", append=BUGGY), folder / course.ASSIGNMENT)
    zipped = uploads / "zip"
    zipped.mkdir(parents=True)
    stubs = assignment_folder(root / "work", "stub", base="stubs")
    with zipfile.ZipFile(zipped / f"{course.ASSIGNMENT}.zip", "w") as archive:
        for name, data in folder_files(stubs, f"{course.ASSIGNMENT}/").items():
            archive.writestr(name, data)
    return {"plain": unpack_bundle(root / "autograder.zip", root / "plain"),
            "embedded": unpack_bundle(root / "embedded.zip", root / "embedded"),
            "contents": contents, "folder": folder, "zip": zipped}


@pytest.fixture(scope="module")
def runs(harness):
    return {
        "reference": run_autograder(harness["plain"], harness["contents"], env={
            "AUTOGRADER_SECRET": "the course secret", "PYTHONPROFILEIMPORTTIME": "1"}),
        "buggy": run_autograder(harness["embedded"], harness["folder"]),
        "stub": run_autograder(harness["plain"], harness["zip"]),
    }


def test_the_reference_uploaded_as_the_folders_contents_scores_full_marks(runs):
    completed, results = runs["reference"]
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert results["score"] == 100 and all(test["status"] == "passed" for test in results["tests"])
    # On Gradescope the assignment is the code alone: no written answers "not graded yet" in its total.
    assert results["output"].startswith("Total: 100 / 100, all of it code 100 / 100 (autograded).")
    assert results["output_format"] == "text" and isinstance(results["execution_time"], int)
    assert results["extra_data"]["student_id"] == "4242"
    assert "(bubblewrap)" in completed.stdout and "WARNING" not in completed.stdout


def test_a_buggy_upload_of_the_folder_itself_loses_only_the_buggy_functions_points(runs):
    completed, results = runs["buggy"]
    assert completed.returncode == 0, completed.stdout + completed.stderr
    lost = {test["name"] for test in results["tests"] if test["score"] < test["max_score"]}
    assert lost and all(name.startswith("losses.svm_loss_naive.") for name in lost)
    assert "WARNING" not in completed.stdout  # the bundle's own secret was used


def test_a_zipped_stub_upload_scores_zero_and_is_told_nothing_false(runs):
    completed, results = runs["stub"]
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert results["score"] == 0
    assert {test["extra_data"]["status"] for test in results["tests"]} <= {"not_implemented", "skipped", "failed",
                                                                           "error"}
    assert "was submitted" not in results["output"] and "missing" not in results["output"]
    assert "WARNING: no course secret" in completed.stdout


def test_a_gradescope_run_imports_nothing_it_does_not_use(runs):
    completed, _ = runs["reference"]
    imported = {line.split("|")[-1].strip().split(".")[0] for line in completed.stderr.splitlines()
                if line.startswith("import time:")}
    assert "numpy" in imported and "autograder" in imported
    assert imported.isdisjoint(NOT_IMPORTED), sorted(imported & set(NOT_IMPORTED))


def _is_autograder_error(results):
    return (results is not None and results["score"] == 0 and results["tests"] == []
            and results["extra_data"] == {"autograder_error": True} and "is not your grade" in results["output"])


def test_when_grading_cannot_run_results_say_it_is_an_autograder_error_and_the_instructor_is_told_why(harness,
                                                                                                      tmp_path):
    root = unpack_bundle(harness["plain"].parent / "autograder.zip", tmp_path / "broken")
    (root / "source" / "autograder" / "points.toml").write_text("[losses.svm_loss_naive]\nloss = -1\n")
    completed, results = run_autograder(root, harness["contents"])
    assert completed.returncode == 2 and _is_autograder_error(results)
    assert completed.stdout.startswith("The autograder could not run, so results.json says so (an autograder error): ")
    assert "points.toml" in completed.stdout


def test_when_the_grader_fails_on_a_submission_results_say_it_is_an_autograder_error(harness, tmp_path):
    root = unpack_bundle(harness["plain"].parent / "autograder.zip", tmp_path / "failing")
    writer = root / "source" / "autograder" / "outputs" / "student.py"
    writer.write_text(writer.read_text() + "\n\ndef results_json(student, written_max=None):\n    raise RuntimeError('a grader bug')\n")
    completed, results = run_autograder(root, harness["contents"])
    assert completed.returncode == 1 and _is_autograder_error(results)
    assert "The grader failed on this submission" in completed.stdout and "RuntimeError: a grader bug" in completed.stdout


def test_when_python_cannot_run_the_autograder_results_still_say_so(harness, tmp_path):
    root = unpack_bundle(harness["plain"].parent / "autograder.zip", tmp_path / "no-python")
    completed, results = run_autograder(root, harness["contents"], env={"PYTHON": "/nonexistent/python"})
    assert completed.returncode != 0 and _is_autograder_error(results)


def test_the_image_build_self_tests_the_reference_with_the_command_setup_sh_runs(harness):
    source = harness["plain"] / "source"
    line = next(line for line in (source / "setup.sh").read_text().splitlines() if "--self-test" in line)
    assert line.endswith("-m autograder.gradescope.run --self-test")
    completed = subprocess.run([str(PYTHON), "-m", "autograder.gradescope.run", "--self-test"], cwd=source,
                               capture_output=True, text=True)
    assert completed.returncode == 0 and completed.stdout == "The reference solution passes every test of the grader.\n"
