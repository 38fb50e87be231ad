"""Recognise the common mistakes behind a wrong loss or dW (the losses' part of :mod:`.diagnosis`).

Each function compares a wrong result with the results well-known mistakes would produce, built from the
parts of the correct answer the caller has (the grader runs the reference on the inputs a mistake would have
used; nothing here computes a graded function's result, since students get this module). A match counts only where no other mistake gives the same value on the same inputs
(:func:`matching`). :mod:`.diagnosis` re-exports every function here: callers import them from there.
"""

import re

import numpy as np

from .mistakes import hint
from .report import close

#: exp() overflows above this argument and underflows to 0 below minus the second (float64).
EXP_OVERFLOW = float(np.log(np.finfo(float).max))
EXP_UNDERFLOW = float(-np.log(np.finfo(float).smallest_subnormal))


def matching(got, variants, exclusive=True):
    """Hints of the ``(value, hint)`` variants that ``got`` matches; a value of None is skipped.

    With ``exclusive``, a variant that another mistake's variant equals on these inputs is evidence for
    neither (W = 0 makes every regularization mistake alike, and the squared hinge's dW twice the hinge's; a
    data loss of 0 makes "the penalty doubled" and "everything doubled" alike; D = 1 makes "the bias row left
    out" and "no penalty" alike): such matches are dropped, so that a student is never sent to fix what may be
    right. Without it (sentences that each say what the result did, such as "the step goes uphill"), every
    match is kept: each is true of the result.
    """
    known = [(value, said) for value, said in variants if value is not None]
    found = {}
    for value, said in known:
        if said.mistake in found or not close(got, value):
            continue
        if exclusive and any(other.mistake != said.mistake and _same(value, other_value)
                             for other_value, other in known):
            continue
        found[said.mistake] = said
    return list(found.values())


def _same(value, other):
    return np.shape(value) == np.shape(other) and close(value, other) and close(other, value)


def all_zero(got):
    got = np.asarray(got, dtype=float)
    return got.size > 0 and bool(np.all(got == 0))


# -- losses -----------------------------------------------------------------------------------------------------


def diagnose_overflow(scores=None):
    """Why a softmax loss or gradient is not finite, from the scores ``X @ W`` when the caller has them.

    Without a shift, scores above ``EXP_OVERFLOW`` overflow; with one shift for
    the whole batch, a row whose maximum lies more than ``EXP_UNDERFLOW`` below
    the batch's maximum underflows to 0 entirely.
    """
    if scores is None:
        return [hint("exp_overflow")]
    scores = np.asarray(scores, dtype=float)
    row_maxima = scores.max(axis=1)
    if scores.max() <= EXP_OVERFLOW and row_maxima.max() - row_maxima.min() > EXP_UNDERFLOW:
        return [hint("global_max_shift")]
    return [hint("exp_overflow")]


def diagnose_result_type(got_loss, got_grad, W, scores=None):
    """Hints about the form of a ``(loss, dW)`` result, before comparing values.

    ``scores`` (``X @ W``), when given, tells the overflow of a missing shift
    from the underflow of a shift by one maximum for the whole batch.
    """
    hints = []
    if np.ndim(got_loss) != 0:
        hints.append(hint("loss_not_scalar", shape=np.shape(got_loss)))
    elif not np.isfinite(got_loss):
        hints += diagnose_overflow(scores)
    if got_grad is not None:
        if np.shape(got_grad) != np.shape(W):
            if np.shape(got_grad) == np.shape(W)[::-1]:
                hints.append(hint("dW_transposed", got=np.shape(got_grad), W=np.shape(W)))
            else:
                hints.append(hint("dW_shape", W=np.shape(W), got=np.shape(got_grad)))
        elif not np.all(np.isfinite(got_grad)) and not hints:
            hints += diagnose_overflow(scores)
    return hints


def diagnose_error(error_type, message, *, W_shape, X_shape):
    """Hints for an exception a loss function raised, from its type and message.

    Recognises W put on the left of a product (CS231n's 2015 layout, W of
    shape (C, D) and X of shape (D, N)) and a loop over more classes than W
    has.
    """
    D, C = W_shape
    hints = []
    if error_type == "ValueError" and re.search(rf"shapes \({D}, ?{C}\) and", message):
        hints.append(hint("cs231n_2015_layout", W=tuple(W_shape), X=tuple(X_shape)))
    # Only where C is neither N nor D is an axis of size C surely the classes' axis.
    if (error_type == "IndexError" and C not in X_shape
            and re.search(rf"index {C} is out of bounds for axis \d+ with size {C}\b", message)):
        hints.append(hint("hard_coded_classes", C=C))
    return hints


