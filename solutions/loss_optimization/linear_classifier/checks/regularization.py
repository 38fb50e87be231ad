"""Visible checks of ``linear_classifier.regularization`` (03_regularization).

Expected values come from small matrices worked out by hand, from the
lecture's "expressing preferences" example, and from centered differences of
the student's own penalty value; a subgradient of ``|w|`` at ``w == 0`` is
accepted anywhere in [-1, 1].
"""

import numpy as np

from .. import regularization
from . import tolerances
from .diagnosis import diagnose_modified_inputs, diagnose_penalty_gradient, diagnose_penalty_value
from .mistakes import hint
from .numerics import directional_slopes, slopes_agree
from .report import CheckFailed, close, passed, quiet_numerics

#: A matrix with a positive, a negative and a zero entry; the numbers in the checks below are worked out for it.
HAND_W = np.array([[1.0, -2.0], [0.0, 3.0]])
#: The lecture's example: both weight vectors give the input x = [1, 1, 1, 1] the score 1.
LECTURE_X = np.array([1.0, 1.0, 1.0, 1.0])
LECTURE_W1 = np.array([1.0, 0.0, 0.0, 0.0])
LECTURE_W2 = np.array([0.25, 0.25, 0.25, 0.25])


def check_l2_penalty(function=None):
    """Check ``l2_penalty(W) -> (sum(W**2), 2 * W)``.

    Parameters
    ----------
    function : callable or None
        The implementation to check; the student's ``regularization.l2_penalty`` by default.
    """
    function = function or regularization.l2_penalty
    name = "l2_penalty"
    with quiet_numerics():
        # 1 + 4 + 0 + 9 = 14; the derivative of w**2 is 2w.
        value, grad = _call(function, name, HAND_W)
        _expect_value(name, "l2", HAND_W, value, 14.0)
        _expect_gradient(name, "l2", HAND_W, grad, 2.0 * HAND_W)
        passed(f"{name} on a 2x2 example: value 14, gradient 2 * W")

        penalties = [_call(function, name, w)[0] for w in (LECTURE_W1, LECTURE_W2)]
        if not (close(penalties[0], 1.0) and close(penalties[1], 0.25)):
            raise CheckFailed(
                f"{name} on the lecture's w1 = [1, 0, 0, 0] and w2 = [0.25, 0.25, 0.25, 0.25]",
                expected=(1.0, 0.25), got=tuple(penalties), hints=[hint("penalty_any_shape")],
            )
        passed(f"{name} prefers the spread-out w2 (0.25) to w1 (1.0), as in the lecture")

        _check_numerical_gradient(function, name, np.random.default_rng(0).standard_normal((5, 3)))
        passed(f"{name} gradient matches centered differences of its value on a random 5x3 W")


def check_l1_penalty(function=None):
    """Check ``l1_penalty(W) -> (sum(|W|), sign(W))``, any value in [-1, 1] where ``W == 0``.

    Parameters
    ----------
    function : callable or None
        The implementation to check; the student's ``regularization.l1_penalty`` by default.
    """
    function = function or regularization.l1_penalty
    name = "l1_penalty"
    with quiet_numerics():
        # 1 + 2 + 0 + 3 = 6; the slope of |w| is +1 for w > 0 and -1 for w < 0.
        value, grad = _call(function, name, HAND_W)
        _expect_value(name, "l1", HAND_W, value, 6.0)
        _expect_gradient(name, "l1", HAND_W, grad, np.array([[1.0, -1.0], [0.0, 1.0]]))
        passed(f"{name} on a 2x2 example: value 6, subgradient sign(W) (any value in [-1, 1] at W == 0)")

        penalties = [_call(function, name, w)[0] for w in (LECTURE_W1, LECTURE_W2)]
        if not (close(penalties[0], 1.0) and close(penalties[1], 1.0)):
            raise CheckFailed(
                f"{name} on the lecture's w1 = [1, 0, 0, 0] and w2 = [0.25, 0.25, 0.25, 0.25]",
                expected=(1.0, 1.0), got=tuple(penalties), hints=[hint("penalty_any_shape")],
            )
        passed(f"{name} gives w1 and w2 of the lecture the same penalty 1.0")

        _check_numerical_gradient(function, name, _away_from_zero(np.random.default_rng(1), (5, 3)))
        passed(f"{name} subgradient matches centered differences of its value on a random 5x3 W")


