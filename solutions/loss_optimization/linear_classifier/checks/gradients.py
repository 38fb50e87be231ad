"""Visible checks of ``linear_classifier/gradients.py`` (given, not student work).

The test functions are polynomials whose gradients, and whose centered and
forward differences, are known in closed form: the expected values and the
tables the diagnoses compare with need no numerical differentiation here
(which would be the student's task).
"""

import numpy as np

from . import tolerances
from .diagnosis import diagnose_gradient_check, diagnose_numerical_gradient
from .mistakes import hint
from .numerics import DEFAULT_STEP, drawn_at_random, restored
from .report import CheckFailed, close, passed, quiet_numerics


def _default(function, name):
    """``function`` if given, else the student's ``linear_classifier.gradients.<name>`` looked up now.

    Looking it up at call time picks up edits that autoreload has loaded.
    """
    if function is not None:
        return function
    from .. import gradients

    return getattr(gradients, name)


class _Cubic:
    """f(x) = sum(c * x**3) on an array of any shape, with its exact gradient and its finite differences."""

    def __init__(self, coefficients):
        self.coefficients = coefficients

    def __call__(self, x):
        return float(np.sum(self.coefficients * np.asarray(x) ** 3))

    def gradient(self, x):
        return 3 * self.coefficients * x ** 2

    def centered(self, x, h=DEFAULT_STEP):
        # ((x + h)^3 - (x - h)^3) / (2h) = 3x^2 + h^2 exactly: what a centered difference must give.
        return self.gradient(x) + self.coefficients * h ** 2

    def forward(self, x, h=DEFAULT_STEP):
        # ((x + h)^3 - x^3) / h = 3x^2 + 3xh + h^2.
        return self.coefficients * (3 * x ** 2 + 3 * x * h + h ** 2)


class _SumOfSquares:
    """f(x) = sum(x**2): centered differences give 2x exactly, forward ones 2x + h."""

    def __call__(self, x):
        return float(np.sum(np.asarray(x) ** 2))

    def gradient(self, x):
        return 2 * x

    def centered(self, x, h=DEFAULT_STEP):
        return 2 * x

    def forward(self, x, h=DEFAULT_STEP):
        return 2 * x + h


def _sum_of_fourth_powers(x):
    return float(np.sum(np.asarray(x) ** 4))


def _fourth_power_differences(x, h=DEFAULT_STEP):
    """The centered and forward differences of sum(x**4): 4x^3 + 4xh^2, and 4x^3 + 6x^2h + 4xh^2 + h^3."""
    return 4 * x ** 3 + 4 * x * h ** 2, 4 * x ** 3 + 6 * x ** 2 * h + 4 * x * h ** 2 + h ** 3


def _relative(numeric, analytic, denominator):
    return np.abs(numeric - analytic) / np.maximum(tolerances.RELATIVE_ERROR_FLOOR, denominator)


def _fourth_power_tables(x, analytic):
    """The relative error at every entry of x for sum(x**4), right and as the common mistakes compute it."""
    centered, forward = _fourth_power_differences(x)
    return {
        "per_entry": _relative(centered, analytic, np.abs(centered) + np.abs(analytic)),
        "forward": _relative(forward, analytic, np.abs(forward) + np.abs(analytic)),
        "signed": _relative(centered, analytic, np.abs(centered + analytic)),
        "absolute": np.abs(centered - analytic),
    }


def _run_numerical_gradient(eval_numerical_gradient, f, x, **kwargs):
    """Call the student's function on ``x``; return the result as an array and whether ``x`` changed."""
    before = x.copy()
    got = eval_numerical_gradient(f, x, **kwargs)
    modified = not restored(before, x)
    x[...] = before
    return (np.asarray(got, dtype=float) if got is not None else np.asarray(np.nan)), modified


