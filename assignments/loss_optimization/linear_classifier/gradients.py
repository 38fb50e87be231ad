"""Numerical gradients and gradient checking.

The analytic gradient is fast and exact but easy to get wrong; the numerical
gradient is slow and approximate but easy to get right. A gradient check
compares the two.
"""

import numpy as np


def rel_error(a, b):
    """Largest relative error between two arrays (given, not student work).

    Returns ``max(|a - b| / max(1e-8, |a| + |b|))``, the notebooks' one
    definition of a relative error. Read it with the size of the entries in
    mind: where the true gradient is near 0, the round-off of a centered
    difference (about 1e-11 for these losses) divided by a tiny ``|a| + |b|``
    can give a large relative error although both values are right.
    """
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    return float(np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b))))


def eval_numerical_gradient(f, x, verbose=False, h=1e-5):
    """Gradient of ``f`` at ``x`` by centered differences.

    For every entry ``x[ix]``, estimate ``df/dx[ix] = (f(x + h e) - f(x - h e)) / (2 h)``
    where ``e`` is the indicator of that entry. Change ``x`` in place to evaluate
    ``f`` and put each entry back afterwards: when the function returns, ``x``
    holds exactly the values it had on entry.

    The signature is CS231n's, so ``eval_numerical_gradient(f, x, verbose=False, h=1e-5)``
    works as there; CS231n prints by default, this version only when asked, so
    that the notebooks stay quiet.

    Parameters
    ----------
    f : callable
        Takes an array of ``x``'s shape and returns a float.
    x : ndarray of any shape, float dtype
        The point at which to evaluate the gradient.
    verbose : bool, default False
        Print each index and its gradient (done for you after your loop).
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
    if verbose:
        for ix in np.ndindex(grad.shape):
            print(ix, grad[ix])
    return grad


def grad_check_sparse(f, x, analytic_grad, num_checks=10, h=1e-5, seed=None, verbose=False):
    """Compare an analytic gradient with centered differences at random entries.

    Pick ``num_checks`` entries of ``x`` at random, a new one for each check,
    with a generator seeded by ``seed`` (``np.random.default_rng(seed)``). At
    each entry ``ix`` compute the centered difference ``num`` as in
    :func:`eval_numerical_gradient`, take ``ana = analytic_grad[ix]``, and
    record ``numeric[k] = num``, ``analytic[k] = ana`` and the relative error
    ``errors[k] = |num - ana| / max(1e-8, |num| + |ana|)`` of check ``k``, the
    definition of :func:`rel_error` (the floor 1e-8 makes it 0 where both are 0).
    Restore ``x`` after each evaluation.

    CS231n's ``grad_check_sparse(f, x, analytic_grad, num_checks=10, h=1e-5)``
    call works unchanged. This version extends it: it returns the errors, takes
    a ``seed``, and prints CS231n's line per check,
    ``numerical: ... analytic: ..., relative error: ...``, only when
    ``verbose`` (CS231n always prints).

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
    verbose : bool, default False
        Print one line per check (done for you from ``numeric``, ``analytic`` and ``errors``).

    Returns
    -------
    errors : ndarray of shape (num_checks,)
        The relative error at each checked entry.
    """
    numeric = np.zeros(num_checks)
    analytic = np.zeros(num_checks)
    errors = np.zeros(num_checks)
    # TODO: Compare an analytic gradient with centered differences at random entries.
    raise NotImplementedError('grad_check_sparse in linear_classifier/gradients.py is not implemented yet: Compare an analytic gradient with centered differences at random entries. Replace this line with your code (the docstring above says what to return).')
    if verbose:
        for num, ana, error in zip(numeric, analytic, errors):
            print(f"numerical: {num:f} analytic: {ana:f}, relative error: {error:e}")
    return errors
