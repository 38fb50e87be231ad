"""Visible checks of ``linear_classifier/gradients.py`` (given, not student work).

The test functions have gradients known in closed form, so the expected
values need no numerical differentiation from the student's code. The
checks' own finite differences (:func:`centered_difference`,
:func:`forward_difference`) never modify their argument; they also give the
loss checks their expected gradients.
"""

import numpy as np

from . import tolerances
from .diagnosis import diagnose_gradient_check, diagnose_numerical_gradient
from .report import CheckFailed, close, passed, quiet_numerics

#: The step the gradient functions use by default.
DEFAULT_STEP = 1e-5


def centered_difference(f, x, h=DEFAULT_STEP):
    """Gradient of ``f`` at ``x`` by centered differences, evaluated on copies of ``x``.

    Parameters
    ----------
    f : callable
        Takes an array of ``x``'s shape and returns a float.
    x : ndarray of any shape
    h : float

    Returns
    -------
    grad : ndarray of ``x``'s shape, float64
    """
    x = np.array(x, dtype=float)
    grad = np.empty(x.shape)
    for index in np.ndindex(x.shape):
        step = np.zeros(x.shape)
        step[index] = h
        grad[index] = (float(f(x + step)) - float(f(x - step))) / (2 * h)
    return grad


def forward_difference(f, x, h=DEFAULT_STEP):
    """Gradient of ``f`` at ``x`` by forward differences ``(f(x + h) - f(x)) / h``, on copies of ``x``.

    Shapes as in :func:`centered_difference`. Used to recognise a forward
    difference where a centered one was asked for.
    """
    x = np.array(x, dtype=float)
    at_x = float(f(x.copy()))
    grad = np.empty(x.shape)
    for index in np.ndindex(x.shape):
        step = np.zeros(x.shape)
        step[index] = h
        grad[index] = (float(f(x + step)) - at_x) / h
    return grad


def relative_errors(numeric, analytic):
    """Entry-wise ``|num - ana| / (|num| + |ana|)``, 0 where both are 0 (the definition students implement)."""
    numeric = np.asarray(numeric, dtype=float)
    analytic = np.asarray(analytic, dtype=float)
    denominator = np.abs(numeric) + np.abs(analytic)
    safe = np.where(denominator > 0, denominator, 1.0)
    return np.where(denominator > 0, np.abs(numeric - analytic) / safe, 0.0)


def _default(function, name):
    """``function`` if given, else the student's ``linear_classifier.gradients.<name>`` looked up now.

    Looking it up at call time picks up edits that autoreload has loaded.
    """
    if function is not None:
        return function
    from .. import gradients

    return getattr(gradients, name)


class _Cubic:
    """f(x) = sum(c * x**3) on an array of any shape, with its exact gradient and centered difference."""

    def __init__(self, coefficients):
        self.coefficients = coefficients

    def __call__(self, x):
        return float(np.sum(self.coefficients * np.asarray(x) ** 3))

    def gradient(self, x):
        return 3 * self.coefficients * x ** 2

    def centered(self, x, h):
        # ((x + h)^3 - (x - h)^3) / (2h) = 3x^2 + h^2 exactly: what a centered difference must give.
        return self.gradient(x) + self.coefficients * h ** 2


def _sum_of_squares(x):
    return float(np.sum(np.asarray(x) ** 2))


def _sum_of_fourth_powers(x):
    return float(np.sum(np.asarray(x) ** 4))


def _run_numerical_gradient(eval_numerical_gradient, f, x, **kwargs):
    """Call the student's function on ``x``; return the result as an array and whether ``x`` changed."""
    before = x.copy()
    got = eval_numerical_gradient(f, x, **kwargs)
    modified = not np.array_equal(before, x)
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
         _sum_of_squares, np.array([0.3, -0.7, 0.05, 1.2, -0.02]), lambda x: 2 * x),
        ("f(x) = sum(c * x**3) on a 3-D array of shape (2, 3, 4): the gradient is 3 c x**2",
         cubic, rng.uniform(-1.0, 1.0, size=(2, 3, 4)), cubic.gradient),
    ]
    with quiet_numerics():
        for description, f, x, exact in cases:
            got, modified = _run_numerical_gradient(function, f, x)
            hints = diagnose_numerical_gradient(
                got, centered=centered_difference(f, x), forward=forward_difference(f, x), modified_input=modified,
            )
            if modified:
                raise CheckFailed(
                    f"eval_numerical_gradient must leave x with exactly its original values ({description})",
                    hints=hints,
                )
            if not close(got, exact(x), relative=tolerances.NUMERICAL_GRADIENT_RELATIVE,
                         absolute=tolerances.NUMERICAL_GRADIENT_ABSOLUTE):
                raise CheckFailed(f"eval_numerical_gradient: {description}", expected=exact(x), got=got, hints=hints)
            passed(f"eval_numerical_gradient: {description}")
        passed("eval_numerical_gradient: x holds exactly its original values afterwards")

        step = 1e-2
        x = rng.uniform(-1.0, 1.0, size=(2, 3, 4))
        got, _ = _run_numerical_gradient(function, cubic, x, h=step)
        if not close(got, cubic.centered(x, step)):
            hints = diagnose_numerical_gradient(
                got, centered=cubic.centered(x, step), forward=forward_difference(cubic, x, step),
                modified_input=False,
            )
            if close(got, centered_difference(cubic, x, DEFAULT_STEP)):
                hints.append("the argument h was ignored: step by the h the caller passes, not a fixed 1e-5")
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
    modified = not np.array_equal(before, x)
    x[...] = before
    return np.asarray(errors, dtype=float), modified


