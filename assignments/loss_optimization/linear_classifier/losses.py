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
    # TODO: Multiclass SVM loss and its gradient, computed with explicit loops.
    raise NotImplementedError('svm_loss_naive in linear_classifier/losses.py is not implemented yet: Multiclass SVM loss and its gradient, computed with explicit loops. Replace this line with your code (the docstring above says what to return).')
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
    # TODO: Multiclass SVM loss and its gradient, without Python loops.
    raise NotImplementedError('svm_loss_vectorized in linear_classifier/losses.py is not implemented yet: Multiclass SVM loss and its gradient, without Python loops. Replace this line with your code (the docstring above says what to return).')
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
    # TODO: Softmax (cross-entropy) loss and its gradient, computed with explicit loops.
    raise NotImplementedError('softmax_loss_naive in linear_classifier/losses.py is not implemented yet: Softmax (cross-entropy) loss and its gradient, computed with explicit loops. Replace this line with your code (the docstring above says what to return).')
    return float(loss), dW


def softmax_loss_vectorized(W, X, y, reg):
    """Softmax (cross-entropy) loss and its gradient, without Python loops.

    Same inputs and outputs as :func:`softmax_loss_naive`. Must stay finite for
    huge scores such as ``[123, 456, 789]``.
    """
    check_loss_inputs(W, X, y)
    loss = 0.0
    dW = np.zeros(W.shape)
    # TODO: Softmax (cross-entropy) loss and its gradient, without Python loops.
    raise NotImplementedError('softmax_loss_vectorized in linear_classifier/losses.py is not implemented yet: Softmax (cross-entropy) loss and its gradient, without Python loops. Replace this line with your code (the docstring above says what to return).')
    return float(loss), dW
