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
    ### BEGIN SOLUTION
    return float(np.sum(W * W)), 2.0 * W
    ### END SOLUTION


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
    ### BEGIN SOLUTION
    return float(np.sum(np.abs(W))), np.sign(W)
    ### END SOLUTION


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
    ### BEGIN SOLUTION
    return float(np.sum(beta * W * W + np.abs(W))), 2.0 * beta * W + np.sign(W)
    ### END SOLUTION