def check_eval_numerical_gradient(eval_numerical_gradient=None):
    """Check ``eval_numerical_gradient`` on functions whose gradients are known exactly.

    Parameters
    ----------
    eval_numerical_gradient : callable or None
        The function to check; by default ``linear_classifier.gradients.eval_numerical_gradient``.

    Raises
    ------
    CheckFailed
        With the expected and returned gradients and the likely mistake.
    """
    function = _default(eval_numerical_gradient, "eval_numerical_gradient")
    rng = np.random.default_rng(231)
    cubic = _Cubic(rng.uniform(0.5, 2.0, size=(2, 3, 4)))
    cases = [
        ("f(x) = sum(x**2) on a vector: the gradient is 2x",
         _SumOfSquares(), np.array([0.3, -0.7, 0.05, 1.2, -0.02]), _SumOfSquares().gradient),
        ("f(x) = sum(c * x**3) on a 3-D array of shape (2, 3, 4): the gradient is 3 c x**2",
         cubic, rng.uniform(-1.0, 1.0, size=(2, 3, 4)), cubic.gradient),
    ]
    with quiet_numerics():
        for description, f, x, exact in cases:
            got, modified = _run_numerical_gradient(function, f, x)
            hints = diagnose_numerical_gradient(
                got, centered=f.centered(x), forward=f.forward(x), modified_input=modified,
            )
            if modified:
                raise CheckFailed(
                    f"eval_numerical_gradient must leave x with its original values ({description})",
                    hints=hints,
                )
            if not close(got, exact(x), relative=tolerances.NUMERICAL_GRADIENT_RELATIVE,
                         absolute=tolerances.NUMERICAL_GRADIENT_ABSOLUTE):
                raise CheckFailed(f"eval_numerical_gradient: {description}", expected=exact(x), got=got, hints=hints)
            passed(f"eval_numerical_gradient: {description}")
        passed("eval_numerical_gradient: x holds its original values afterwards")

        step = 1e-2
        x = rng.uniform(-1.0, 1.0, size=(2, 3, 4))
        got, _ = _run_numerical_gradient(function, cubic, x, h=step)
        if not close(got, cubic.centered(x, step)):
            hints = diagnose_numerical_gradient(
                got, centered=cubic.centered(x, step), forward=cubic.forward(x, step),
                modified_input=False, centered_default=cubic.centered(x, DEFAULT_STEP),
            )
            raise CheckFailed(
                f"eval_numerical_gradient(f, x, h={step}) on the cubic: the centered difference with this h "
                "is 3 c x**2 + c h**2",
                expected=cubic.centered(x, step), got=got, hints=hints,
            )
        passed(f"eval_numerical_gradient: uses the step it is given (h = {step})")


def _reported_errors(grad_check_sparse, f, x, analytic, **kwargs):
    """Call the student's grad_check_sparse; return its errors as an array and whether ``x`` changed."""
    before = x.copy()
    errors = grad_check_sparse(f, x, analytic, **kwargs)
    modified = not restored(before, x)
    x[...] = before
    return np.asarray(errors, dtype=float), modified


#: The point and gradients of the grad_check_sparse checks: x of magnitude 0.1..0.3, large enough that centered
#: differences of sum(x**4) are accurate to ~1e-8, small enough that a forward difference is off by more than the
#: gradient-check threshold.
_SPARSE_SHAPE = (2, 3, 4)


def check_grad_check_sparse(grad_check_sparse=None):
    """Check ``grad_check_sparse`` on f(x) = sum(x**4), with a right and a deliberately wrong gradient.

    Parameters
    ----------
    grad_check_sparse : callable or None
        The function to check; by default ``linear_classifier.gradients.grad_check_sparse``.

    Raises
    ------
    CheckFailed
        With the expected and returned errors and the likely mistake.
    """
    function = _default(grad_check_sparse, "grad_check_sparse")
    rng = np.random.default_rng(5)
    x = rng.choice([-1.0, 1.0], size=_SPARSE_SHAPE) * rng.uniform(0.1, 0.3, size=_SPARSE_SHAPE)
    right = 4 * x ** 3
    with quiet_numerics():
        _check_sparse_form(function, x, right)
        _check_sparse_right_gradient(function, x, right)
        _check_sparse_wrong_gradient(function, x, right)
        errors, _ = _reported_errors(function, lambda x: 3.0, x, np.zeros(x.shape), num_checks=5, seed=3)
        if not (np.all(np.isfinite(errors)) and np.all(errors == 0)):
            raise CheckFailed(
                "grad_check_sparse on a constant f with a zero analytic gradient: both gradients are 0, the error is 0",
                expected=np.zeros(5), got=errors,
                hints=diagnose_gradient_check(errors, num_checks=5, per_entry=np.zeros(1)),
            )
        passed("grad_check_sparse: the error is 0 where both gradients are 0")