def diagnose_loss(got, *, kind, data_losses, reg_term, penalty=None, squared_hinge=None, scores=None,
                  bias_reg_term=None, half_reg_gradient=None, labels=None):
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
    penalty : float or None
        ``sum(W**2)``, to recognise it added without the strength ``reg``.
    squared_hinge : float or None
        The mean of the per-example squared-hinge losses, when the caller has it.
    scores : ndarray or None
        ``X @ W``, to explain a loss that is not finite (and, with ``labels``, to recognise exp(s_y) in place of
        s_y in a softmax loss).
    labels : ndarray of shape (N,) or None
        The labels y, beside ``scores``.
    bias_reg_term : float or None
        ``reg * sum(W[-1]**2)``, the part of the regularization term of the last row of W (the bias row of
        the bias trick), to recognise a penalty that leaves it out.
    half_reg_gradient : bool or None
        Whether the same call's dW is ``data_grad + reg * W``: only then is half the regularization term
        named as the 0.5 * reg convention (which ``[partial_credit]`` may reward); otherwise, or when the
        caller does not know (None), as a halved term, whichever its cause.
    """
    data_losses = np.asarray(data_losses, dtype=float)
    num_examples = len(data_losses)
    mean = float(data_losses.mean())
    several = num_examples > 1
    regularized = reg_term != 0
    hints = matching(got, [
        (mean + reg_term + 1.0 if kind == "svm" else None, hint("svm_correct_class_counted")),
        (num_examples * mean + reg_term if several else None, hint("loss_sum_not_mean")),
        (num_examples * (mean + reg_term) if several and regularized else None, hint("loss_all_times_n")),
        (mean + reg_term / num_examples if several and regularized else None, hint("reg_divided_by_n")),
        (mean if regularized else None, hint("reg_missing")),
        (mean + 0.5 * reg_term if regularized else None,
         hint("half_reg") if half_reg_gradient else hint("reg_halved")),
        (mean + 2.0 * reg_term if regularized else None, hint("reg_doubled")),
        (2.0 * mean + reg_term, hint("counted_twice")),
        (2.0 * (mean + reg_term) if regularized else None, hint("counted_twice")),
        (mean / num_examples + reg_term if several else None, hint("loss_divided_twice")),
        (mean + reg_term - bias_reg_term if bias_reg_term else None, hint("bias_not_regularized")),
        (mean + penalty if penalty is not None and not close(penalty, reg_term) else None,
         hint("reg_strength_missing")),
        (squared_hinge + reg_term if squared_hinge is not None else None, hint("squared_hinge")),
        (-mean + reg_term if kind == "softmax" else None, hint("softmax_sign_flipped")),
    ] + (_clipped_probabilities(data_losses, reg_term) if kind == "softmax" else [])
      + (_exp_of_correct_score(data_losses, scores, labels, reg_term)
         if kind == "softmax" and scores is not None and labels is not None else []))
    if not hints and not np.isfinite(got):
        hints += diagnose_overflow(scores)
    if not hints and got == 0:
        hints.append(hint("returned_zeros", what="the loss"))
    return hints


#: Constants students add to p_y before its log (or floor it at), the first the most common: each caps an
#: example's loss at -log(eps), 34.5 for 1e-15.
PROBABILITY_EPSILONS = (1e-15, 1e-12, 1e-10, 1e-8, 1e-7)


def _clipped_probabilities(data_losses, reg_term):
    """The softmax losses with eps added to each p_y before its log, or p_y floored at eps."""
    probabilities = np.exp(-data_losses)
    variants = []
    for eps in PROBABILITY_EPSILONS:
        said = hint("probability_clipped", cap=f"{-np.log(eps):.1f}")
        variants += [(float(np.mean(-np.log(probabilities + eps))) + reg_term, said),
                     (float(np.mean(np.minimum(data_losses, -np.log(eps)))) + reg_term, said)]
    return variants


def diagnose_gradient(got, *, data_grad, W, reg, num_examples, half_reg_loss=False, scores=None,
                      squared_hinge_grad=None):
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
    half_reg_loss : bool
        Whether the same call's loss used ``0.5 * reg * sum(W**2)``: a dW of
        ``data_grad + reg * W`` then follows that convention consistently.
    scores : ndarray or None
        ``X @ W``, to explain a dW that is not finite.
    squared_hinge_grad : ndarray or None
        The data gradient of the squared hinge loss (SVM), which at W = 0 is twice the hinge's.
    """
    hints = diagnose_result_type(0.0, got, W, scores)
    if hints:
        return hints
    data_grad = np.asarray(data_grad, dtype=float)
    W = np.asarray(W, dtype=float)
    reg_grad = 2.0 * reg * W
    several = num_examples > 1
    hints = matching(got, [
        (data_grad + reg * W if reg != 0 else None,
         hint("half_reg") if half_reg_loss else hint("reg_grad_not_doubled")),
        (data_grad if reg != 0 else None, hint("reg_grad_missing")),
        (data_grad + reg_grad / num_examples if several and reg != 0 else None, hint("reg_grad_before_mean")),
        (data_grad + 2.0 * W if reg not in (0.0, 1.0) else None, hint("reg_grad_strength_missing")),
        (num_examples * data_grad + reg_grad if several else None, hint("grad_sum_not_mean")),
        (num_examples * (data_grad + reg_grad) if several and reg != 0 else None, hint("grad_all_times_n")),
        (-(data_grad + reg_grad), hint("grad_wrong_sign")),
        (data_grad - reg_grad if reg != 0 else None, hint("reg_grad_wrong_sign")),
        (2.0 * data_grad + reg_grad, hint("grad_counted_twice")),
        (2.0 * (data_grad + reg_grad) if reg != 0 else None, hint("grad_counted_twice")),
        (data_grad / num_examples + reg_grad if several else None, hint("grad_divided_twice")),
        (data_grad + _without_last_row(reg_grad) if reg != 0 and W.ndim == 2 else None,
         hint("bias_not_regularized")),
        (None if squared_hinge_grad is None else np.asarray(squared_hinge_grad, dtype=float) + reg_grad,
         hint("squared_hinge")),
    ])
    if not hints and all_zero(got):
        hints.append(hint("returned_zeros", what="dW"))
    return hints


