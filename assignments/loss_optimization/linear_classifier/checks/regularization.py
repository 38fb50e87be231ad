"""Visible checks of ``linear_classifier.regularization`` (03_regularization).

Expected values come from small matrices worked out by hand, from the
lecture's "expressing preferences" example, and from centered differences of
the student's own penalty value; a subgradient of ``|w|`` at ``w == 0`` is
accepted anywhere in [-1, 1].
"""

import numpy as np

from .. import regularization
from . import tolerances
from .diagnosis import diagnose_modified_inputs
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
        _expect_value(name, HAND_W, value, 14.0, {
            2.0: "the entries are summed without squaring them: R(W) = sum(W**2)",
            np.sqrt(14.0): "this is the norm ||W||; the L2 penalty is its square, sum(W**2), with no square root",
            7.0: "there is an extra factor 1/2: this assignment uses R(W) = sum(W**2)",
            6.0: "this is the L1 penalty sum(|W|): square the entries instead",
        })
        _expect_gradient(name, HAND_W, grad, 2.0 * HAND_W, {
            "W": (HAND_W, "the gradient is W, but the derivative of w**2 is 2w: return 2 * W"),
            "-2W": (-2.0 * HAND_W, "the gradient has the wrong sign: R grows with |w|, so dR/dw = +2w"),
            "sign": (np.sign(HAND_W), "this is the L1 subgradient sign(W): the L2 gradient is 2 * W"),
        })
        passed(f"{name} on a 2x2 example: value 14, gradient 2 * W")

        penalties = [_call(function, name, w)[0] for w in (LECTURE_W1, LECTURE_W2)]
        if not (close(penalties[0], 1.0) and close(penalties[1], 0.25)):
            raise CheckFailed(
                f"{name} on the lecture's w1 = [1, 0, 0, 0] and w2 = [0.25, 0.25, 0.25, 0.25]",
                expected=(1.0, 0.25), got=tuple(penalties),
                hints=["W may be a 1-D vector: sum over all entries, whatever the shape"],
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
        _expect_value(name, HAND_W, value, 6.0, {
            2.0: "negative entries cancel positive ones: take absolute values, R(W) = sum(|W|)",
            14.0: "this is the L2 penalty sum(W**2): use absolute values instead of squares",
        })
        _expect_gradient(name, HAND_W, grad, np.array([[1.0, -1.0], [0.0, 1.0]]), {
            "W": (HAND_W, "the gradient is W, but the slope of |w| is sign(w): +1 or -1"),
            "2W": (2.0 * HAND_W, "this is the L2 gradient 2 * W: the L1 subgradient is sign(W)"),
            "abs": (np.abs(HAND_W), "the gradient is |W|: use sign(W), which is -1 where W < 0"),
        })
        passed(f"{name} on a 2x2 example: value 6, subgradient sign(W) (any value in [-1, 1] at W == 0)")

        penalties = [_call(function, name, w)[0] for w in (LECTURE_W1, LECTURE_W2)]
        if not (close(penalties[0], 1.0) and close(penalties[1], 1.0)):
            raise CheckFailed(
                f"{name} on the lecture's w1 = [1, 0, 0, 0] and w2 = [0.25, 0.25, 0.25, 0.25]",
                expected=(1.0, 1.0), got=tuple(penalties),
                hints=["W may be a 1-D vector: sum |w| over all entries, whatever the shape"],
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
        _expect_value(name, HAND_W, value, 13.0, {
            17.0: "beta multiplies the L1 part: the lecture's R(W) = sum(beta * W**2 + |W|) puts beta on the squares",
            20.0: "beta is ignored: with the default beta = 0.5 the squared part counts half",
            7.0: "the L1 part sum(|W|) is missing",
            6.0: "the L2 part beta * sum(W**2) is missing",
        })
        _expect_gradient(name, HAND_W, grad, np.array([[2.0, -3.0], [0.0, 4.0]]), {
            "no 2": (0.5 * HAND_W + np.sign(HAND_W),
                     "the derivative of beta * w**2 is 2 * beta * w, not beta * w"),
            "no beta": (2.0 * HAND_W + np.sign(HAND_W), "beta is missing from the gradient: 2 * beta * W + sign(W)"),
            "no L1": (HAND_W, "the L1 part's subgradient sign(W) is missing"),
            "no L2": (np.sign(HAND_W), "the L2 part's gradient 2 * beta * W is missing"),
        })
        passed(f"{name} with the default beta = 0.5 on a 2x2 example: value 13")

        # With beta = 2: 2 * 14 + 6 = 34, gradient 4 * W + sign(W).
        value, grad = _call(function, name, HAND_W, beta=2.0)
        _expect_value(f"{name}(W, beta=2.0)", HAND_W, value, 34.0, {
            13.0: "the beta argument is ignored: use the beta passed in, not 0.5",
            26.0: "beta multiplies the L1 part: put it on the squares, sum(beta * W**2 + |W|)",
        })
        _expect_gradient(f"{name}(W, beta=2.0)", HAND_W, grad, np.array([[5.0, -9.0], [0.0, 13.0]]), {
            "default beta": (HAND_W + np.sign(HAND_W), "the beta argument is ignored in the gradient"),
        })
        passed(f"{name} with beta = 2: value 34, gradient 4 * W + sign(W)")

        _check_numerical_gradient(function, name, _away_from_zero(np.random.default_rng(2), (5, 3)), beta=0.3)
        passed(f"{name} subgradient matches centered differences of its value (beta = 0.3)")


def _call(function, name, W, **kwargs):
    """Call ``function(W, **kwargs)`` on a copy, check the result's form, and return ``(value, gradient)``."""
    W = np.array(W, dtype=float)
    before = W.copy()
    result = function(W, **kwargs)
    if not isinstance(result, tuple) or len(result) != 2:
        raise CheckFailed(
            f"{name} must return a pair (value, gradient)", got=result,
            hints=["end the function with: return value, gradient"],
        )
    hints = diagnose_modified_inputs({"W": before}, {"W": W})
    if hints:
        raise CheckFailed(f"{name} must not change W", expected=before, got=W, hints=hints)
    value, grad = result
    if np.ndim(value) != 0:
        raise CheckFailed(
            f"{name} must return the penalty as a single number", got=value,
            hints=[f"the value has shape {np.shape(value)}: sum over every entry of W (np.sum with no axis)"],
        )
    grad = np.asarray(grad, dtype=float)
    if grad.shape != W.shape:
        raise CheckFailed(
            f"{name} must return a gradient of W's shape {W.shape}", got=grad,
            hints=[f"the gradient has shape {grad.shape}: compute it element-wise, one entry per weight"],
        )
    return float(value), grad


def _expect_value(name, W, got, expected, mistakes):
    """Raise CheckFailed unless ``got == expected``, with the hints of the known mistakes ``got`` matches."""
    if close(got, expected):
        return
    hints = [hint for wrong, hint in mistakes.items() if close(got, wrong)]
    raise CheckFailed(f"{name} value for W = {W.tolist()}", expected=expected, got=got, hints=hints)


def _expect_gradient(name, W, got, expected, mistakes):
    """Raise CheckFailed unless ``got`` matches ``expected`` where W != 0 and lies in [-1, 1] where W == 0.

    ``mistakes`` maps a label to ``(wrong gradient, hint)``; a wrong gradient is
    compared only where W != 0, since at 0 every subgradient in [-1, 1] is allowed.
    """
    nonzero = W != 0
    at_zero = got[~nonzero]
    if close(got[nonzero], expected[nonzero]) and np.all(np.abs(at_zero) <= 1.0 + tolerances.ABSOLUTE):
        return
    hints = [hint for wrong, hint in mistakes.values() if close(got[nonzero], wrong[nonzero])]
    if got.shape == got.T.shape and close(got.T[nonzero], expected[nonzero]):
        hints.append("the gradient is transposed: entry [i, j] must be the derivative with respect to W[i, j]")
    if close(got[nonzero], expected[nonzero]):
        hints.append(
            f"where W == 0 the gradient is {at_zero.tolist()}: |w| has no slope there, so return a "
            "subgradient in [-1, 1] (np.sign(0) is 0; W / np.abs(W) gives NaN)"
        )
    raise CheckFailed(f"{name} gradient for W = {W.tolist()}", expected=expected, got=got, hints=hints)


def _check_numerical_gradient(function, name, W, **kwargs):
    """Compare the returned gradient with centered differences of the returned value."""
    _, grad = _call(function, name, W, **kwargs)
    step = 1e-5
    numerical = np.zeros(W.size)
    for index in range(W.size):
        offset = np.zeros(W.size)
        offset[index] = step
        offset = offset.reshape(W.shape)
        numerical[index] = (_call(function, name, W + offset, **kwargs)[0]
                            - _call(function, name, W - offset, **kwargs)[0]) / (2 * step)
    numerical = numerical.reshape(W.shape)
    if not close(grad, numerical, relative=tolerances.NUMERICAL_GRADIENT_RELATIVE,
                 absolute=tolerances.NUMERICAL_GRADIENT_ABSOLUTE):
        raise CheckFailed(
            f"{name}: the gradient does not match the slope of the value", expected=numerical, got=grad,
            hints=["the value and the gradient disagree: differentiate the value you return, entry by entry"],
        )


def _away_from_zero(rng, shape):
    """Random weights at least 0.1 away from 0, where |w| is smooth enough for centered differences."""
    magnitudes = rng.uniform(0.1, 2.0, size=shape)
    return magnitudes * rng.choice([-1.0, 1.0], size=shape)
