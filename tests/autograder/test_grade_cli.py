"""``python -m autograder grade``: a small batch end to end, exit codes, outputs, reproducibility, LMS zips."""

import csv
import json
import subprocess
import zipfile

import pytest

from autograder import catalogue, course
from autograder.outputs import totals as totals_module
from autograder.packages import load_reference
from support.lms import assignment_folder, assignment_zip, moodle_download
from support.submissions import PYTHON, REPO, make_submission, tree_snapshot

TESTS = catalogue.all_test_names()


def grade(submitted, out, *extra):
    return subprocess.run([str(PYTHON), "-m", "autograder", "grade", str(submitted), "--out", str(out),
                           "--timeout", "10", *extra], cwd=REPO, capture_output=True, text=True)


def read_grades(out):
    with open(out / "grades.csv", newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def scores(rows):
    totals = {}
    for row in rows:
        totals[row["student_id"]] = totals.get(row["student_id"], 0.0) + float(row["score"])
    return totals


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    """Three students graded with --jobs 2: the reference with a corrupt notebook, the stubs, and a
    reference whose losses.py does not parse and whose gradients.py links to the solution."""
    root = tmp_path_factory.mktemp("cli")
    submitted = root / "submitted"
    make_submission(submitted, "alice", files={"01_loss_functions.ipynb": '{"cells": [ broken'})
    make_submission(submitted, "bob", "stubs")
    carol = make_submission(submitted, "carol", append={"losses.py": "def broken(:\n"})
    (carol / "linear_classifier" / "gradients.py").unlink()
    (carol / "linear_classifier" / "gradients.py").symlink_to(
        course.reference_dir() / "linear_classifier" / "gradients.py")
    before = tree_snapshot(submitted)
    completed = grade(submitted, root / "out", "--jobs", "2", "--seed", "5")
    return {"root": root, "submitted": submitted, "out": root / "out", "completed": completed, "before": before}


def test_a_batch_exits_0_with_one_row_per_student_and_test(batch):
    assert batch["completed"].returncode == 0, batch["completed"].stderr
    rows = read_grades(batch["out"])
    assert list(rows[0]) == ["student_id", "test", "score", "max_score", "status", "message"]
    assert [(r["student_id"], r["test"]) for r in rows] == [(s, t) for s in ("alice", "bob", "carol") for t in TESTS]
    assert all(any(r["test"].startswith(group + ".") for group in catalogue.GROUPS) for r in rows)
    assert {r["status"] for r in rows} <= set(catalogue.STATUSES)


def test_reference_scores_full_marks_and_stubs_zero(batch):
    totals = scores(read_grades(batch["out"]))
    assert totals["alice"] == 100 and totals["bob"] == 0


def test_faults_cost_only_the_tests_they_affect(batch):
    carol = {r["test"]: r for r in read_grades(batch["out"]) if r["student_id"] == "carol"}
    for name, row in carol.items():
        if name.startswith(("losses.", "models.")):
            assert row["status"] == "import_error" and "SyntaxError" in row["message"], row
        elif name.startswith("gradients."):
            assert row["status"] == "missing" and "symbolic link" in row["message"], row
        else:
            assert row["status"] == "passed", row


def test_a_corrupt_notebook_is_reported_but_costs_no_points(batch):
    results = json.loads((batch["out"] / "alice" / "results.json").read_text())
    assert results["score"] == 100
    assert "01_loss_functions.ipynb is not a readable notebook" in results["output"]


def test_results_json_follows_gradescope_and_hidden_tests_show_no_expected_values(batch):
    results = json.loads((batch["out"] / "carol" / "results.json").read_text())
    assert set(results) >= {"score", "tests", "output", "visibility"}
    assert sorted(t["name"] for t in results["tests"]) == sorted(TESTS)
    statuses = [t["status"] for t in results["tests"]]
    assert "passed" in statuses and statuses == sorted(statuses)  # "failed" < "passed": the failed ones first
    for test in results["tests"]:
        assert set(test) >= {"name", "score", "max_score", "status", "output", "visibility"}
        assert test["status"] in ("passed", "failed")
        if test["visibility"] != "visible":
            assert "expected:" not in test["output"] and "inputs:" not in test["output"]


def test_visible_failures_show_inputs_expected_and_returned_values(tmp_path):
    submitted = tmp_path / "submitted"
    make_submission(submitted, "dave", append={"regularization.py": """
        def l2_penalty(W):
            return float(np.sum(W * W)), W.copy()
        """})
    assert grade(submitted, tmp_path / "out", "--quiet").returncode == 0
    tests = {t["name"]: t for t in json.loads((tmp_path / "out" / "dave" / "results.json").read_text())["tests"]}
    visible = tests["regularization.l2_penalty.gradient"]
    assert visible["visibility"] == "visible" and visible["score"] == 0
    assert "expected:" in visible["output"] and "got:" in visible["output"] and "W = array" in visible["output"]
    hidden = tests["regularization.l2_penalty.gradient.edge_cases"]
    # A hidden test shows its likely cause (the sentence of checks/mistakes.py), never its values.
    cause = load_reference().module("checks.mistakes").MISTAKES["l2_gradient_is_W"]
    assert hidden["visibility"] == "after_published" and cause in hidden["output"]
    assert "expected:" not in hidden["output"]


def test_feedback_pages_summary_and_seeds_are_written(batch):
    out = batch["out"]
    for student in ("alice", "bob", "carol"):
        assert "loss_optimization: " + student in (out / student / "feedback.html").read_text()
    summary = (out / "summary.html").read_text()
    assert summary.count("data:image/png;base64,") == 2
    with open(out / "seeds.csv", newline="") as handle:
        assert [row["student_id"] for row in csv.DictReader(handle)] == ["alice", "bob", "carol"]


def test_progress_is_shown_on_stderr(batch):
    assert "3/3" in batch["completed"].stderr


def test_nothing_under_submitted_is_modified(batch):
    assert tree_snapshot(batch["submitted"]) == batch["before"]


def test_regrading_with_the_same_seed_gives_the_same_grades(batch):
    again = batch["root"] / "again"
    assert grade(batch["submitted"], again, "--jobs", "1", "--seed", "5", "--quiet").returncode == 0
    assert (again / "grades.csv").read_bytes() == (batch["out"] / "grades.csv").read_bytes()


def test_an_lms_zip_of_the_batch_grades_like_the_folder(batch):
    archive = batch["root"] / "download.zip"
    with zipfile.ZipFile(archive, "w") as handle:
        for path in sorted(batch["submitted"].rglob("*")):
            if path.is_file() and not path.is_symlink():
                handle.write(path, "submitted/" + path.relative_to(batch["submitted"]).as_posix())
    out = batch["root"] / "from-zip"
    completed = grade(archive, out, "--seed", "5", "--quiet")
    assert completed.returncode == 0, completed.stderr
    folder_rows = [r for r in read_grades(batch["out"]) if r["student_id"] != "carol"]
    zip_rows = [r for r in read_grades(out) if r["student_id"] != "carol"]
    assert zip_rows == folder_rows


@pytest.mark.parametrize("layout", ["missing", "empty", "out_inside", "not_a_zip"])
def test_grading_that_cannot_run_exits_2_with_a_clear_message(tmp_path, layout):
    submitted = tmp_path / "submitted"
    out = tmp_path / "out"
    if layout == "empty":
        submitted.mkdir()
    elif layout == "out_inside":
        make_submission(submitted, "erin")
        out = submitted / "graded"
    elif layout == "not_a_zip":
        submitted = tmp_path / "grades.txt"
        submitted.write_text("not a zip")
    completed = grade(submitted, out, "--quiet")
    assert completed.returncode == 2
    assert completed.stderr.startswith("grading could not run:")
    if layout == "out_inside":
        assert not out.exists()


@pytest.mark.parametrize("option", ["--timeout", "--import-timeout"])
def test_a_time_limit_that_is_not_positive_is_refused_by_name(tmp_path, option):
    make_submission(tmp_path / "submitted", "erin")
    completed = grade(tmp_path / "submitted", tmp_path / "out", "--quiet", option, "0")
    assert completed.returncode == 2
    assert f"{option} must be a positive number of seconds, got 0.0" in completed.stderr


#: An l2_penalty that holds 400 MB while it computes: within the default memory limit of a process, not within 300 MB.
HOLDS_400_MB = {"regularization.py": """
    def l2_penalty(W):
        held = np.ones(50_000_000)
        return float(np.sum(W * W)) + 0 * held[0], 2 * W
    """}


@pytest.mark.parametrize("limit, status, message", [
    ((), "passed", ""),
    (("--memory-mb", "300"), "error", "ran out of memory (MemoryError (regularization.py line"),
])
def test_the_memory_limit_given_to_grade_is_the_one_its_sandbox_applies(tmp_path, limit, status, message):
    make_submission(tmp_path / "submitted", "erin", append=HOLDS_400_MB)
    completed = grade(tmp_path / "submitted", tmp_path / "out", "--quiet", "--gradebook", "none", *limit)
    assert completed.returncode == 0, completed.stderr
    rows = [row for row in read_grades(tmp_path / "out") if row["test"].startswith("regularization.l2_penalty.")]
    assert rows and {row["status"] for row in rows} == {status}
    assert all(message in row["message"] for row in rows)


@pytest.mark.parametrize("option, value, message", [
    ("--budget", "0", "--budget must be a positive number of seconds, got 0.0"),
    ("--memory-mb", "0", "--memory-mb must be a positive number of MB, got 0"),
])
def test_a_limit_that_is_not_positive_is_refused_by_name_before_grading(tmp_path, option, value, message):
    make_submission(tmp_path / "submitted", "erin")
    completed = grade(tmp_path / "submitted", tmp_path / "out", "--quiet", option, value)
    assert completed.returncode == 2
    assert message in completed.stderr and not (tmp_path / "out").exists()


def test_a_moodle_download_is_graded_under_the_rosters_ids_and_a_corrupt_upload_costs_only_its_student(tmp_path):
    reference = assignment_folder(tmp_path / "work", "ana")
    download = moodle_download(tmp_path / "moodle.zip", [
        ("Ana Lopez", 1001, {"loss_optimization.zip": assignment_zip(reference)}, None),
        ("Bob Jones", 1002, {"loss_optimization.zip": b"PK\x03\x04 cut short"}, None),
    ])
    roster = tmp_path / "roster.csv"
    roster.write_text("student_id,lms_id,name\nalopez,1001,Ana Lopez\nbjones,1002,Bob Jones\n")
    completed = grade(download, tmp_path / "out", "--roster", str(roster), "--quiet")
    assert completed.returncode == 0, completed.stderr
    assert "Read as an LMS download: 2 students named as Moodle names them." in completed.stderr
    assert scores(read_grades(tmp_path / "out")) == {"alopez": 100, "bjones": 0}
    bob = json.loads((tmp_path / "out" / "bjones" / "results.json").read_text())
    assert ("Bob Jones_1002_assignsubmission_file/loss_optimization.zip is not a readable zip file (File is not a zip "
            "file).") in bob["output"]
    assert str(tmp_path) not in bob["output"]
    with open(tmp_path / "out" / "totals.csv", newline="") as handle:
        totals = {row["student_id"]: row for row in csv.DictReader(handle)}
    assert (totals["alopez"]["name"], totals["alopez"]["lms_id"], totals["alopez"]["code"]) == ("Ana Lopez", "1001", "100")


def test_every_page_states_one_total_in_its_two_parts(batch):
    written = totals_module.written_points()
    sentence = f"Total so far: 100 / {100 + written:g} = code 100 / 100 (autograded) + written answers ? / {written:g}"
    assert sentence in (batch["out"] / "alice" / "feedback.html").read_text()
    assert json.loads((batch["out"] / "alice" / "results.json").read_text())["output"].startswith(sentence)


def test_an_out_that_is_a_file_is_refused_before_anything_is_graded_or_written(tmp_path):
    course_root = tmp_path / "course"
    make_submission(course_root / "submitted", "erin")
    (course_root / "gradebook.db").write_bytes(b"the course's gradebook")
    out = tmp_path / "grades.txt"
    out.write_text("keep me")
    completed = grade(course_root / "submitted", out)
    assert completed.returncode == 2
    assert completed.stderr == (f"grading could not run: --out {out} is a file, not a folder: give a new folder for "
                                "the outputs (it is created).\n")
    assert out.read_text() == "keep me" and (course_root / "gradebook.db").read_bytes() == b"the course's gradebook"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["course", "grades.txt"]


def test_a_stale_out_is_refused_and_with_force_replaced_whole(tmp_path):
    first, second = tmp_path / "first", tmp_path / "second"
    make_submission(first, "erin", "stubs")
    make_submission(second, "frank", "stubs")
    out = tmp_path / "out"
    assert grade(first, out, "--quiet").returncode == 0
    refused = grade(second, out, "--quiet")
    assert refused.returncode == 2
    assert refused.stderr.startswith(f"grading could not run: --out {out} already holds the outputs of an earlier run "
                                     "(.code, .logs, erin, grades.csv, ...): pass --force to replace them whole")
    assert (out / "erin" / "results.json").is_file()
    assert grade(second, out, "--quiet", "--force").returncode == 0
    assert sorted(p.name for p in out.iterdir() if p.is_dir()) == [".code", ".logs", "frank"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["first", "out", "second"]


def test_a_folder_that_is_not_an_output_of_the_autograder_is_never_replaced(tmp_path):
    make_submission(tmp_path / "submitted", "erin", "stubs")
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "todo.txt").write_text("mine")
    completed = grade(tmp_path / "submitted", tmp_path / "notes", "--force")
    assert completed.returncode == 2 and "holds files that are not an output of the autograder" in completed.stderr
    assert (tmp_path / "notes" / "todo.txt").read_text() == "mine"


def test_a_real_batch_leads_with_what_to_fix_counts_mistakes_and_keeps_the_graded_code(tmp_path):
    """Graded in the sandbox: the failed tests come first with the line of the student's function, the class
    view names the mistake, and .code/ keeps the modules the similarity pass compares."""
    from support.graded_class import bug_patch

    _, _, bug = bug_patch("svm_naive_counts_correct_class")
    submitted = tmp_path / "submitted"
    make_submission(submitted, "erin", append={"losses.py": bug})
    make_submission(submitted, "frank")
    assert grade(submitted, tmp_path / "out", "--quiet").returncode == 0
    out = tmp_path / "out"
    erin_losses = (out / ".code" / "erin" / "linear_classifier" / "losses.py").read_text()
    line = erin_losses.splitlines().index("def svm_loss_naive(W, X, y, reg):", 30) + 1  # the appended one
    tests = json.loads((out / "erin" / "results.json").read_text())["tests"]
    assert tests[0]["status"] == "failed" and tests[0]["name"].startswith("losses.svm_loss_naive.")
    assert f"linear_classifier/losses.py, line {line}: svm_loss_naive" in tests[0]["output"]
    page = (out / "erin" / "feedback.html").read_text()
    assert page.index("failed-test") < page.index('id="passed-heading"')
    with open(out / "mistakes.csv", newline="", encoding="utf-8") as handle:
        (row,) = list(csv.DictReader(handle))
    assert (row["mistake"], row["students"], row["student_ids"]) == ("svm_correct_class_counted", "1", "erin")
    assert "svm_correct_class_counted" in (out / "summary.html").read_text()