def _error_tables(f, x, analytic):
    """Per-entry relative errors: correct, and as the common mistakes would report them."""
    numeric = centered_difference(f, x)
    return {
        "per_entry": relative_errors(numeric, analytic),
        "forward": relative_errors(forward_difference(f, x), analytic),
        "signed": np.abs(numeric - analytic) / np.abs(numeric + analytic),
        "absolute": np.abs(numeric - analytic),
    }


def _explained(errors, per_entry):
    """Whether every reported error is the error at some entry of ``x``."""
    per_entry = np.asarray(per_entry, dtype=float).ravel()
    return all(np.any(np.abs(per_entry - e) <= 1e-7 + 1e-5 * np.abs(per_entry)) for e in np.ravel(errors))


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
    shape = (2, 3, 4)
    # Entries of magnitude 0.1..0.3: large enough that centered differences are accurate to ~1e-8,
    # small enough that a forward difference is off by more than the gradient-check threshold.
    x = rng.choice([-1.0, 1.0], size=shape) * rng.uniform(0.1, 0.3, size=shape)
    f = _sum_of_fourth_powers
    right = 4 * x ** 3
    # Wrong by a different factor at every entry, and with the wrong sign at every third one, so that
    # each entry has its own error and a denominator |num + ana| shows.
    factors = np.linspace(1.5, 3.0, x.size) * np.where(np.arange(x.size) % 3 == 0, -1.0, 1.0)
    wrong = right * factors.reshape(shape)
    threshold = tolerances.GRADIENT_CHECK
    with quiet_numerics():
        for kwargs, num_checks in (({"num_checks": 7, "seed": 0}, 7), ({"seed": 0}, 10)):
            errors, modified = _reported_errors(function, f, x, right, **kwargs)
            if modified:
                raise CheckFailed(
                    "grad_check_sparse must leave x with exactly its original values",
                    hints=["put each entry back to its old value after evaluating f(x + h) and f(x - h)"],
                )
            if errors.shape != (num_checks,):
                call = ", ".join(f"{key}={value}" for key, value in kwargs.items())
                raise CheckFailed(
                    f"grad_check_sparse(f, x, analytic_grad, {call}) must return one relative error per check",
                    expected=f"an array of shape ({num_checks},)", got=f"shape {errors.shape}",
                    hints=diagnose_gradient_check(errors, num_checks=num_checks, per_entry=np.zeros(1)),
                )
        passed("grad_check_sparse: returns one relative error per check (num_checks = 7, and 10 by default)")
        passed("grad_check_sparse: x holds exactly its original values afterwards")

        errors, _ = _reported_errors(function, f, x, right, num_checks=10, seed=1)
        if not np.all(errors < threshold):
            raise CheckFailed(
                "grad_check_sparse with the right gradient 4 x**3 of f(x) = sum(x**4): "
                f"every error below {threshold:g}",
                expected=f"errors below {threshold:g}", got=errors,
                hints=diagnose_gradient_check(errors, num_checks=10, **_error_tables(f, x, right)),
            )
        passed(f"grad_check_sparse: errors below {threshold:g} for the right gradient 4 x**3 of sum(x**4)")

        tables = _error_tables(f, x, wrong)
        errors, _ = _reported_errors(function, f, x, wrong, num_checks=10, seed=2)
        if not _explained(errors, tables["per_entry"]):
            raise CheckFailed(
                "grad_check_sparse with a wrong gradient (4 x**3 times a factor between -3 and 3): each error must be "
                "|num - ana| / (|num| + |ana|) at one entry of x, so one of the expected values",
                expected=np.unique(tables["per_entry"]), got=errors,
                hints=diagnose_gradient_check(errors, num_checks=10, **tables),
            )
        passed("grad_check_sparse: a wrong gradient gives large errors, |num - ana| / (|num| + |ana|) at entries of x")

        again, _ = _reported_errors(function, f, x, wrong, num_checks=10, seed=2)
        if not np.array_equal(errors, again):
            raise CheckFailed(
                "grad_check_sparse called twice with seed=2 must check the same entries",
                expected=errors, got=again,
                hints=["create the random generator from seed, e.g. rng = np.random.default_rng(seed), "
                       "and draw every index from it"],
            )
        passed("grad_check_sparse: the same seed checks the same entries")

        errors, _ = _reported_errors(function, lambda x: 3.0, x, np.zeros(shape), num_checks=5, seed=3)
        if not (np.all(np.isfinite(errors)) and np.all(errors == 0)):
            raise CheckFailed(
                "grad_check_sparse on a constant f with a zero analytic gradient: both gradients are 0, the error is 0",
                expected=np.zeros(5), got=errors,
                hints=diagnose_gradient_check(errors, num_checks=5, per_entry=np.zeros(1)),
            )
        passed("grad_check_sparse: the error is 0 where both gradients are 0")