def _without_last_row(matrix):
    """``matrix`` with its last row (the bias row of the bias trick) set to 0."""
    trimmed = np.array(matrix, dtype=float)
    trimmed[-1] = 0.0
    return trimmed


def _one_hot(y, num_classes):
    y = np.asarray(y)
    one_hot = np.zeros((len(y), num_classes))
    one_hot[np.arange(len(y)), y] = 1.0
    return one_hot


def _exp_of_correct_score(data_losses, scores, labels, reg_term):
    """The softmax losses with exp(s_y) subtracted where -log p_y = log(sum_j exp s_j) - s_y subtracts s_y, with
    the scores shifted by their row's maximum or not (a value that is not finite is left out)."""
    scores = np.asarray(scores, dtype=float)
    correct = scores[np.arange(len(labels)), np.asarray(labels)]
    shifted = correct - scores.max(axis=1)
    losses = np.asarray(data_losses, dtype=float)
    said = hint("softmax_exp_of_correct_score")
    with np.errstate(all="ignore"):
        values = [float(np.mean(losses + shifted - np.exp(shifted))) + reg_term,
                  float(np.mean(losses + correct - np.exp(correct))) + reg_term]
    return [(value, said) for value in values if np.isfinite(value)]


def _first_label_differs(y):
    """Whether scoring every example with ``y[0]``'s label changes anything (some label differs from it)."""
    y = np.asarray(y)
    return len(y) > 1 and bool(np.any(y != y[0]))


def _example_mistakes(reg_grad, num_examples, last_example_grad, first_label_grad):
    """Variants of a dW whose examples were mixed up: the last example's alone (averaged over N or not), and every
    example scored with the first example's label. The data gradients come from the caller (the grader runs the
    reference on those inputs), so nothing here computes a loss's gradient."""
    several = num_examples > 1
    variants = []
    if last_example_grad is not None and several:
        last = np.asarray(last_example_grad, dtype=float)
        variants += [(last / num_examples + reg_grad, hint("grad_last_example_only")),
                     (last + reg_grad, hint("grad_last_example_only"))]
    if first_label_grad is not None:
        variants.append((np.asarray(first_label_grad, dtype=float) + reg_grad, hint("labels_of_first_example")))
    return variants


