"""Points from points.toml into the notebooks, and sandboxed scores into nbgrader's gradebook."""

import os
import shutil
import sys
import warnings
from pathlib import Path

import nbformat
import pytest
from nbgrader.api import Gradebook

from autograder import catalogue
from autograder.results import BatchResult, Row, StudentResult
from autograder.nbgrader_hooks.gradebook import (
    default_autograded_folder, default_gradebook_url, read_gradebook, record_in_gradebook,
)
from autograder.points import PointsError, group_points, load_points, sync_notebook_points


def notebook_with_cells(path, cells):
    notebook = nbformat.v4.new_notebook()
    for grade_id, points in cells:
        cell = nbformat.v4.new_code_cell("pass")
        cell.metadata["nbgrader"] = {"grade": True, "solution": False, "locked": True, "points": points,
                                     "grade_id": grade_id, "schema_version": 3}
        notebook.cells.append(cell)
    nbformat.write(notebook, str(path))


def test_release_sync_writes_each_groups_total_into_its_test_cell_only(tmp_path):
    path = tmp_path / "04_optimization.ipynb"
    notebook_with_cells(path, [("test_optim_sgd", 99), ("q_grid_vs_random", 2), ("test_models_Softmax", 1)])
    found = sync_notebook_points(tmp_path)
    totals = group_points(load_points())
    points = {c.metadata.nbgrader.grade_id: c.metadata.nbgrader.points for c in nbformat.read(str(path), 4).cells}
    assert points == {"test_optim_sgd": totals["optim.sgd"], "q_grid_vs_random": 2,
                      "test_models_Softmax": totals["models.Softmax"]}
    assert found == {"optim.sgd": [path.name], "models.Softmax": [path.name]}
    written = path.read_bytes()
    sync_notebook_points(tmp_path)
    assert path.read_bytes() == written


def test_a_points_file_that_misses_or_invents_tests_is_refused_by_name(tmp_path):
    broken = tmp_path / "points.toml"
    broken.write_text('[optim.sgd]\none_step = 1\nwarp_speed = 2\n')
    with pytest.raises(PointsError) as error:
        load_points(broken)
    assert "optim.sgd.warp_speed" in str(error.value) and "optim.sgd.defaults" in str(error.value)


def batch_result(tmp_path, scores):
    """A graded batch in which each student passes exactly the groups listed for them."""
    points = load_points()
    students = []
    for student_id, passed_groups in scores.items():
        rows = []
        for name, worth in points.items():
            group = ".".join(name.split(".")[:2])
            status = "passed" if group in passed_groups else "failed"
            rows.append(Row(catalogue.Verdict(name, group, False, "", status), worth * (status == "passed"), worth))
        students.append(StudentResult(student_id, 0, rows))
    return BatchResult(students, tmp_path / "out", "bubblewrap", "", 0, False)


@pytest.fixture(scope="module")
def empty_gradebook(tmp_path_factory):
    """An empty gradebook file (creating one runs alembic, which takes seconds: done once)."""
    path = tmp_path_factory.mktemp("gradebook") / "gradebook.db"
    with pytest.MonkeyPatch.context() as patch:
        # nbgrader runs the `alembic` command of its environment when it creates a database.
        patch.setenv("PATH", os.pathsep.join([os.path.dirname(sys.executable), os.environ.get("PATH", "")]))
        Gradebook(f"sqlite:///{path}", course_id="loss_optimization").close()
    return path


@pytest.fixture
def gradebook_url(tmp_path, empty_gradebook):
    """A gradebook holding the assignment with two test cells, and alice's nbgrader autograde results."""
    shutil.copyfile(empty_gradebook, tmp_path / "gradebook.db")
    url = f"sqlite:///{tmp_path / 'gradebook.db'}"
    totals = group_points(load_points())
    with Gradebook(url, course_id="loss_optimization") as gradebook:
        gradebook.add_assignment("loss_optimization")
        gradebook.add_notebook("01_loss_functions", "loss_optimization")
        gradebook.add_notebook("04_optimization", "loss_optimization")
        gradebook.add_grade_cell("test_losses_svm_loss_naive", "01_loss_functions", "loss_optimization",
                                 max_score=totals["losses.svm_loss_naive"], cell_type="code")
        gradebook.add_grade_cell("test_optim_sgd", "04_optimization", "loss_optimization",
                                 max_score=totals["optim.sgd"], cell_type="code")
        gradebook.add_student("alice")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # SQLAlchemy's notes on nbgrader's own session handling
            gradebook.add_submission("loss_optimization", "alice")
        # In alice's kernel both cells passed (e.g. her notebook silenced the checks).
        for cell, notebook, group in (("test_losses_svm_loss_naive", "01_loss_functions", "losses.svm_loss_naive"),
                                      ("test_optim_sgd", "04_optimization", "optim.sgd")):
            gradebook.find_grade(cell, notebook, "loss_optimization", "alice").auto_score = totals[group]
        gradebook.db.commit()
    return url


