"""The gradient functions' tests: numerical gradients and sparse gradient checks.

The functions handed to student code are polynomials the trusted grader
knows everywhere (:func:`autograder.calls.runners.make_function`); finite
differences and error tables come from :mod:`.differences` (grader-side only:
they do the students' tasks), and "is this error the error at some entry" from
the reference's ``checks/numerics.py``, shared with the notebooks.
"""

import numpy as np

from ..calls import runners
from . import differences
from .model import Failure, seeded_rng
from .shared import check_inputs_unmodified, check_x_restored

#: name, label, shape, h
NUMERICAL_GRADIENT_SETS = (
    ("basic", "x of shape (3, 4)", (3, 4), None),
    ("vector", "a 1-D x of shape (7,)", (7,), None),
    ("tensor", "a 3-D x of shape (2, 3, 2)", (2, 3, 2), None),
    ("single", "x with a single entry", (1,), None),
    ("wide_step", "a larger step h = 1e-3", (4, 3), 1e-3),
)


def numerical_gradient_inputs(seed, name):
    """x and a cubic f whose forward differences differ clearly from centered ones."""
    _, _, shape, h = next(s for s in NUMERICAL_GRADIENT_SETS if s[0] == name)
    rng = seeded_rng(seed, "numgrad:" + name)
    x = rng.uniform(0.05, 0.5, shape) * rng.choice([-1.0, 1.0], shape)
    function = {"a": rng.uniform(-1, 1, shape), "b": rng.uniform(2, 5, shape) * rng.choice([-1.0, 1.0], shape),
                "c": rng.uniform(-1, 1, shape)}
    return {"x": x, "h": h, "function": function}


#: name, label, shape, num_checks, h, entries where both gradients are 0, entries of the opposite sign
GRAD_CHECK_SETS = (
    ("basic", "x of shape (5, 4), 10 checks", (5, 4), 10, None, 0, 1),
    ("wide_step", "a larger step h = 1e-3", (6,), 8, 1e-3, 0, 0),
    ("tensor", "a 3-D x, 15 checks", (2, 3, 4), 15, None, 0, 1),
    ("zero_entries", "entries where the numerical and analytic gradients are both 0, 40 checks", (4, 4), 40, None,
     3, 0),
    ("many_checks", "60 checks on 9 entries", (3, 3), 60, None, 0, 2),
)
#: The relative errors of the other entries are distinct and spread from 1e-4 to 0.5 (log-spaced): a forward
#: difference changes the small ones far beyond the matching tolerance.
GRAD_CHECK_ERRORS = (1e-4, 0.5)


def grad_check_inputs(seed, name):
    """A quadratic f (centered differences are exact), x, and an analytic gradient whose relative error is
    different at every entry.

    Errors of exactly 0 (both gradients 0) and exactly 1 (opposite signs, where a denominator |num + ana| shows)
    occur at so few entries that uniform draws all landing there are far less likely than
    ``tolerances.RANDOM_ENTRIES_CHANCE``: a constant 0 or 1, or one entry's error repeated, earns nothing.
    """
    _, _, shape, num_checks, h, zeros, opposite = next(s for s in GRAD_CHECK_SETS if s[0] == name)
    rng = seeded_rng(seed, "gradcheck:" + name)
    x = rng.uniform(-1, 1, shape)
    b = rng.uniform(1, 4, shape) * rng.choice([-1.0, 1.0], shape)
    c = rng.uniform(-1, 1, shape)
    gradient = 2 * b * x + c
    # Keep gradients away from 0, where rounding would make relative errors meaningless.
    small = np.abs(gradient) < 0.2
    c[small] += np.where(gradient[small] >= 0, 0.5, -0.5)
    gradient = 2 * b * x + c
    # analytic = factor * gradient has the relative error |1 - factor| / (1 + factor) for a positive factor.
    size = int(np.prod(shape))
    errors = rng.permutation(np.geomspace(*GRAD_CHECK_ERRORS, size))
    factors = np.where(rng.random(size) < 0.5, (1 - errors) / (1 + errors), (1 + errors) / (1 - errors))
    special = rng.permutation(size)
    factors[special[:opposite]] = -rng.uniform(0.25, 4.0, opposite)
    analytic = factors.reshape(shape) * gradient
    # Entries f does not depend on: both gradients are exactly 0, the error is 0 by convention.
    unused = np.zeros(size, dtype=bool)
    unused[special[opposite:opposite + zeros]] = True
    unused = unused.reshape(shape)
    b[unused] = c[unused] = analytic[unused] = 0.0
    function = {"a": np.zeros(shape), "b": b, "c": c}
    return {"x": x, "analytic_grad": analytic, "function": function, "num_checks": num_checks, "h": h,
            "seed": int(rng.integers(2 ** 31)), "repeat": 2}


