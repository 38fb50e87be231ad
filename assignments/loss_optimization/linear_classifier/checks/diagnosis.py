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
        (num_examples * (mean + reg_term) if num_examples > 1 and reg_term != 0 else None,
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
        (num_examples * (data_grad + reg_grad) if num_examples > 1 and reg != 0 else None,
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


def diagnose_penalty_value(got, *, kind, W, beta=0.5):
    """Hints for a wrong regularization penalty value.

    Parameters
    ----------
    got : float
        The student's R(W).
    kind : {"l2", "l1", "elastic_net"}
    W : ndarray
    beta : float
        Weight of the L2 part of the elastic net.
    """
    W = np.asarray(W, dtype=float)
    squares, absolutes = float(np.sum(W * W)), float(np.sum(np.abs(W)))
    variants = {
        "l2": [
            (np.sqrt(squares), "this is the norm ||W||; the L2 penalty is its square, sum(W**2), with no square root"),
            (0.5 * squares, "there is an extra factor 1/2: this assignment uses R(W) = sum(W**2)"),
            (float(np.sum(W)), "the entries are summed without squaring them: R(W) = sum(W**2)"),
            (absolutes, "this is the L1 penalty sum(|W|): square the entries instead"),
        ],
        "l1": [
            (float(np.sum(W)), "the L1 penalty needs absolute values: sum(|W|), not sum(W)"),
            (squares, "this is the L2 penalty sum(W**2): the L1 penalty sums absolute values"),
        ],
        "elastic_net": [
            (squares + beta * absolutes, "beta weighs the wrong term: R(W) = sum(beta * W**2 + |W|)"),
            (beta * squares, "the L1 term sum(|W|) is missing"),
            (absolutes, "the L2 term beta * sum(W**2) is missing"),
            (beta * squares + float(np.sum(W)), "the L1 term needs absolute values: |W|, not W"),
            (squares + absolutes, "beta is ignored: R(W) = sum(beta * W**2 + |W|)"),
        ],
    }[kind]
    return [hint for value, hint in variants if close(got, value)]


def diagnose_penalty_gradient(got, *, kind, W, beta=0.5):
    """Hints for a wrong penalty (sub)gradient; entries where ``W == 0`` are ignored (any subgradient is fine)."""
    W = np.asarray(W, dtype=float)
    got = np.asarray(got, dtype=float)
    if got.shape != W.shape:
        return [f"the gradient must have W's shape {W.shape}, but it has shape {got.shape}"]
    if not np.all(np.isfinite(got)):
        return ["the gradient contains NaN or inf: W / |W| divides by zero where W == 0; use np.sign(W), "
                "which gives 0 there (any value in [-1, 1] is a valid subgradient)"]
    nonzero = W != 0
    sign = np.sign(W)
    variants = {
        "l2": [
            (W, "the gradient is W, but the derivative of w**2 is 2w: return 2 * W"),
            (-2.0 * W, "the gradient has the wrong sign: R grows with |w|, so dR/dw = +2w"),
            (sign, "this is the L1 subgradient sign(W): the L2 gradient is 2 * W"),
        ],
        "l1": [
            (W, "the gradient is W itself: the subgradient of |w| is sign(w)"),
            (np.ones_like(W), "the subgradient of |w| is sign(w), which is -1 for negative weights, not always 1"),
            (-sign, "the subgradient has the wrong sign: d|w|/dw = +1 for w > 0"),
        ],
        "elastic_net": [
            (beta * W + sign, "the derivative of beta * w**2 is 2 * beta * w"),
            (2.0 * beta * W, "the L1 subgradient sign(W) is missing"),
            (sign, "the L2 part's gradient 2 * beta * W is missing"),
            (2.0 * W + beta * sign, "beta weighs the wrong term: the gradient is 2 * beta * W + sign(W)"),
            (2.0 * W + sign, "beta is ignored: the gradient is 2 * beta * W + sign(W)"),
        ],
    }[kind]
    return [hint for value, hint in variants if close(got[nonzero], np.asarray(value)[nonzero])]


def diagnose_gradient_check(got, *, num_checks, per_entry, forward=None, signed=None, absolute=None):
    """Hints for the relative errors a sparse gradient check reports.

    Whichever entries are sampled, each reported error must be one of the
    correct per-entry errors; each mistake gives its own table.

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
            return [f"return the array of all {num_checks} relative errors, not a single number such as their maximum"]
        return [f"return one relative error per check, shape ({num_checks},); got shape {got.shape}"]
    if np.any(np.isnan(got)):
        return ["an error is NaN: where the numerical and analytic values are both 0 the relative error is 0; "
                "guard the division"]
    if np.any(got < 0):
        return ["a relative error is negative: take the absolute value of the difference, |num - ana|"]

    def explains(table):
        table = np.asarray(table, dtype=float).reshape(-1)
        return table.size > 0 and all(np.any(np.abs(table - e) <= 1e-7 + 1e-5 * np.abs(table)) for e in got)

    hints = []
    if forward is not None and not explains(per_entry) and explains(forward):
        hints.append("the numerical values are forward differences (f(x+h) - f(x)) / h: use centered ones, "
                     "(f(x+h) - f(x-h)) / (2h)")
    if signed is not None and not explains(per_entry) and explains(signed):
        hints.append("the denominator must be |num| + |ana|, with absolute values taken separately")
    if absolute is not None and not explains(per_entry) and explains(absolute):
        hints.append("these are absolute differences |num - ana|: divide by |num| + |ana| to make them relative")
    return hints


def diagnose_update_rule(got, *, rule, w, dws, learning_rate, momentum=0.9):
    """Hints for a wrong sequence of weights from ``sgd`` or ``sgd_momentum``.

    Parameters
    ----------
    got : ndarray of shape (K,) + w.shape
        The weights after each of K steps, the config passed back each time.
    rule : {"sgd", "sgd_momentum"}
    w : ndarray
        The starting weights.
    dws : sequence of ndarrays
        The gradient given at each step.
    learning_rate, momentum : float
    """
    got = np.asarray(got, dtype=float)

    def path(step):
        weights, current, velocity = [], np.asarray(w, dtype=float), np.zeros(np.shape(w))
        for dw in dws:
            current, velocity = step(current, np.asarray(dw, dtype=float), velocity)
            weights.append(current)
        return np.array(weights)

    variants = [
        (path(lambda x, g, v: (x + learning_rate * g, v)),
         "the step goes uphill: subtract learning_rate * dw, do not add it"),
        (path(lambda x, g, v: (x - g, v)), "the learning rate is not applied: w - learning_rate * dw"),
        (path(lambda x, g, v: (x, v)), "the weights never change: return the updated weights as next_w"),
    ]
    if rule == "sgd_momentum":
        variants += [
            (path(lambda x, g, v: (x - learning_rate * g, v)),
             "the velocity does not carry over between calls: store it in config['velocity'] and read it back "
             "at the next call (this is plain SGD)"),
            (path(lambda x, g, v: (x + (momentum * v + learning_rate * g), momentum * v + learning_rate * g)),
             "the velocity has the wrong sign: v = momentum * v - learning_rate * dw, then w = w + v"),
        ]
    return [hint for value, hint in variants if close(got, value)]


def diagnose_schedule(got, *, kind, learning_rate, t, decay_rate=0.5, decay_every=100, T=None):
    """Hints for wrong learning rates from ``step_decay`` or ``cosine_decay``.

    ``learning_rate``, ``t`` (and ``decay_rate``, ``decay_every``, ``T``) are
    arrays of the cases' arguments; ``got`` the returned rates.
    """
    got = np.asarray(got, dtype=float)
    lr, t = np.asarray(learning_rate, dtype=float), np.asarray(t, dtype=float)
    if kind == "step":
        rate, every = np.asarray(decay_rate, dtype=float), np.asarray(decay_every, dtype=float)
        variants = [
            (lr * rate ** (t / every), "the rate decays smoothly: use integer division t // decay_every so it drops "
                                       "in steps"),
            (lr * rate ** (t // every + 1),
             "the first drop comes too early: the rate is unchanged while t < decay_every"),
            (lr * rate * (t // every),
             "decay_rate is a factor applied once per period: decay_rate ** (t // decay_every)"),
        ]
    else:
        T = np.asarray(T, dtype=float)
        variants = [
            (0.5 * lr * (1 + np.cos(180 * t / T)),
             "the angle is in degrees, but cos takes radians: use pi * t / T, not 180 * t / T"),
            (0.5 * lr * (1 + np.cos(t / T)), "the angle must be pi * t / T, so the rate reaches 0 at t = T"),
            (lr * (1 + np.cos(np.pi * t / T)), "the factor 0.5 is missing: the rate must start at learning_rate"),
            (0.5 * lr * (1 - np.cos(np.pi * t / T)),
             "the sign is flipped: the rate starts at learning_rate and falls to 0"),
            (lr * np.cos(np.pi * t / T),
             "use 0.5 * (1 + cos(pi * t / T)), which falls from 1 to 0, not cos(pi * t / T)"),
        ]
    return [hint for value, hint in variants if close(got, value)]


def diagnose_softmax_gradient(got, *, data_grad, X, y, W, reg):
    """Hints for a wrong softmax dW that :func:`diagnose_gradient` does not explain.

    Parameters
    ----------
    got : ndarray
        The student's dW.
    data_grad : ndarray of W's shape
        The correct gradient of the data loss alone.
    X, y, W, reg
        The inputs of the loss.
    """
    X = np.asarray(X, dtype=float)
    W = np.asarray(W, dtype=float)
    one_hot = np.zeros((X.shape[0], W.shape[1]))
    one_hot[np.arange(X.shape[0]), np.asarray(y)] = 1.0
    correct_class_term = X.T @ one_hot / X.shape[0]
    variants = [
        (data_grad + correct_class_term + 2.0 * reg * W,
         "the correct class's -1 is missing: the gradient of -log p_y with respect to the scores is p - 1 at the "
         "correct class y[i] (dscores[range(N), y] -= 1), p elsewhere"),
        (data_grad - correct_class_term + 2.0 * reg * W,
         "the correct class's 1 is subtracted twice: the score gradient is p - 1 at y[i], p elsewhere"),
    ]
    return [hint for value, hint in variants if close(got, value)]


def diagnose_softmax_loss(got, *, class_losses, y, reg_term):
    """Hints for a wrong softmax loss that :func:`diagnose_loss` does not explain.

    Parameters
    ----------
    got : float
        The student's loss.
    class_losses : ndarray of shape (N, C)
        ``class_losses[i, c]`` is the correct loss ``-log p[i, c]`` example i would have if its label were c.
    y : ndarray of shape (N,)
    reg_term : float
        The correct regularization term ``reg * sum(W**2)``.
    """
    class_losses = np.asarray(class_losses, dtype=float)
    y = np.asarray(y)
    variants = [
        (float(np.mean(class_losses[:, y])) + reg_term if len(y) > 1 else None,
         "probs[:, y] picks every example's probability of every label in y, an N x N block, and averages all "
         "of it: take one entry per row, the correct class's, with probs[np.arange(N), y]"),
    ]
    return [hint for value, hint in variants if value is not None and close(got, value)]


def diagnose_svm_gradient(got, *, wrong_class_grad, correct_class_grad, violations, X, y, W, reg):
    """Hints for a wrong SVM dW that :func:`diagnose_gradient` does not explain.

    Parameters
    ----------
    got : ndarray
        The student's dW.
    wrong_class_grad : ndarray of W's shape
        The part of the correct data gradient in the wrong classes' columns: each violated margin
        (i, j) adds X[i] / N to column j.
    correct_class_grad : ndarray of W's shape
        The part in the correct classes' columns: column y[i] gets -X[i] / N once per violated margin of example i.
    violations : ndarray of shape (N,)
        The number of violated margins of each example.
    X, y, W, reg
        The inputs of the loss.
    """
    X = np.asarray(X, dtype=float)
    W = np.asarray(W, dtype=float)
    num_examples = X.shape[0]
    wrong_class_grad = np.asarray(wrong_class_grad, dtype=float)
    correct_class_grad = np.asarray(correct_class_grad, dtype=float)
    reg_grad = 2.0 * reg * W
    one_hot = np.zeros((num_examples, W.shape[1]))
    one_hot[np.arange(num_examples), np.asarray(y)] = 1.0
    whole_batch = -float(np.sum(violations)) * (X.T @ one_hot) / num_examples
    variants = [
        (wrong_class_grad + reg_grad,
         "the correct class's column never changes: for each violated margin (j != y[i]) add X[i] to column j "
         "and also subtract it from column y[i] (dW[:, y[i]] -= X[i])"),
        (wrong_class_grad - correct_class_grad + reg_grad,
         "the correct class's column has the wrong sign: each violated margin subtracts X[i] from column y[i], "
         "it does not add it"),
        (wrong_class_grad + whole_batch + reg_grad if num_examples > 1 else None,
         "column y[i] gets -X[i] times the number of violated margins in the whole batch: count them for each "
         "example separately, per row (np.sum(binary, axis=1))"),
    ]
    return [hint for value, hint in variants if value is not None and close(got, value)]
