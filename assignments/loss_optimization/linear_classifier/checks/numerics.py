"""Finite differences and the relative errors of a gradient check.

The one implementation that the notebooks' checks and the autograder share
(the autograder reaches it through the reference package). Every function
works on copies: none modifies its argument.
"""

import numpy as np

from . import tolerances

#: The step the gradient functions use by default (CS231n's h = 1e-5).
DEFAULT_STEP = 1e-5


def centered_difference(f, x, h=DEFAULT_STEP):
    """Gradient of ``f`` at ``x`` by centered differences ``(f(x + h) - f(x - h)) / (2h)``, on copies of ``x``.

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


def _ratio(numerator, denominator):
    """``numerator / denominator`` entry-wise, 0 where the denominator is 0."""
    safe = np.where(denominator > 0, denominator, 1.0)
    return np.where(denominator > 0, numerator / safe, 0.0)


def relative_errors(numeric, analytic):
    """Entry-wise ``|num - ana| / (|num| + |ana|)``, 0 where both are 0 (the definition students implement).

    Parameters
    ----------
    numeric, analytic : ndarray of the same shape

    Returns
    -------
    errors : ndarray of that shape, in [0, 1]
    """
    numeric = np.asarray(numeric, dtype=float)
    analytic = np.asarray(analytic, dtype=float)
    return _ratio(np.abs(numeric - analytic), np.abs(numeric) + np.abs(analytic))


def error_tables(f, x, analytic, h=DEFAULT_STEP):
    """The relative error at every entry of ``x``, right and as common mistakes compute it.

    Parameters
    ----------
    f : callable
    x : ndarray
    analytic : ndarray of x's shape
        The gradient being checked.
    h : float

    Returns
    -------
    tables : dict of ndarrays of x's shape
        ``per_entry`` (the right errors), ``forward`` (forward differences),
        ``signed`` (``|num + ana|`` in the denominator) and ``absolute``
        (``|num - ana|``, not divided).
    """
    analytic = np.asarray(analytic, dtype=float)
    numeric = centered_difference(f, x, h)
    return {
        "per_entry": relative_errors(numeric, analytic),
        "forward": relative_errors(forward_difference(f, x, h), analytic),
        "signed": _ratio(np.abs(numeric - analytic), np.abs(numeric + analytic)),
        "absolute": np.abs(numeric - analytic),
    }


def matching_entries(error, table):
    """Flat indices of the entries of ``table`` whose error ``error`` matches (numerical-gradient tolerance)."""
    table = np.asarray(table, dtype=float).reshape(-1)
    tolerance = tolerances.NUMERICAL_GRADIENT_ABSOLUTE + tolerances.NUMERICAL_GRADIENT_RELATIVE * np.abs(table)
    return np.flatnonzero(np.abs(table - error) <= tolerance)


def explained(errors, table):
    """Whether every reported error is the error at some entry of ``table``."""
    table = np.asarray(table, dtype=float)
    return table.size > 0 and all(matching_entries(error, table).size > 0 for error in np.ravel(errors))


def chance_of_entries(errors, table):
    """The probability that uniformly drawn entries all land where the reported ``errors`` could come from.

    With ``k`` errors that could come from ``s`` of the ``n`` entries of
    ``table``, it is ``(s / n) ** k``: tiny when every check reports the same
    entry or the same value (0, say) that only a few entries have.
    """
    table = np.asarray(table, dtype=float)
    errors = np.ravel(errors)
    possible = set()
    for error in errors:
        possible.update(matching_entries(error, table).tolist())
    return (len(possible) / table.size) ** errors.size


def drawn_at_random(errors, table):
    """Whether every reported error is the error at an entry of ``table`` and those entries look randomly drawn.

    See :func:`chance_of_entries`; the threshold is ``tolerances.RANDOM_ENTRIES_CHANCE``.
    """
    return explained(errors, table) and chance_of_entries(errors, table) >= tolerances.RANDOM_ENTRIES_CHANCE


def restored(before, after):
    """Whether ``after`` holds ``before``'s values again, up to the rounding ``x[ix] += h; x[ix] -= h`` leaves."""
    before = np.asarray(before, dtype=float)
    after = np.asarray(after, dtype=float)
    return before.shape == after.shape and bool(np.all(
        np.abs(after - before) <= tolerances.RESTORED_ABSOLUTE + tolerances.RESTORED_RELATIVE * np.abs(before)))
