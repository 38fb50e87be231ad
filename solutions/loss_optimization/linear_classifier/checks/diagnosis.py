"""Recognise the common mistakes behind a wrong result.

Each function compares a wrong result with the results that well-known
mistakes would produce, built from the parts of the correct answer that the
caller already has (per-example losses, the data gradient, the
regularization term, the reference's results on inputs a mistake would have
used), and returns a :class:`~.mistakes.Hint` for each mistake that matches. A match
counts only where no other mistake gives the same value on the same inputs
(:func:`.diagnosis_losses.matching`). The notebooks' visible checks take those parts from
worked examples and numerical gradients; the autograder takes them from the
reference solution. Every sentence comes from the one list in :mod:`.mistakes`.
"""

import numpy as np

from . import numerics, tolerances
from .diagnosis_losses import (  # noqa: F401 (re-exported: callers import every diagnosis from here)
    EXP_OVERFLOW, EXP_UNDERFLOW, PROBABILITY_EPSILONS, all_zero, diagnose_class_losses, diagnose_error, diagnose_gradient,
    diagnose_loss, diagnose_modified_inputs, diagnose_overflow, diagnose_result_type, diagnose_softmax_gradient,
    diagnose_softmax_loss, diagnose_svm_gradient, matching,
)
from .mistakes import hint
from .report import close

# -- numerical gradients and gradient checks ----------------------------------------------------------------


def diagnose_numerical_gradient(got, *, centered, forward, modified_input, centered_default=None):
    """Hints for a wrong numerical gradient.

    Parameters
    ----------
    got : ndarray
        The student's numerical gradient.
    centered : ndarray
        The centered-difference gradient it should be.
    forward : ndarray
        The forward-difference gradient ``(f(x + h) - f(x)) / h``.
    modified_input : bool
        Whether ``x`` differed from its original values after the call.
    centered_default : ndarray or None
        The centered difference with the default step, when the caller asked for another ``h``.
    """
    hints = [hint("x_not_restored")] if modified_input else []
    if np.shape(got) != np.shape(centered):
        return hints + [hint("numerical_gradient_shape", expected=np.shape(centered), got=np.shape(got))]
    centered = np.asarray(centered, dtype=float)
    exact = {"relative": tolerances.EXACT_RELATIVE, "absolute": tolerances.EXACT_ABSOLUTE}
    if not close(forward, centered) and close(got, forward, **exact):
        hints.append(hint("forward_difference"))
    elif close(got, 2 * centered):
        hints.append(hint("numerical_gradient_doubled"))
    elif close(got, 0.5 * centered):
        hints.append(hint("numerical_gradient_halved"))
    elif centered_default is not None and not close(centered_default, centered) and close(got, centered_default):
        hints.append(hint("h_ignored"))
    elif all_zero(got):
        hints.append(hint("returned_zeros", what="the gradient"))
    return hints


def diagnose_gradient_check(got, *, num_checks, per_entry, forward=None, signed=None, absolute=None):
    """Hints for the relative errors a sparse gradient check reports.

    Whichever entries are sampled, each reported error must be one of the
    correct per-entry errors; each mistake gives its own table (see
    :func:`.numerics.error_tables`).

    Parameters
    ----------
    got : ndarray
        The student's errors.
    num_checks : int
    per_entry : ndarray
        The correct relative error at every entry of x.
    forward, signed, absolute : ndarray or None
        The per-entry errors with forward differences, with ``|num + ana|``
        in the denominator, and without dividing at all.
    """
    got = np.asarray(got, dtype=float)
    if got.shape != (num_checks,):
        if got.ndim == 0:
            return [hint("errors_not_an_array", num_checks=num_checks)]
        return [hint("errors_shape", num_checks=num_checks, shape=got.shape)]
    if np.any(np.isnan(got)):
        return [hint("errors_nan")]
    if np.any(got < 0):
        return [hint("errors_negative")]
    if numerics.explained(got, per_entry):
        return [] if numerics.drawn_at_random(got, per_entry) else [hint("errors_same_entries")]
    hints = [said for table, said in ((forward, hint("errors_forward_difference")),
                                      (signed, hint("errors_signed_denominator")),
                                      (absolute, hint("errors_not_divided")))
             if table is not None and numerics.explained(got, table)]
    if not hints and all_zero(got):
        hints.append(hint("returned_zeros", what="every error"))
    return hints


