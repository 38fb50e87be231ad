"""Finite differences and per-entry relative errors: the grader's side of the gradient tests.

They compute what the students' ``eval_numerical_gradient`` and ``grad_check_sparse`` compute, so they
live here, in the trusted grader, and never in the released package (issue 17: nothing in the release
does a graded task). The relative error is the one the notebooks define: ``|num - ana| / max(floor,
|num| + |ana|)`` with the floor of the given ``rel_error`` (the reference's ``tolerances.RELATIVE_ERROR_FLOOR``;
a test keeps the two equal).
"""

import numpy as np

#: The floor of the relative error's denominator, as in the given ``gradients.rel_error``.
RELATIVE_ERROR_FLOOR = 1e-8


def centered_difference(f, x, h):
    """Gradient of ``f`` at ``x`` by centered differences, on copies of ``x`` (any shape)."""
    x = np.array(x, dtype=float)
    grad = np.empty(x.shape)
    for index in np.ndindex(x.shape):
        step = np.zeros(x.shape)
        step[index] = h
        grad[index] = (float(f(x + step)) - float(f(x - step))) / (2 * h)
    return grad


def forward_difference(f, x, h):
    """Gradient of ``f`` at ``x`` by forward differences ``(f(x + h) - f(x)) / h`` (to recognise that mistake)."""
    x = np.array(x, dtype=float)
    at_x = float(f(x.copy()))
    grad = np.empty(x.shape)
    for index in np.ndindex(x.shape):
        step = np.zeros(x.shape)
        step[index] = h
        grad[index] = (float(f(x + step)) - at_x) / h
    return grad


def relative_errors(numeric, analytic):
    """Entry-wise ``|num - ana| / max(floor, |num| + |ana|)``: 0 where both are 0, in [0, 1]."""
    numeric = np.asarray(numeric, dtype=float)
    analytic = np.asarray(analytic, dtype=float)
    return np.abs(numeric - analytic) / np.maximum(RELATIVE_ERROR_FLOOR, np.abs(numeric) + np.abs(analytic))


def _signed(numeric, analytic):
    """The errors with ``|num + ana|`` in the denominator, a mistake the diagnoses recognise."""
    return np.abs(numeric - analytic) / np.maximum(RELATIVE_ERROR_FLOOR, np.abs(numeric + analytic))


def error_tables(f, x, analytic, h):
    """The relative error at every entry of ``x``, right and as common mistakes compute it.

    Returns a dict of arrays of ``x``'s shape: ``per_entry`` (the right errors), ``forward`` (forward
    differences), ``signed`` (``|num + ana|`` in the denominator) and ``absolute`` (not divided).
    """
    analytic = np.asarray(analytic, dtype=float)
    numeric = centered_difference(f, x, h)
    return {
        "per_entry": relative_errors(numeric, analytic),
        "forward": relative_errors(forward_difference(f, x, h), analytic),
        "signed": _signed(numeric, analytic),
        "absolute": np.abs(numeric - analytic),
    }
