"""What grading promises beyond each test's verdict: feedback cannot be replayed, regrades reproduce, and
sandboxes of different graders on one machine never share a uid."""

import json
import os
import re
import subprocess
import sys
import textwrap

import pytest

from autograder.grading import grade_batch
from autograder.sandbox.isolation import sandbox_uid
from support.submissions import make_submission

#: A naive SVM loss that counts the correct class's margin: its visible test fails and shows the expected loss.
COUNTS_CORRECT_CLASS = """
def svm_loss_naive(W, X, y, reg):
    loss, dW = svm_loss_vectorized(W, X, y, reg)
    return loss + 1.0, dW
"""


def shown_expected_loss(out, student):
    results = json.loads((out / student / "results.json").read_text())
    test = next(t for t in results["tests"] if t["name"] == "losses.svm_loss_naive.loss")
    assert test["status"] == "failed", test
    return float(re.search(r"expected: (\S+)", test["output"]).group(1)), test["output"]


def test_a_resubmission_that_returns_what_its_feedback_showed_is_graded_on_other_inputs(tmp_path):
    first = make_submission(tmp_path / "round1", "alice", append={"losses.py": COUNTS_CORRECT_CLASS})
    grade_batch(tmp_path / "round1", tmp_path / "out1", progress=False, secret="course-secret")
    expected, shown = shown_expected_loss(tmp_path / "out1", "alice")
    replay = f"""
def svm_loss_naive(W, X, y, reg):
    loss, dW = svm_loss_vectorized(W, X, y, reg)
    return {expected!r}, dW  # the value the feedback showed
"""
    make_submission(tmp_path / "round2", "alice", append={"losses.py": replay})
    result = grade_batch(tmp_path / "round2", tmp_path / "out2", progress=False, secret="course-secret")
    verdict = next(row.verdict for row in result.students[0].rows if row.name == "losses.svm_loss_naive.loss")
    assert verdict.status == "failed"
    _, shown_again = shown_expected_loss(tmp_path / "out2", "alice")
    assert shown_again != shown
    assert first.exists()


def test_grading_the_same_files_again_gives_the_same_seed_and_grades(tmp_path):
    make_submission(tmp_path / "submitted", "bob", append={"losses.py": COUNTS_CORRECT_CLASS})
    runs = [grade_batch(tmp_path / "submitted", tmp_path / f"out{i}", progress=False, secret="s") for i in (1, 2)]
    assert runs[0].students[0].seed == runs[1].students[0].seed
    assert (tmp_path / "out1" / "grades.csv").read_bytes() == (tmp_path / "out2" / "grades.csv").read_bytes()
    seeds = (tmp_path / "out1" / "seeds.csv").read_text().splitlines()
    assert seeds[0].endswith(",submission") and seeds[1].split(",")[-1] == runs[0].students[0].digest


HOLD_A_UID = """
import sys
from autograder.sandbox.isolation import sandbox_uid
with sandbox_uid() as uid:
    print(uid, flush=True)
    sys.stdin.readline()
"""


@pytest.mark.skipif(os.geteuid() != 0, reason="sandbox uids are handed out by a root grader only (CI runs as root)")
def test_two_graders_on_one_machine_never_hand_out_the_same_sandbox_uid():
    other = subprocess.Popen([sys.executable, "-c", textwrap.dedent(HOLD_A_UID)], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True)
    try:
        theirs = int(other.stdout.readline())
        with sandbox_uid() as ours:
            assert ours != theirs
    finally:
        other.communicate("done\n", timeout=30)
