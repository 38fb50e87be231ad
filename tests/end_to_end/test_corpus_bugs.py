"""The plausible-bug corpus: every bug loses points on its own function, with a diagnosis that names the mistake.

All bugs are graded in one batch by the real command line (``python -m autograder grade --jobs 2``),
beside the unchanged reference, which must keep full marks.
"""

import pytest

from corpus.build import CONTROL_CASE, CORPUS_DIR, describe, judge, load_cases, shared_record

BUGS = load_cases(CORPUS_DIR, kinds=("bug",))


@pytest.fixture(scope="module")
def batch(request, tmp_path_factory):
    return shared_record("corpus-bugs", request, tmp_path_factory)


def test_the_corpus_has_at_least_30_bugs_each_with_a_diagnosis():
    assert len(BUGS) >= 30
    assert all(case.lose and case.diagnosis for case in BUGS)


def test_grading_the_bug_batch_exits_0_and_writes_grades(batch):
    assert batch["returncode"] == 0, batch["stderr"]
    assert batch["grades_error"] is None, batch["grades_error"]


def test_the_reference_graded_beside_the_bugs_keeps_full_marks(batch):
    rows = batch["grades"].get(CONTROL_CASE, [])
    assert rows, "no grades for the reference student"
    assert [describe(row) for row in rows if row["score"] < row["max_score"]] == []


@pytest.mark.parametrize("case", BUGS, ids=lambda case: case.id)
def test_bug_loses_points_on_its_function_with_a_useful_diagnosis(batch, case):
    problems = judge(case, batch["grades"].get(case.id, []))
    assert not problems, f"{case.title}:\n  " + "\n  ".join(problems)


def rows_for(scores, message="likely cause: the loss is exactly 1 too high per example"):
    """grades.csv rows of one student: {test: (score, max_score)}."""
    return [{"student_id": "s", "test": test, "score": score, "max_score": worth,
             "status": "passed" if score == worth else "failed", "message": "" if score == worth else message}
            for test, (score, worth) in scores.items()]


@pytest.mark.parametrize("scores, message, complaint", [
    ({"losses.svm_loss_naive.loss": (2, 2), "optim.sgd.one_step": (1, 1)}, "", "should lose points"),
    ({"losses.svm_loss_naive.loss": (0, 2), "optim.sgd.one_step": (1, 1)}, "the loss is wrong", "diagnosis"),
    ({"losses.svm_loss_naive.loss": (0, 2), "optim.sgd.one_step": (0, 1)}, "1 too high", "keep full marks"),
], ids=["kept full marks", "no diagnosis", "lost elsewhere too"])
def test_the_judge_rejects_grades_that_miss_a_bug(scores, message, complaint):
    bug = next(case for case in BUGS if case.id == "svm_naive_counts_correct_class")
    problems = judge(bug, rows_for(scores, message))
    assert any(complaint in problem for problem in problems), problems


def test_the_judge_accepts_grades_that_catch_a_bug():
    bug = next(case for case in BUGS if case.id == "svm_naive_counts_correct_class")
    scores = {"losses.svm_loss_naive.loss": (0, 2), "losses.svm_loss_naive.gradient": (2, 2),
              "optim.sgd.one_step": (1, 1)}
    assert judge(bug, rows_for(scores)) == []
