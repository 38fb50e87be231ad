"""Regularization penalties R(W) and their (sub)gradients.

The full loss is ``data loss + reg * R(W)``; each function here returns
``(R(W), dR/dW)`` for one choice of R. None of them modifies ``W``.
"""

import numpy as np


def l2_penalty(W):
    """L2 penalty ``R(W) = sum(W**2)``, which prefers many small weights.

    Parameters
    ----------
    W : ndarray of any shape

    Returns
    -------
    value : float
    gradient : ndarray of W's shape
        dR/dW, entry by entry.
    """
    # TODO: L2 penalty ``R(W) = sum(W**2)``, which prefers many small weights.
    raise NotImplementedError('l2_penalty in linear_classifier/regularization.py is not implemented yet: L2 penalty R(W) = sum(W**2), which prefers many small weights. Replace this line with your code (the docstring above says what to return).')


def l1_penalty(W):
    """L1 penalty ``R(W) = sum(|W|)``, which prefers sparse weights.

    ``|w|`` has no derivative at 0; any value in [-1, 1] is a valid subgradient
    there.

    Parameters
    ----------
    W : ndarray of any shape

    Returns
    -------
    value : float
    gradient : ndarray of W's shape
        A subgradient of R at W: the slope of R away from 0, a value in [-1, 1] where ``w == 0``.
    """
    # TODO: L1 penalty ``R(W) = sum(|W|)``, which prefers sparse weights.
    raise NotImplementedError('l1_penalty in linear_classifier/regularization.py is not implemented yet: L1 penalty R(W) = sum(|W|), which prefers sparse weights. Replace this line with your code (the docstring above says what to return).')


def elastic_net_penalty(W, beta=0.5):
    """Elastic-net penalty ``R(W) = sum(beta * W**2 + |W|)``.

    Parameters
    ----------
    W : ndarray of any shape
    beta : float, default 0.5
        Weight of the L2 part relative to the L1 part.

    Returns
    -------
    value : float
    gradient : ndarray of W's shape
        A subgradient of R at W (the L1 part may take any value in [-1, 1] where ``w == 0``).
    """
    # TODO: Elastic-net penalty ``R(W) = sum(beta * W**2 + |W|)``.
    raise NotImplementedError('elastic_net_penalty in linear_classifier/regularization.py is not implemented yet: Elastic-net penalty R(W) = sum(beta * W**2 + |W|). Replace this line with your code (the docstring above says what to return).')