# -- regularization -------------------------------------------------------------------------------------------


def diagnose_penalty_value(got, *, kind, W, beta=0.5, default_beta=0.5):
    """Hints for a wrong regularization penalty value.

    Parameters
    ----------
    got : float
        The student's R(W).
    kind : {"l2", "l1", "elastic_net"}
    W : ndarray
    beta : float
        Weight of the L2 part of the elastic net.
    default_beta : float
        The default of ``beta``, to recognise a beta argument that is ignored.
    """
    W = np.asarray(W, dtype=float)
    squares, absolutes, total = float(np.sum(W * W)), float(np.sum(np.abs(W))), float(np.sum(W))
    variants = {
        "l2": [(np.sqrt(squares), hint("l2_norm")), (0.5 * squares, hint("l2_half")),
               (total, hint("l2_not_squared")), (absolutes, hint("l2_is_l1"))],
        "l1": [(total, hint("l1_no_abs")), (squares, hint("l1_is_l2"))],
        "elastic_net": [
            (squares + beta * absolutes, hint("elastic_beta_on_l1")),
            (beta * squares, hint("elastic_l1_missing")),
            (absolutes, hint("elastic_l2_missing")),
            (beta * squares + total, hint("elastic_l1_no_abs")),
            (squares + absolutes if beta != 1 else None, hint("elastic_beta_ignored")),
            (default_beta * squares + absolutes if beta != default_beta else None, hint("elastic_default_beta")),
        ],
    }[kind]
    hints = matching(got, variants)
    if not hints and got == 0 and np.any(W != 0):
        hints.append(hint("returned_zeros", what="the penalty"))
    return hints


def diagnose_penalty_gradient(got, *, kind, W, beta=0.5, default_beta=0.5):
    """Hints for a wrong penalty (sub)gradient.

    A wrong gradient is compared only where ``W != 0``: at 0 any subgradient of
    ``|w|`` in [-1, 1] is right. Parameters as in :func:`diagnose_penalty_value`.
    """
    W = np.asarray(W, dtype=float)
    got = np.asarray(got, dtype=float)
    if got.shape != W.shape:
        return [hint("penalty_gradient_shape", W=W.shape, got=got.shape)]
    if not np.all(np.isfinite(got)):
        return [hint("gradient_nan_at_zero")]
    nonzero = W != 0
    sign = np.sign(W)
    l2_part = {"l2": 2.0 * W, "l1": 0.0 * W, "elastic_net": 2.0 * beta * W}[kind]
    right = l2_part + (sign if kind != "l2" else 0.0)
    variants = {
        "l2": [(W, hint("l2_gradient_is_W")), (-2.0 * W, hint("l2_gradient_sign")), (sign, hint("l2_gradient_is_l1"))],
        "l1": [(W, hint("l1_gradient_is_W")), (np.ones_like(W), hint("l1_gradient_ones")),
               (-sign, hint("l1_gradient_sign")), (2.0 * W, hint("l1_gradient_is_l2")),
               (np.abs(W), hint("l1_gradient_abs"))],
        "elastic_net": [
            (beta * W + sign, hint("elastic_gradient_no_two")),
            (2.0 * beta * W, hint("elastic_gradient_l1_missing")),
            (sign, hint("elastic_gradient_l2_missing")),
            (2.0 * W + beta * sign, hint("elastic_gradient_beta_on_l1")),
            (2.0 * W + sign if beta != 1 else None, hint("elastic_gradient_beta_ignored")),
            (2.0 * default_beta * W + sign if beta != default_beta else None, hint("elastic_gradient_default_beta")),
        ],
    }[kind]
    hints = [said for value, said in variants
             if value is not None and close(got[nonzero], np.asarray(value)[nonzero])]
    if got.ndim == 2 and got.shape == got.T.shape and not close(got, right) and close(got.T[nonzero], right[nonzero]):
        hints.append(hint("gradient_transposed"))
    at_zero = got[~nonzero]
    if close(got[nonzero], right[nonzero]) and np.any(np.abs(at_zero) > 1 + tolerances.ABSOLUTE):
        hints.append(hint("subgradient_outside", values=at_zero.tolist()))
    if not hints and all_zero(got) and np.any(nonzero):
        hints.append(hint("returned_zeros", what="the gradient"))
    return hints


