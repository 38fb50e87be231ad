"""Cheating and faulty submissions, graded in one batch with alternative correct ones, in both sandbox modes.

Each cheat gains nothing, each fault costs only the tests it affects (with a status and message that
say what happened), and nothing a submission does reaches the grader, the other students, the disk
outside its sandbox, the network, or outlives grading; no secret of the grader's environment and no
control character reaches an output. The batch is graded by a root grader (a uid per sandbox) and by a
normal user's (user namespaces), a user the tests create: CI runs as root.
"""

import html
import json
import os
import re
from pathlib import Path

import pytest

from autograder.release import secret_lines
from corpus.build import (
    CONTROL_CASE, CORPUS_DIR, REFERENCE_ASSIGNMENT, describe, judge, load_cases, matches, shared_record,
)

CHEATS = load_cases(CORPUS_DIR, kinds=("cheat",))
FAULTS = load_cases(CORPUS_DIR, kinds=("fault",))
#: Lines this short ("loss /= num_train") may be written by anyone; longer ones identify the reference.
SECRET_MIN_LENGTH = 20


@pytest.fixture(scope="module", params=["root grader", "normal-user grader"])
def batch(request, tmp_path_factory):
    if os.geteuid() != 0:
        if request.param == "root grader":
            pytest.skip("the root grader's mode needs the tests to run as root (CI does)")
        return shared_record("corpus-mixed", request, tmp_path_factory)
    return shared_record("corpus-mixed" if request.param == "root grader" else "corpus-mixed-as-user", request,
                         tmp_path_factory)


def test_grading_the_mixed_batch_exits_0_and_writes_grades(batch):
    assert batch["returncode"] == 0, batch["stderr"]
    assert batch["grades_error"] is None, batch["grades_error"]


def test_every_student_gets_a_row_for_every_test(batch):
    tests = {student: sorted(row["test"] for row in rows) for student, rows in batch["grades"].items()}
    expected = tests.get(CONTROL_CASE)
    assert expected, "no grades for the reference student"
    assert {student: names for student, names in tests.items() if names != expected} == {}


def test_the_correct_student_in_the_same_batch_keeps_full_marks(batch):
    rows = batch["grades"].get(CONTROL_CASE, [])
    assert rows and [describe(row) for row in rows if row["score"] < row["max_score"]] == []


@pytest.mark.parametrize("case", CHEATS, ids=lambda case: case.id)
def test_cheat_gains_nothing(batch, case):
    problems = judge(case, batch["grades"].get(case.id, []))
    assert not problems, f"{case.title}:\n  " + "\n  ".join(problems)


@pytest.mark.parametrize("case", FAULTS, ids=lambda case: case.id)
def test_fault_costs_only_the_affected_tests_with_a_clear_status(batch, case):
    rows = batch["grades"].get(case.id, [])
    problems = judge(case, rows)
    lost = [row for row in rows if row["score"] < row["max_score"] and matches(row["test"], case.lose)]
    problems += [f"a lost test needs a status and a message: {describe(row)}"
                 for row in lost if not (row["status"].strip() and row["message"].strip())]
    assert not problems, f"{case.title}:\n  " + "\n  ".join(problems)


def test_grading_leaves_the_submitted_folder_unchanged(batch):
    assert not batch["submitted_changed"]


def test_no_process_started_by_a_submission_outlives_grading(batch):
    assert batch["survivors"] == []


def test_no_submission_writes_outside_its_sandbox(batch):
    assert batch["escapes"] == []


def test_no_submission_reaches_the_network(batch):
    assert batch["network"] == []


def test_results_json_agrees_with_grades_csv_for_every_student(batch):
    out = Path(batch["out"])
    disagreements = []
    for student, rows in batch["grades"].items():
        results = json.loads((out / student / "results.json").read_text(encoding="utf-8"))
        total = sum(test.get("score", 0) for test in results["tests"])
        if abs(results.get("score", total) - total) > 1e-9 or abs(total - sum(row["score"] for row in rows)) > 1e-9:
            disagreements.append(f"{student}: results.json {results.get('score')} vs grades.csv "
                                 f"{sum(row['score'] for row in rows)}")
    assert disagreements == []


def test_feedback_shows_no_line_of_the_reference_solution_the_student_did_not_write(batch):
    secrets = {line for line in secret_lines(REFERENCE_ASSIGNMENT) if len(line) >= SECRET_MIN_LENGTH}
    submitted, out = Path(batch["submitted"]), Path(batch["out"])
    leaks = []
    for student in batch["grades"]:
        own = set()
        for path in (submitted / student).rglob("*"):
            if path.is_file() and not path.is_symlink() and path.suffix in (".py", ".ipynb"):
                own.update(line.strip() for line in path.read_text(encoding="utf-8", errors="replace").splitlines())
        feedback = "\n".join(html.unescape(path.read_text(encoding="utf-8", errors="replace"))
                             for path in (out / student).rglob("*") if path.is_file())
        leaks += [f"{student}: {line}" for line in sorted(secrets - own) if line in feedback]
    assert leaks == []


def _output_files(batch):
    return [path for path in Path(batch["out"]).rglob("*") if path.is_file()]


def test_no_secret_of_the_graders_environment_reaches_any_output(batch):
    leaks = [f"{path}: {secret}" for path in _output_files(batch) for secret in batch["secrets"]
             if secret.encode() in path.read_bytes()]
    assert leaks == []


#: What may not reach a table, a log or a page: control characters but tab and newline, and bidi overrides.
CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def test_no_control_character_reaches_a_table_a_log_or_a_page(batch):
    found = []
    for path in _output_files(batch):
        if path.suffix in (".csv", ".txt", ".html", ".json", ".jsonl"):
            match = CONTROL.search(path.read_text(encoding="utf-8", errors="replace"))
            if match:
                found.append(f"{path}: {match.group()!r}")
    assert found == []


def test_a_notebook_too_large_to_read_is_named_in_the_students_notes(batch):
    results = json.loads((Path(batch["out"]) / "notebook_of_150000_empty_cells" / "results.json").read_text())
    assert "01_loss_functions.ipynb has more than" in results["output"]


def test_a_submission_that_sleeps_under_every_limit_is_cut_by_its_budget_and_the_summary_says_so(batch):
    summary = html.unescape((Path(batch["out"]) / "summary.html").read_text(encoding="utf-8"))
    assert "Submissions cut short" in summary
    assert re.search(r"sleeps_just_under_each_limit: the submission used up its time budget of \d+ s \(imports, "
                     r"calls and restarts together; \d+ s used\)", summary)


def test_what_student_code_printed_without_flushing_reaches_its_log(batch):
    log = (Path(batch["out"]) / ".logs" / "prints_without_flushing.txt").read_text(encoding="utf-8")
    assert "corpus-unflushed-" in log
