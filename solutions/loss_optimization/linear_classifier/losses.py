"""Multiclass SVM (hinge) and softmax (cross-entropy) losses for a linear classifier.

Conventions shared by every function in this module:

- ``W`` has shape (D, C): one column of weights per class.
- ``X`` has shape (N, D): one example per row.
- ``y`` has shape (N,): integer labels, ``0 <= y[i] < C``.
- ``reg`` is the L2 regularization strength (a float).

Each function returns ``(loss, dW)``, where

- ``loss`` is the mean of the per-example losses plus ``reg * np.sum(W * W)``,
- ``dW`` is the gradient of ``loss`` with respect to ``W``, with W's shape,
  the regularization term's part included.

No function modifies ``W``, ``X`` or ``y``.
"""

import numpy as np

from .validation import check_loss_inputs

#: The SVM margin Delta: the correct class should score at least this much above every other class.
SVM_MARGIN = 1.0


def svm_loss_naive(W, X, y, reg):
    """Multiclass SVM loss and its gradient, computed with explicit loops.

    For example i with scores ``s = X[i] @ W``, the loss is
    ``L_i = sum over j != y[i] of max(0, s[j] - s[y[i]] + 1)``.

    Parameters
    ----------
    W : ndarray of shape (D, C)
        Weights.
    X : ndarray of shape (N, D)
        A minibatch of data.
    y : ndarray of shape (N,)
        Labels; ``y[i] = c`` means ``X[i]`` belongs to class ``c``.
    reg : float
        L2 regularization strength.

    Returns
    -------
    loss : float
        Mean of L_i over the N examples, plus ``reg * sum(W**2)``.
    dW : ndarray of shape (D, C)
        Gradient of ``loss`` with respect to ``W``.
    """
    check_loss_inputs(W, X, y)
    dW = np.zeros(W.shape)
    loss = 0.0
    ### BEGIN SOLUTION
    num_classes = W.shape[1]
    num_train = X.shape[0]
    for i in range(num_train):
        scores = X[i].dot(W)
        correct_class_score = scores[y[i]]
        for j in range(num_classes):
            if j == y[i]:
                continue
            margin = scores[j] - correct_class_score + SVM_MARGIN
            if margin > 0:
                loss += margin
                dW[:, j] += X[i]
                dW[:, y[i]] -= X[i]
    loss /= num_train
    dW /= num_train
    loss += reg * np.sum(W * W)
    dW += 2 * reg * W
    ### END SOLUTION
    return float(loss), dW


def svm_loss_vectorized(W, X, y, reg):
    """Multiclass SVM loss and its gradient, without Python loops.

    Same inputs and outputs as :func:`svm_loss_naive`. Compute the scores with one
    matrix product, the margins with broadcasting, and the gradient with one more
    matrix product.
    """
    check_loss_inputs(W, X, y)
    loss = 0.0
    dW = np.zeros(W.shape)
    ### BEGIN SOLUTION
    num_train = X.shape[0]
    rows = np.arange(num_train)
    scores = X.dot(W)
    correct_class_scores = scores[rows, y][:, np.newaxis]
    margins = np.maximum(0.0, scores - correct_class_scores + SVM_MARGIN)
    margins[rows, y] = 0.0
    loss = margins.sum() / num_train + reg * np.vdot(W, W)  # vdot: sum(W * W) without a W-sized temporary

    # Each violated margin adds X[i] to its class column and subtracts it from the correct one.
    coefficients = (margins > 0).astype(margins.dtype)
    coefficients[rows, y] = -coefficients.sum(axis=1)
    # Scale the small (N, C) array rather than the (D, C) product, and write the product into the dW
    # allocated above: at N=500 fresh W-sized arrays cost more than the arithmetic around the products.
    coefficients /= num_train
    np.matmul(X.T, coefficients, out=dW)
    dW += 2 * reg * W
    ### END SOLUTION
    return float(loss), dW


def softmax_loss_naive(W, X, y, reg):
    """Softmax (cross-entropy) loss and its gradient, computed with explicit loops.

    For example i with scores ``s = X[i] @ W``, the loss is
    ``L_i = -log(exp(s[y[i]]) / sum_j exp(s[j]))``. Shift the scores by their
    maximum before exponentiating so that huge scores stay finite.

    Parameters
    ----------
    W : ndarray of shape (D, C)
    X : ndarray of shape (N, D)
    y : ndarray of shape (N,)
    reg : float

    Returns
    -------
    loss : float
        Mean of L_i over the N examples, plus ``reg * sum(W**2)``.
    dW : ndarray of shape (D, C)
        Gradient of ``loss`` with respect to ``W``.
    """
    check_loss_inputs(W, X, y)
    loss = 0.0
    dW = np.zeros(W.shape)
    ### BEGIN SOLUTION
    num_classes = W.shape[1]
    num_train = X.shape[0]
    for i in range(num_train):
        scores = X[i].dot(W)
        scores = scores - np.max(scores)
        # -log p_y = log(sum exp s) - s_y stays finite even where p_y underflows to 0.
        log_normalizer = np.log(np.sum(np.exp(scores)))
        probs = np.exp(scores - log_normalizer)
        loss += log_normalizer - scores[y[i]]
        for j in range(num_classes):
            dW[:, j] += (probs[j] - (j == y[i])) * X[i]
    loss = loss / num_train + reg * np.sum(W * W)
    dW = dW / num_train + 2 * reg * W
    ### END SOLUTION
    return float(loss), dW


def softmax_loss_vectorized(W, X, y, reg):
    """Softmax (cross-entropy) loss and its gradient, without Python loops.

    Same inputs and outputs as :func:`softmax_loss_naive`. Must stay finite for
    huge scores such as ``[123, 456, 789]``.
    """
    check_loss_inputs(W, X, y)
    loss = 0.0
    dW = np.zeros(W.shape)
    ### BEGIN SOLUTION
    num_train = X.shape[0]
    rows = np.arange(num_train)
    scores = X.dot(W)
    scores -= scores.max(axis=1, keepdims=True)
    # log-sum-exp on shifted scores: -log p_y = log(sum_j exp s_j) - s_y, never exp of a large number.
    probs = np.exp(scores)
    normalizers = probs.sum(axis=1)
    loss = np.mean(np.log(normalizers) - scores[rows, y]) + reg * np.vdot(W, W)

    probs /= normalizers[:, np.newaxis]
    probs[rows, y] -= 1.0
    probs /= num_train
    np.matmul(X.T, probs, out=dW)  # into the dW allocated above, as in svm_loss_vectorized
    dW += 2 * reg * W
    ### END SOLUTION
    return float(loss), dW