def _step(args, judge):
    return args["h"] if args.get("h") is not None else judge.numerics.DEFAULT_STEP


# -- checks -------------------------------------------------------------------------------------------------------


def check_numerical_gradient(judge, case, got):
    expected = judge.expected(case)["grad"]
    grad = got["grad"]
    if grad.shape == expected.shape and judge.close(grad, expected):
        return None
    f, x = runners.make_function(case.args["function"]), case.args["x"]
    hints = judge.diagnosis.diagnose_numerical_gradient(
        grad, centered=expected, forward=differences.forward_difference(f, x, _step(case.args, judge)),
        modified_input=not judge.numerics.restored(x, got["x"]))
    return Failure("the numerical gradient is wrong", hints, expected, grad)


def _error_tables(judge, case):
    """Relative errors at every entry of x: right, and as common mistakes would compute them."""
    def compute():
        args = case.args
        f = runners.make_function(args["function"])
        return differences.error_tables(f, args["x"], args["analytic_grad"], _step(args, judge))

    return judge.cached(("grad-check-tables",) + case.reference, compute)


def check_grad_check_errors(judge, case, got):
    errors, num_checks = got["errors"], case.args["num_checks"]
    tables = _error_tables(judge, case)
    per_entry = tables["per_entry"].reshape(-1)
    shown = np.unique(np.round(per_entry, 6))
    if errors.shape == (num_checks,) and judge.numerics.drawn_at_random(errors, per_entry):
        return None
    hints = judge.diagnosis.diagnose_gradient_check(errors, num_checks=num_checks, **tables)
    if errors.shape == (num_checks,) and judge.numerics.explained(errors, per_entry):
        return Failure("the reported errors are those of the same few entries, not of randomly drawn ones", hints,
                       shown, errors)
    return Failure("the reported relative errors are not the errors at any entries of x", hints, shown, errors)


def check_grad_check_seed(judge, case, got):
    if got["errors"].shape == got["repeated"].shape and np.array_equal(got["errors"], got["repeated"]):
        return None
    # The second call saw whatever x the first left behind: then that, not the seed, is what the evidence shows.
    mistake = "seed_ignored" if judge.numerics.restored(case.args["x"], got["x"]) else "x_not_restored"
    return Failure("two calls with the same seed reported different errors", [judge.mistakes.hint(mistake)])


def check_grad_check_inputs(judge, case, got):
    if not judge.numerics.restored(case.args["x"], got["x"]):
        return Failure("x was not restored", [judge.mistakes.hint("x_not_restored")])
    return check_inputs_unmodified("analytic_grad")(judge, case, got)


# -- the plan -------------------------------------------------------------------------------------------------------


def add_numerical_gradient_tests(plan, function):
    group, (runner,) = function.group, function.runners
    keys = {name: plan.case(group, name, runner, label, numerical_gradient_inputs(plan.seed, name))
            for name, label, _, _ in NUMERICAL_GRADIENT_SETS}
    plan.test(group, "values", False, "centered differences on an x of shape (3, 4)", [keys["basic"]],
              check_numerical_gradient)
    plan.test(group, "any_shape", True, "1-D, 3-D and single-entry x, and a larger h",
              [keys[n] for n in ("vector", "tensor", "single", "wide_step")], check_numerical_gradient)
    plan.test(group, "restores_x", True, "x holds its original values afterwards", list(keys.values()),
              check_x_restored, returned_only=True, requires=(f"{group}.values", f"{group}.any_shape"))


def add_grad_check_tests(plan, function):
    group, (runner,) = function.group, function.runners
    keys = {name: plan.case(group, name, runner, label, grad_check_inputs(plan.seed, name))
            for name, label, *_ in GRAD_CHECK_SETS}
    plan.test(group, "errors", False, "each reported error is the relative error at some entry of x",
              [keys["basic"]], check_grad_check_errors)
    plan.test(group, "edge_cases", True, "a larger h, a 3-D x, entries where both gradients are 0, many checks",
              [keys[n] for n in ("wide_step", "tensor", "zero_entries", "many_checks")], check_grad_check_errors)
    plan.test(group, "seed", True, "the same seed gives the same errors", list(keys.values()), check_grad_check_seed,
              requires=(f"{group}.errors", f"{group}.edge_cases"))
    plan.test(group, "inputs_unmodified", True, "x is restored and analytic_grad unchanged", list(keys.values()),
              check_grad_check_inputs, returned_only=True, requires=(f"{group}.errors", f"{group}.edge_cases"))


#: The kinds of gradient function this module grades (:attr:`autograder.graded.GradedFunction.kind`).
ADD_TESTS = {"numerical_gradient": add_numerical_gradient_tests, "grad_check": add_grad_check_tests}
