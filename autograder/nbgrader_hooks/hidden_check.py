"""The notebooks' hidden tests: ``hidden_check(group)`` runs the autograder's tests of a group in the kernel.

A notebook's autograded test cell ends with::

    ### BEGIN HIDDEN TESTS
    from autograder.nbgrader_hooks import hidden_check
    hidden_check("losses.svm_loss_naive")
    ### END HIDDEN TESTS

so ``nbgrader autograde`` keeps working: the same tests as ``python -m autograder
grade``, run on the student's modules imported in the kernel (the working
directory is the assignment folder) against the reference solution loaded
under a name of its own. A kernel is not a sandbox: the sandboxed ``grade``
run is the one to trust, and it flags notebooks that passed only here.
"""

import contextlib
import importlib
import io
import warnings

import numpy as np

from .. import course
from ..catalogue import Judge, build_plan
from ..course import GROUPS
from ..execution import run_in_process
from ..packages import load_reference
from ..seeds import student_seed


def hidden_check(group):
    """Run every test of ``group`` on the kernel's ``linear_classifier``.

    Prints one ``✓`` line per passed test; raises AssertionError naming each
    failed test with its diagnosis (never an expected value). Writes nothing
    to stderr, which nbgrader would count as a failure.
    """
    __tracebackhide__ = True  # noqa: F841 (IPython hides this frame from tracebacks)
    if group not in GROUPS:
        raise ValueError(f"hidden_check: unknown group {group!r}; the groups are {', '.join(GROUPS)}")
    plan = build_plan(student_seed("nbgrader kernel"), groups=[group])
    reference = load_reference()

    def resolve(module):
        return importlib.import_module(f"{course.PACKAGE}.{module}")

    with contextlib.redirect_stderr(io.StringIO()), np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        outcomes = run_in_process(plan, list(plan.cases), resolve, reference)
        judge = Judge(plan, reference)
        verdicts = [judge.verdict(test, outcomes) for test in plan.tests]
    for verdict in verdicts:
        if verdict.passed:
            print(f"✓ {verdict.name}")
    failed = [verdict for verdict in verdicts if not verdict.passed]
    if failed:
        raise AssertionError("\n".join(f"✗ {v.name} ({v.status}): {v.message}" for v in failed)) from None