def diagnose_softmax_gradient(got, *, data_grad, X, y, W, reg, last_example_grad=None, first_label_grad=None):
    """Hints for a wrong softmax dW that :func:`diagnose_gradient` does not explain.

    Parameters
    ----------
    got : ndarray
        The student's dW.
    data_grad : ndarray of W's shape
        The correct gradient of the data loss alone.
    X, y, W, reg
        The inputs of the loss.
    last_example_grad : ndarray of W's shape or None
        The correct data gradient of the last example alone (N = 1).
    first_label_grad : ndarray of W's shape or None
        The correct data gradient with every label replaced by ``y[0]`` (None where no label differs from it).
    """
    X = np.asarray(X, dtype=float)
    W = np.asarray(W, dtype=float)
    num_examples = X.shape[0]
    reg_grad = 2.0 * reg * W
    correct_class_term = X.T @ _one_hot(y, W.shape[1]) / num_examples
    return matching(got, [
        (data_grad + correct_class_term + reg_grad, hint("softmax_missing_minus_one")),
        (data_grad - correct_class_term + reg_grad, hint("softmax_minus_one_twice")),
    ] + _example_mistakes(reg_grad, num_examples, last_example_grad, first_label_grad))


def diagnose_softmax_loss(got, *, class_losses, y, reg_term, scores=None):
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
    scores : ndarray of shape (N, C) or None
        ``X @ W``, to recognise exp(s_y) in place of the correct class's score s_y.
    """
    class_losses = np.asarray(class_losses, dtype=float)
    y = np.asarray(y)
    rows = np.arange(len(y))
    variants = [
        (float(np.mean(class_losses[:, y])) + reg_term if len(y) > 1 else None, hint("softmax_probs_colon")),
    ]
    if scores is not None:
        variants += _exp_of_correct_score(class_losses[rows, y], scores, y, reg_term)
    return matching(got, [(value, said) for value, said in variants if value is None or np.isfinite(value)])


def diagnose_class_losses(got, *, class_losses, y, reg_term):
    """Hints for a wrong loss (SVM or softmax) from each example's loss under every label.

    ``class_losses[i, c]`` is the correct loss of example i if its label were c: a loss whose every example
    was scored with the first example's label is the mean of ``class_losses[i, y[0]]``.
    """
    class_losses = np.asarray(class_losses, dtype=float)
    y = np.asarray(y)
    return matching(got, [
        (float(np.mean(class_losses[:, y[0]])) + reg_term if _first_label_differs(y) else None,
         hint("labels_of_first_example")),
    ])


def diagnose_svm_gradient(got, *, wrong_class_grad, correct_class_grad, violations, X, y, W, reg,
                          unmasked_grads=(), last_example_grad=None, first_label_grad=None):
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
    unmasked_grads : sequence of ndarrays of W's shape
        Data gradients whose mask of violated margins was built before max(0, .) (negative margins kept with
        their values, or every wrong class counted), from the caller.
    last_example_grad, first_label_grad : ndarray of W's shape or None
        As in :func:`diagnose_softmax_gradient`.
    """
    X = np.asarray(X, dtype=float)
    W = np.asarray(W, dtype=float)
    num_examples = X.shape[0]
    wrong_class_grad = np.asarray(wrong_class_grad, dtype=float)
    correct_class_grad = np.asarray(correct_class_grad, dtype=float)
    reg_grad = 2.0 * reg * W
    one_hot = _one_hot(y, W.shape[1])
    correct_rows = X.T @ one_hot / num_examples
    whole_batch = -float(np.sum(violations)) * correct_rows
    # Column y[i] changed by 1 in every feature, not by X[i], once per violated margin.
    constant_column = np.ones((X.shape[1], num_examples)) @ (one_hot * -np.asarray(violations)[:, None]) / num_examples
    variants = [
        (wrong_class_grad + reg_grad, hint("svm_correct_column_unchanged")),
        (wrong_class_grad - correct_class_grad + reg_grad, hint("svm_correct_column_wrong_sign")),
        (wrong_class_grad + whole_batch + reg_grad if num_examples > 1 else None, hint("svm_counts_whole_batch")),
        (wrong_class_grad + correct_class_grad - correct_rows + reg_grad, hint("svm_mask_counts_correct_class")),
        (wrong_class_grad + constant_column + reg_grad, hint("svm_correct_column_constant")),
    ]
    variants += [(np.asarray(unmasked, dtype=float) + reg_grad, hint("svm_mask_before_max"))
                 for unmasked in unmasked_grads]
    return matching(got, variants + _example_mistakes(reg_grad, num_examples, last_example_grad, first_label_grad))


def diagnose_modified_inputs(before, after):
    """Hints naming the arguments a function changed in place.

    ``before`` and ``after`` map argument names to copies of their values taken
    before and after the call.
    """
    changed = [name for name in before
               if np.shape(before[name]) != np.shape(after[name]) or not np.array_equal(before[name], after[name])]
    return [hint("input_modified", name=name) for name in changed]


