"""``autograder.nbgrader_hooks.hidden_check``: the notebooks' hidden tests, run in the kernel's process."""

import subprocess
import textwrap

import pytest

from autograder import catalogue
from autograder.packages import load_reference
from support.submissions import PYTHON, make_submission

SCRIPT = textwrap.dedent("""
    import sys
    from autograder.nbgrader_hooks import hidden_check
    failures = 0
    for group in sys.argv[1:]:
        try:
            hidden_check(group)
        except AssertionError as error:
            failures += 1
            print("FAILED", group)
            print(error)
    print("failures:", failures)
""")


def run_hidden_checks(folder, groups):
    """Run hidden_check for ``groups`` with the working directory in ``folder``, as nbgrader's kernel would."""
    return subprocess.run([str(PYTHON), "-c", SCRIPT, *groups], cwd=folder, capture_output=True, text=True)


def test_reference_passes_every_group_printing_one_check_per_test(tmp_path):
    completed = run_hidden_checks(make_submission(tmp_path, "ref"), catalogue.GROUPS)
    assert completed.stderr == ""
    assert "failures: 0" in completed.stdout
    assert [line[2:] for line in completed.stdout.splitlines() if line.startswith("✓ ")] == \
        catalogue.all_test_names()


def test_stubs_fail_each_group_with_a_message_naming_the_tests(tmp_path):
    completed = run_hidden_checks(make_submission(tmp_path, "stub", "stubs"), ["optim.sgd", "models.Softmax"])
    assert completed.stderr == ""
    assert "failures: 2" in completed.stdout
    assert "✗ optim.sgd.one_step (not_implemented)" in completed.stdout


@pytest.mark.parametrize("code, mistake", [
    ("""
     def softmax_loss_vectorized(W, X, y, reg):
         scores = X @ W
         probs = np.exp(scores) / np.exp(scores).sum(axis=1, keepdims=True)
         loss = -np.log(probs[np.arange(len(y)), y]).mean() + reg * np.sum(W * W)
         probs[np.arange(len(y)), y] -= 1
         return loss, X.T @ probs / len(y) + 2 * reg * W
     """, "exp_overflow"),
    ("""
     import warnings
     _correct = svm_loss_naive
     def svm_loss_naive(W, X, y, reg):
         warnings.warn("a student's warning")
         print("debugging output", file=sys.stderr)
         loss, dW = _correct(W, X, y, reg)
         return loss + 1.0, dW
     import sys
     """, "svm_correct_class_counted"),
])
def test_failures_give_the_diagnosis_without_expected_values_and_nothing_on_stderr(tmp_path, code, mistake):
    folder = make_submission(tmp_path, "student", append={"losses.py": code})
    completed = run_hidden_checks(folder, ["losses.softmax_loss_vectorized", "losses.svm_loss_naive"])
    assert completed.stderr == ""
    assert "failures: 1" in completed.stdout
    assert load_reference().module("checks.mistakes").MISTAKES[mistake] in completed.stdout
    assert "expected" not in completed.stdout


def test_unknown_groups_are_refused_with_the_list_of_groups(tmp_path):
    completed = run_hidden_checks(make_submission(tmp_path, "ref"), ["losses.hinge"])
    assert "unknown group 'losses.hinge'" in completed.stderr