# -- optimization -------------------------------------------------------------------------------------------------


def diagnose_update_rule(got, *, rule, w, dws, learning_rate, momentum=0.9, num_steps=None):
    """Hints for a wrong sequence of weights from ``sgd`` or ``sgd_momentum``.

    Parameters
    ----------
    got : ndarray of shape (K,) + w.shape
        The weights after each of K steps, the config passed back each time.
    rule : {"sgd", "sgd_momentum"}
    w : ndarray
        The starting weights.
    dws : sequence of ndarrays, or callable
        The gradient given at each step, or a function of the current weights that returns it.
    learning_rate, momentum : float
    num_steps : int or None
        K, when ``dws`` is a function.
    """
    got = np.asarray(got, dtype=float)
    steps = len(dws) if num_steps is None else num_steps
    if callable(dws):
        def gradient(current, k):
            return np.asarray(dws(current), dtype=float)
    else:
        def gradient(current, k):
            return np.asarray(dws[k], dtype=float)

    def path(step, rho=momentum):
        weights, current, velocity = [], np.asarray(w, dtype=float), np.zeros(np.shape(w))
        for k in range(steps):
            current, velocity = step(current, gradient(current, k), velocity, rho)
            weights.append(current)
        return np.array(weights)

    def momentum_step(x, g, v, rho):
        v = rho * v - learning_rate * g
        return x + v, v

    variants = [
        (path(lambda x, g, v, rho: (x + learning_rate * g, v)), hint("step_uphill")),
        (path(lambda x, g, v, rho: (x - g, v)), hint("learning_rate_missing")),
        (path(lambda x, g, v, rho: (x, v)), hint("w_unchanged")),
        (path(lambda x, g, v, rho: (-learning_rate * g, v)), hint("only_the_step")),
        (path(lambda x, g, v, rho: (x - 1e-2 * g, v)) if learning_rate != 1e-2 else None,
         hint("learning_rate_not_from_config")),
    ]
    if rule == "sgd_momentum":
        variants += [
            (path(lambda x, g, v, rho: (x - learning_rate * g, v)), hint("velocity_not_stored")),
            (path(momentum_step, rho=0.9) if momentum != 0.9 else None, hint("momentum_fixed")),
            (path(momentum_step, rho=-momentum), hint("old_velocity_sign")),
            (path(lambda x, g, v, rho: (x + (rho * v + learning_rate * g), rho * v + learning_rate * g)),
             hint("velocity_sign")),
            # At a single step the old velocity is 0, so this is w unchanged, which says what happened.
            (path(lambda x, g, v, rho: (x + v, rho * v - learning_rate * g)) if steps > 1 else None,
             hint("old_velocity_added")),
        ]
    # Each sentence says what the weights did (uphill, unchanged, ...): where two coincide, at a first step from a
    # velocity of 0, both are true of this result.
    hints = matching(got, variants, exclusive=False)
    if not hints and not np.all(np.isfinite(got)):
        hints.append(hint("weights_blew_up"))
    return hints


