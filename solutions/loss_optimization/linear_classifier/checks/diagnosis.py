"""Recognise the common mistakes behind a wrong loss or gradient.

Each function compares a wrong result with the results that well-known
mistakes would produce, built from the parts of the correct answer that the
caller already has (per-example losses, the data gradient, the regularization
term), and returns the hints that match. The notebooks' visible checks take
those parts from worked examples and numerical gradients; the autograder takes
them from the reference solution. Nothing here computes a loss itself.
"""

import numpy as np

from .report import close

_SUBTRACT_MAX = (
    "a score overflowed in exp(): subtract each row's maximum score before exponentiating "
    "(the probabilities do not change, and the largest exponent becomes exp(0) = 1)"
)


def diagnose_result_type(got_loss, got_grad, W):
    """Hints about the form of a ``(loss, dW)`` result, before comparing values."""
    hints = []
    if np.ndim(got_loss) != 0:
        hints.append(
            f"the loss must be a single number, but it has shape {np.shape(got_loss)}: "
            "average the per-example losses over the batch"
        )
    elif not np.isfinite(got_loss):
        hints.append(_SUBTRACT_MAX)
    if got_grad is not None:
        if np.shape(got_grad) != np.shape(W):
            if np.shape(got_grad) == np.shape(W)[::-1]:
                hints.append(f"dW has shape {np.shape(got_grad)}, the transpose of W's {np.shape(W)}: dW = X.T @ (...)")
            else:
                hints.append(f"dW must have W's shape {np.shape(W)}, but it has shape {np.shape(got_grad)}")
        elif not np.all(np.isfinite(got_grad)):
            hints.append("dW contains NaN or inf: " + _SUBTRACT_MAX)
    return hints


def diagnose_loss(got, *, kind, data_losses, reg_term, squared_hinge=None):
    """Hints for a wrong loss value.

    Parameters
    ----------
    got : float
        The student's loss.
    kind : {"svm", "softmax"}
    data_losses : ndarray of shape (N,)
        The correct per-example losses L_i.
    reg_term : float
        The correct regularization term ``reg * sum(W**2)``.
    squared_hinge : float or None
        The mean of the per-example squared-hinge losses, when the caller has it.
    """
    data_losses = np.asarray(data_losses, dtype=float)
    num_examples = len(data_losses)
    mean = float(data_losses.mean())
    variants = [
        (mean + reg_term + 1.0 if kind == "svm" else None,
         "the loss is exactly 1 too high per example: the sum over classes must skip the correct "
         "class (j != y[i]), whose margin max(0, s_y - s_y + 1) is always 1"),
        (num_examples * mean + reg_term if num_examples > 1 else None,
         "the loss is N times too large: divide the summed data loss by the number of examples (mean, not sum)"),
        (num_examples * (mean + reg_term) if num_examples > 1 else None,
         "the whole loss, regularization included, is N times too large: divide only the data loss by N"),
        (mean + reg_term / num_examples if num_examples > 1 else None,
         "the regularization term was divided by N: add reg * sum(W**2) after averaging the data loss"),
        (mean if reg_term != 0 else None,
         "the regularization term reg * sum(W**2) is missing"),
        (mean + 0.5 * reg_term if reg_term != 0 else None,
         "the regularization term is halved: this assignment uses reg * sum(W**2), not 0.5 * reg * sum(W**2)"),
        (mean + 2.0 * reg_term if reg_term != 0 else None,
         "the regularization term is doubled: use reg * sum(W**2) in the loss (the 2 belongs in the gradient)"),
        (squared_hinge + reg_term if squared_hinge is not None else None,
         "this is the squared hinge loss: use max(0, margin), not its square"),
        (-mean + reg_term if kind == "softmax" else None,
         "the sign is flipped: the softmax loss is -log(p_y), which is never negative"),
    ]
    hints = [hint for value, hint in variants if value is not None and close(got, value)]
    if not hints and not np.isfinite(got):
        hints.append(_SUBTRACT_MAX)
    return hints


def diagnose_gradient(got, *, data_grad, W, reg, num_examples):
    """Hints for a wrong gradient dW.

    Parameters
    ----------
    got : ndarray
        The student's dW.
    data_grad : ndarray of W's shape
        The correct gradient of the data loss alone (without regularization).
    W : ndarray
    reg : float
    num_examples : int
    """
    hints = diagnose_result_type(0.0, got, W)
    if hints:
        return hints
    data_grad = np.asarray(data_grad, dtype=float)
    reg_grad = 2.0 * reg * np.asarray(W, dtype=float)
    variants = [
        (data_grad + reg * W if reg != 0 else None,
         "dW is off by reg * W: the derivative of reg * sum(W**2) is 2 * reg * W"),
        (data_grad if reg != 0 else None,
         "the regularization gradient 2 * reg * W is missing from dW"),
        (num_examples * data_grad + reg_grad if num_examples > 1 else None,
         "dW is N times too large: divide the summed data gradient by the number of examples"),
        (num_examples * (data_grad + reg_grad) if num_examples > 1 else None,
         "dW, regularization included, is N times too large: divide only the data gradient by N"),
        (-(data_grad + reg_grad),
         "dW has the wrong sign: it must point uphill (the optimizer subtracts it)"),
        (data_grad - reg_grad if reg != 0 else None,
         "the regularization gradient has the wrong sign: add + 2 * reg * W"),
    ]
    return [hint for value, hint in variants if value is not None and close(got, value)]


def diagnose_numerical_gradient(got, *, centered, forward, modified_input):
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
    """
    hints = []
    if modified_input:
        hints.append("x was not restored: put each entry back to its old value after evaluating f(x + h) and f(x - h)")
    if np.shape(got) != np.shape(centered):
        hints.append(f"the gradient must have x's shape {np.shape(centered)}, got {np.shape(got)}")
        return hints
    if not close(forward, centered) and close(got, forward, relative=1e-9, absolute=1e-12):
        hints.append("this is the forward difference (f(x+h) - f(x)) / h: use the centered one, (f(x+h) - f(x-h)) / (2h)")
    elif close(got, 2 * np.asarray(centered)):
        hints.append("the gradient is twice too large: divide f(x+h) - f(x-h) by 2h, not h")
    elif close(got, 0.5 * np.asarray(centered)):
        hints.append("the gradient is half what it should be: divide f(x+h) - f(x-h) by 2h, not 4h")
    return hints


def diagnose_modified_inputs(before, after):
    """Hints naming the arguments a function changed in place.

    ``before`` and ``after`` map argument names to copies of their values taken
    before and after the call.
    """
    changed = [name for name in before
               if np.shape(before[name]) != np.shape(after[name]) or not np.array_equal(before[name], after[name])]
    return [f"the function modified its input {name} in place: work on a copy, "
            f"e.g. scores = scores - max instead of scores -= max on a view of {name}" for name in changed]
