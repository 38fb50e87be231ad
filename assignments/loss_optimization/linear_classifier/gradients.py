"""Numerical gradients and gradient checking.

The analytic gradient is fast and exact but easy to get wrong; the numerical
gradient is slow and approximate but easy to get right. A gradient check
compares the two.
"""

import numpy as np


def rel_error(a, b):
    """Largest relative error between two arrays (given, not student work).

    Returns ``max(|a - b| / max(1e-8, |a| + |b|))``; values below about 1e-7
    mean the arrays agree to within floating-point noise.
    """
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    return float(np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b))))


def eval_numerical_gradient(f, x, h=1e-5):
    """Gradient of ``f`` at ``x`` by centered differences.

    For every entry ``x[ix]``, estimate ``df/dx[ix] = (f(x + h e) - f(x - h e)) / (2 h)``
    where ``e`` is the indicator of that entry. Change ``x`` in place to evaluate
    ``f`` and put each entry back afterwards: when the function returns, ``x``
    holds exactly the values it had on entry.

    Parameters
    ----------
    f : callable
        Takes an array of ``x``'s shape and returns a float.
    x : ndarray of any shape, float dtype
        The point at which to evaluate the gradient.
    h : float, default 1e-5
        Half the width of the difference.

    Returns
    -------
    grad : ndarray of ``x``'s shape
        The numerical gradient.
    """
    grad = np.zeros(x.shape)
    # TODO: Gradient of ``f`` at ``x`` by centered differences.
    raise NotImplementedError('eval_numerical_gradient in linear_classifier/gradients.py is not implemented yet: Gradient of ``f`` at ``x`` by centered differences. Replace this line with your code (the docstring above says what to return).')
    return grad


def grad_check_sparse(f, x, analytic_grad, num_checks=10, h=1e-5, seed=None):
    """Compare an analytic gradient with centered differences at random entries.

    Pick ``num_checks`` entries of ``x`` at random (with a generator seeded by
    ``seed``). At each entry ``ix`` compute the centered difference ``num`` as in
    :func:`eval_numerical_gradient`, take ``ana = analytic_grad[ix]``, and record
    the relative error ``|num - ana| / (|num| + |ana|)`` (0 when both are 0).
    Restore ``x`` after each evaluation.

    Parameters
    ----------
    f : callable
        Takes an array of ``x``'s shape and returns a float.
    x : ndarray
        The point at which the gradients are compared.
    analytic_grad : ndarray of ``x``'s shape
        The gradient to check.
    num_checks : int, default 10
        How many entries to check.
    h : float, default 1e-5
    seed : int or None
        Seed of the random choice of entries.

    Returns
    -------
    errors : ndarray of shape (num_checks,)
        The relative error at each checked entry.
    """
    errors = np.zeros(num_checks)
    # TODO: Compare an analytic gradient with centered differences at random entries.
    raise NotImplementedError('grad_check_sparse in linear_classifier/gradients.py is not implemented yet: Compare an analytic gradient with centered differences at random entries. Replace this line with your code (the docstring above says what to return).')
    return errors