def diagnose_schedule(got, *, kind, learning_rate, t, decay_rate=0.5, decay_every=100, T=None):
    """Hints for wrong learning rates from ``step_decay`` or ``cosine_decay``.

    ``learning_rate``, ``t`` (and ``decay_rate``, ``decay_every``, ``T``) are
    numbers or arrays of the cases' arguments; ``got`` the returned rates.
    """
    got = np.asarray(got, dtype=float)
    lr, t = np.asarray(learning_rate, dtype=float), np.asarray(t, dtype=float)
    if got.shape != t.shape:
        return [hint("rate_not_scalar", shape=got.shape)] if t.ndim == 0 else []
    if kind == "step":
        rate, every = np.asarray(decay_rate, dtype=float), np.asarray(decay_every, dtype=float)
        right = lr * rate ** (t // every)
        variants = [
            (lr * rate ** (t / every), hint("step_decay_smooth")),
            (lr * rate ** (t // every + 1), hint("step_decay_early")),
            (lr * rate * (t // every), hint("step_decay_multiplied")),
            (lr * rate ** t, hint("step_decay_every_step")),
            (lr * 0.5 ** (t // 100), hint("step_decay_arguments_ignored")),
        ]
    else:
        T = np.asarray(T, dtype=float)
        right = 0.5 * lr * (1 + np.cos(np.pi * t / T))
        variants = [
            (lr * (1 + np.cos(np.pi * t / T)), hint("cosine_no_half")),
            (0.5 * lr * (1 + np.cos(t / T)), hint("cosine_no_pi")),
            (0.5 * lr * (1 - np.cos(np.pi * t / T)), hint("cosine_backwards")),
            (0.5 * (1 + np.cos(np.pi * t / T)), hint("cosine_no_learning_rate")),
            (0.5 * lr * (1 + np.cos(180 * t / T)), hint("cosine_degrees")),
            (lr * np.cos(np.pi * t / T), hint("cosine_plain")),
        ]
    # A mistake that gives the right rate on these arguments cannot be the one made.
    return matching(got, [(value, said) for value, said in variants if not close(value, right)])


# -- models -----------------------------------------------------------------------------------------------------


def diagnose_training_step(after, *, W, dW, learning_rate):
    """Hints for the weights after one step of ``train`` that are not ``W - learning_rate * dW``."""
    return matching(after, [
        (W + learning_rate * dW, hint("train_uphill")),
        (W - dW, hint("train_learning_rate_missing")),
        (W, hint("train_W_unchanged")),
    ])


def diagnose_trained_loss(final, *, at_zero, steps_checked=False):
    """Hints for a training run whose final loss ``final`` is not well below the loss at W = 0.

    ``steps_checked``: the caller has already seen every step of ``train`` follow ``W - learning_rate * dW``
    with the dW the model's loss returned (the notebooks' checks, which train with the student's own loss).
    Then the update is right, and what misleads it is the loss or its gradient.
    """
    if steps_checked:
        return [hint("loss_gradient_misleads")]
    if not np.isfinite(final) or final > at_zero:
        return [hint("train_uphill")]
    return [hint("train_barely_learns")]


def diagnose_batches(sizes, *, batch_size, num_train):
    """Hints for minibatch sizes (one per call of ``self.loss``) that are not ``batch_size``."""
    seen = sorted({int(s) for s in np.ravel(sizes) if np.isfinite(s)})
    if seen == [num_train]:
        return [hint("whole_training_set")]
    return [hint("batch_size_ignored", sizes=", ".join(map(str, seen[:5])), wanted=batch_size)]


def diagnose_predict(labels, *, X, W):
    """Hints for wrong predicted labels of the rows of ``X`` with weights ``W``."""
    labels = np.asarray(labels)
    scores = np.asarray(X, dtype=float) @ np.asarray(W, dtype=float)
    if labels.shape == (scores.shape[1],) and np.array_equal(labels, np.argmax(scores, axis=0)):
        return [hint("predict_axis_0")]
    if labels.shape != (scores.shape[0],):
        return [hint("predict_shape", shape=labels.shape)]
    if np.array_equal(labels, np.argmin(scores, axis=1)):
        return [hint("predict_argmin")]
    return []
