"""What the notebooks' checks and the autograder share about gradient checks.

None of these functions computes a numerical gradient or a gradient check: those are the student's
tasks of notebook 02. The checks of a student's gradient compare it with centered differences of the
student's own function along a few random directions (:func:`directional_slopes`), which tests every
entry of the gradient at once but cannot be turned into one; the autograder's per-entry error tables
live on the grader's side (``autograder/catalogue/differences.py``), which students never receive.
Every function works on copies: none modifies its argument.
"""

import numpy as np

from . import tolerances

#: The step the gradient functions use by default (CS231n's h = 1e-5).
DEFAULT_STEP = 1e-5
#: How many random directions :func:`directional_slopes` tries.
NUM_DIRECTIONS = 4


def directional_slopes(f, x, gradient, seed=0, h=DEFAULT_STEP):
    """Slopes of ``f`` at ``x`` along a few random unit directions, measured and as ``gradient`` predicts them.

    Along a unit direction ``d`` the centered difference ``(f(x + h d) - f(x - h d)) / (2h)`` measures the
    slope, and a right gradient predicts it as ``sum(gradient * d)``. A wrong entry of ``gradient`` changes
    the prediction along almost every random ``d``, so four directions test all entries together.

    Parameters
    ----------
    f : callable
        Takes an array of ``x``'s shape and returns a float.
    x : ndarray of any shape
    gradient : ndarray of ``x``'s shape
        The gradient being tested.
    seed : int
        Seed of the directions.
    h : float

    Returns
    -------
    measured, predicted : ndarray of shape (NUM_DIRECTIONS,)
    """
    x = np.array(x, dtype=float)
    gradient = np.asarray(gradient, dtype=float)
    rng = np.random.default_rng(seed)
    measured = np.empty(NUM_DIRECTIONS)
    predicted = np.empty(NUM_DIRECTIONS)
    for k in range(NUM_DIRECTIONS):
        direction = rng.standard_normal(x.shape)
        direction /= np.linalg.norm(direction)
        measured[k] = (float(f(x + h * direction)) - float(f(x - h * direction))) / (2 * h)
        predicted[k] = float(np.sum(gradient * direction)) if gradient.shape == x.shape else np.nan
    return measured, predicted


def slopes_agree(measured, predicted):
    """Whether measured and predicted slopes match within the numerical-gradient tolerances (NaN never does)."""
    measured = np.asarray(measured, dtype=float)
    predicted = np.asarray(predicted, dtype=float)
    tolerance = tolerances.NUMERICAL_GRADIENT_ABSOLUTE + tolerances.NUMERICAL_GRADIENT_RELATIVE * np.abs(measured)
    return bool(np.all(np.abs(predicted - measured) <= tolerance))


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