def _check_sparse_form(function, x, right):
    """One error per check (the default num_checks too), x left as it was."""
    for kwargs, num_checks in (({"num_checks": 7, "seed": 0}, 7), ({"seed": 0}, 10)):
        errors, modified = _reported_errors(function, _sum_of_fourth_powers, x, right, **kwargs)
        if modified:
            raise CheckFailed("grad_check_sparse must leave x with its original values",
                              hints=[hint("x_not_restored")])
        if errors.shape != (num_checks,):
            call = ", ".join(f"{key}={value}" for key, value in kwargs.items())
            raise CheckFailed(
                f"grad_check_sparse(f, x, analytic_grad, {call}) must return one relative error per check",
                expected=f"an array of shape ({num_checks},)", got=f"shape {errors.shape}",
                hints=diagnose_gradient_check(errors, num_checks=num_checks, per_entry=np.zeros(1)),
            )
    passed("grad_check_sparse: returns one relative error per check (num_checks = 7, and 10 by default)")
    passed("grad_check_sparse: x holds its original values afterwards")


def _check_sparse_right_gradient(function, x, right):
    threshold = tolerances.GRADIENT_CHECK
    errors, _ = _reported_errors(function, _sum_of_fourth_powers, x, right, num_checks=10, seed=1)
    if not np.all(errors < threshold):
        raise CheckFailed(
            f"grad_check_sparse with the right gradient 4 x**3 of f(x) = sum(x**4): every error below {threshold:g}",
            expected=f"errors below {threshold:g}", got=errors,
            hints=diagnose_gradient_check(errors, num_checks=10, **_fourth_power_tables(x, right)),
        )
    passed(f"grad_check_sparse: errors below {threshold:g} for the right gradient 4 x**3 of sum(x**4)")


def _check_sparse_wrong_gradient(function, x, right):
    """Each error is the error at a randomly drawn entry, and the same seed draws the same entries."""
    # Wrong by a different factor at every entry, so that each entry has its own error, and with the wrong sign
    # at three of them (error 1), so that a denominator |num + ana| shows; 40 checks all but surely meet one.
    factors = np.linspace(1.5, 3.0, x.size) * np.where(np.isin(np.arange(x.size), (2, 11, 19)), -1.0, 1.0)
    wrong = right * factors.reshape(x.shape)
    num_checks = 40
    tables = _fourth_power_tables(x, wrong)
    errors, _ = _reported_errors(function, _sum_of_fourth_powers, x, wrong, num_checks=num_checks, seed=2)
    if not drawn_at_random(errors, tables["per_entry"]):
        raise CheckFailed(
            f"grad_check_sparse with a wrong gradient (4 x**3 times a factor between -3 and 3), {num_checks} "
            "checks: each error must be |num - ana| / max(1e-8, |num| + |ana|) at a randomly drawn entry of x",
            expected=np.unique(tables["per_entry"]), got=errors,
            hints=diagnose_gradient_check(errors, num_checks=num_checks, **tables),
        )
    passed("grad_check_sparse: a wrong gradient gives large errors, |num - ana| / max(1e-8, |num| + |ana|) at entries of x")

    again, _ = _reported_errors(function, _sum_of_fourth_powers, x, wrong, num_checks=num_checks, seed=2)
    if not np.array_equal(errors, again):
        raise CheckFailed("grad_check_sparse called twice with seed=2 must check the same entries",
                          expected=errors, got=again, hints=[hint("seed_ignored")])
    passed("grad_check_sparse: the same seed checks the same entries")