def check_elastic_net_penalty(function=None):
    """Check ``elastic_net_penalty(W, beta=0.5) -> (sum(beta * W**2 + |W|), 2 * beta * W + sign(W))``.

    Parameters
    ----------
    function : callable or None
        The implementation to check; the student's ``regularization.elastic_net_penalty`` by default.
    """
    function = function or regularization.elastic_net_penalty
    name = "elastic_net_penalty"
    with quiet_numerics():
        # sum(W**2) = 14 and sum(|W|) = 6, so with beta = 0.5: 0.5 * 14 + 6 = 13,
        # and the gradient 2 * 0.5 * W + sign(W) = [[1 + 1, -2 - 1], [0 + g, 3 + 1]].
        value, grad = _call(function, name, HAND_W)
        _expect_value(name, "elastic_net", HAND_W, value, 13.0)
        _expect_gradient(name, "elastic_net", HAND_W, grad, np.array([[2.0, -3.0], [0.0, 4.0]]))
        passed(f"{name} with the default beta = 0.5 on a 2x2 example: value 13")

        # With beta = 2: 2 * 14 + 6 = 34, gradient 4 * W + sign(W).
        value, grad = _call(function, name, HAND_W, beta=2.0)
        _expect_value(f"{name}(W, beta=2.0)", "elastic_net", HAND_W, value, 34.0, beta=2.0)
        _expect_gradient(f"{name}(W, beta=2.0)", "elastic_net", HAND_W, grad, np.array([[5.0, -9.0], [0.0, 13.0]]),
                         beta=2.0)
        passed(f"{name} with beta = 2: value 34, gradient 4 * W + sign(W)")

        _check_numerical_gradient(function, name, _away_from_zero(np.random.default_rng(2), (5, 3)), beta=0.3)
        passed(f"{name} subgradient matches centered differences of its value (beta = 0.3)")


def _call(function, name, W, **kwargs):
    """Call ``function(W, **kwargs)`` on a copy, check the result's form, and return ``(value, gradient)``."""
    W = np.array(W, dtype=float)
    before = W.copy()
    result = function(W, **kwargs)
    if not isinstance(result, tuple) or len(result) != 2:
        raise CheckFailed(f"{name} must return a pair (value, gradient)", got=result,
                          hints=[hint("not_a_pair", names="value, gradient")])
    hints = diagnose_modified_inputs({"W": before}, {"W": W})
    if hints:
        raise CheckFailed(f"{name} must not change W", expected=before, got=W, hints=hints)
    value, grad = result
    if np.ndim(value) != 0:
        raise CheckFailed(f"{name} must return the penalty as a single number", got=value,
                          hints=[hint("penalty_not_scalar", shape=np.shape(value))])
    grad = np.asarray(grad, dtype=float)
    if grad.shape != W.shape:
        raise CheckFailed(f"{name} must return a gradient of W's shape {W.shape}", got=grad,
                          hints=[hint("penalty_gradient_shape", W=W.shape, got=grad.shape)])
    return float(value), grad


def _expect_value(name, kind, W, got, expected, beta=0.5):
    """Raise CheckFailed unless ``got == expected``, with the hints of the known mistakes ``got`` matches."""
    if close(got, expected):
        return
    hints = diagnose_penalty_value(got, kind=kind, W=W, beta=beta)
    raise CheckFailed(f"{name} value for W = {W.tolist()}", expected=expected, got=got, hints=hints)


def _expect_gradient(name, kind, W, got, expected, beta=0.5):
    """Raise CheckFailed unless ``got`` matches ``expected`` where W != 0 and lies in [-1, 1] where W == 0."""
    nonzero = W != 0
    if close(got[nonzero], expected[nonzero]) and np.all(np.abs(got[~nonzero]) <= 1.0 + tolerances.ABSOLUTE):
        return
    hints = diagnose_penalty_gradient(got, kind=kind, W=W, beta=beta)
    raise CheckFailed(f"{name} gradient for W = {W.tolist()}", expected=expected, got=got, hints=hints)


def _check_numerical_gradient(function, name, W, **kwargs):
    """The returned gradient must predict the slopes of the returned value (centered differences, random directions)."""
    _, grad = _call(function, name, W, **kwargs)
    measured, predicted = directional_slopes(lambda w: _call(function, name, w, **kwargs)[0], W, grad)
    if not slopes_agree(measured, predicted):
        raise CheckFailed(f"{name}: the gradient does not match the slope of the value along random directions "
                          "(slopes measured by centered differences, and as sum(gradient * direction))",
                          expected=measured, got=predicted, hints=[hint("value_gradient_disagree")])


def _away_from_zero(rng, shape):
    """Random weights at least 0.1 away from 0, where |w| is smooth enough for centered differences."""
    magnitudes = rng.uniform(0.1, 2.0, size=shape)
    return magnitudes * rng.choice([-1.0, 1.0], size=shape)