def test_scores_are_written_to_the_gradebook_and_kernel_only_passes_are_flagged(tmp_path, gradebook_url):
    result = batch_result(tmp_path, {"alice": {"optim.sgd"}, "bob": {"losses.svm_loss_naive", "optim.sgd"}})
    read_gradebook(gradebook_url, result, sys.stderr)
    assert record_in_gradebook(gradebook_url, result, sys.stderr)
    note = result.gradebook_note
    totals = group_points(load_points())
    assert "written" in note and "optim.sgd_momentum" in note  # groups without a test cell are named
    with Gradebook(gradebook_url, course_id="loss_optimization") as gradebook:
        def score(cell, notebook, student):
            return gradebook.find_grade(cell, notebook, "loss_optimization", student).auto_score
        assert score("test_losses_svm_loss_naive", "01_loss_functions", "alice") == 0
        assert score("test_optim_sgd", "04_optimization", "alice") == totals["optim.sgd"]
        assert score("test_losses_svm_loss_naive", "01_loss_functions", "bob") == totals["losses.svm_loss_naive"]
    alice, bob = result.students
    assert alice.flags == [f"losses.svm_loss_naive: {totals['losses.svm_loss_naive']:g} points in the notebook's "
                           "kernel, 0 in the sandbox"]
    assert bob.flags == []


def autograded_notebook(path, cells):
    """A notebook as nbgrader autograde leaves it: each (grade_id, points, passed) test cell ran in the kernel."""
    notebook = nbformat.v4.new_notebook()
    for grade_id, points, passed in cells:
        cell = nbformat.v4.new_code_cell(f"hidden_check({grade_id!r})")
        cell.metadata["nbgrader"] = {"grade": True, "solution": False, "locked": True, "points": points,
                                     "grade_id": grade_id, "schema_version": 3}
        if not passed:
            cell.outputs = [nbformat.v4.new_output("error", ename="CheckFailed", evalue="wrong", traceback=[])]
        notebook.cells.append(cell)
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, str(path))


def test_a_kernel_only_pass_read_from_the_autograded_notebooks_is_flagged_on_every_run(tmp_path, gradebook_url):
    totals = group_points(load_points())
    autograded = tmp_path / "autograded"
    notebooks = autograded / "alice" / "loss_optimization"
    autograded_notebook(notebooks / "01_loss_functions.ipynb",
                        [("test_losses_svm_loss_naive", totals["losses.svm_loss_naive"], True)])
    # The gradebook says this cell passed in the kernel, the notebook that it failed: the notebook decides.
    autograded_notebook(notebooks / "04_optimization.ipynb", [("test_optim_sgd", totals["optim.sgd"], False)])
    expected = [f"losses.svm_loss_naive: {totals['losses.svm_loss_naive']:g} points in the notebook's kernel, "
                "0 in the sandbox"]
    for _ in range(2):  # the second run finds its own sandboxed scores in the gradebook
        result = batch_result(tmp_path, {"alice": set()})
        read_gradebook(gradebook_url, result, sys.stderr, autograded=autograded)
        record_in_gradebook(gradebook_url, result, sys.stderr)
        assert result.students[0].flags == expected


def test_the_autograded_folder_is_the_courses_own_beside_submitted(tmp_path):
    (tmp_path / "submitted").mkdir()
    assert default_autograded_folder(tmp_path / "submitted") is None
    (tmp_path / "autograded").mkdir()
    assert default_autograded_folder(tmp_path / "submitted") == tmp_path.resolve() / "autograded"
    (tmp_path / "kernel_runs").mkdir()
    (tmp_path / "nbgrader_config.py").write_text(
        'c = get_config()\nc.CourseDirectory.autograded_directory = "kernel_runs"\n')
    assert default_autograded_folder(tmp_path / "submitted") == tmp_path.resolve() / "kernel_runs"


def test_a_gradebook_without_the_assignment_is_left_alone_with_a_note(tmp_path, empty_gradebook):
    shutil.copyfile(empty_gradebook, tmp_path / "empty.db")
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    result = batch_result(tmp_path, {"alice": set()})
    read_gradebook(url, result, sys.stderr)
    assert not record_in_gradebook(url, result, sys.stderr)
    assert "has no assignment loss_optimization" in result.gradebook_note


def test_the_default_gradebook_is_the_one_next_to_the_submitted_folder(tmp_path):
    (tmp_path / "submitted").mkdir()
    assert default_gradebook_url(tmp_path / "submitted") is None
    (tmp_path / "gradebook.db").write_bytes(b"")
    assert default_gradebook_url(tmp_path / "submitted") == f"sqlite:///{Path(tmp_path).resolve() / 'gradebook.db'}"
