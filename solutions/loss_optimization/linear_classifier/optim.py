"""First-order update rules and learning-rate schedules.

Update rules follow one interface: ``next_w, config = rule(w, dw, config)``,
where ``w`` is the current parameter array, ``dw`` the gradient of the loss
with respect to it, and ``config`` a dict of hyperparameters and state (such
as the velocity) that the caller passes back on the next step. A rule may
update ``w`` in place and return it.
"""

import math

import numpy as np


def sgd(w, dw, config=None):
    """Vanilla (stochastic) gradient descent: one step of size ``learning_rate`` against the gradient ``dw``.

    Parameters
    ----------
    w : ndarray
    dw : ndarray of w's shape
    config : dict or None
        ``learning_rate`` (default 1e-2).

    Returns
    -------
    next_w : ndarray of w's shape
    config : dict
        ``config`` with its defaults filled in.
    """
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-2)
    ### BEGIN SOLUTION
    next_w = w - config["learning_rate"] * dw
    ### END SOLUTION
    return next_w, config


def sgd_momentum(w, dw, config=None):
    """Gradient descent with momentum.

    The step is a velocity that remembers earlier steps: at each call the old
    velocity (zeros at the first step) keeps the fraction ``momentum`` of
    itself and gains a step of size ``learning_rate`` against ``dw``; the
    weights then move by the new velocity (notebook 04, section 5, has the
    lecture's two equations).

    Parameters
    ----------
    w : ndarray
    dw : ndarray of w's shape
    config : dict or None
        ``learning_rate`` (default 1e-2), ``momentum`` (default 0.9) and
        ``velocity`` (default zeros of w's shape), which this function updates.

    Returns
    -------
    next_w : ndarray of w's shape
    config : dict
        ``config`` with the new ``velocity``.
    """
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("momentum", 0.9)
    velocity = config.get("velocity", np.zeros_like(w))
    ### BEGIN SOLUTION
    velocity = config["momentum"] * velocity - config["learning_rate"] * dw
    next_w = w + velocity
    ### END SOLUTION
    config["velocity"] = velocity
    return next_w, config


def step_decay(learning_rate, t, decay_rate=0.5, decay_every=100):
    """Step decay: the rate drops by the factor ``decay_rate`` after every ``decay_every`` steps.

    Steps are counted from ``t = 0``. With ``learning_rate=1.0``, ``decay_rate=0.5`` and
    ``decay_every=100``, steps 0-99 use 1.0, steps 100-199 use 0.5, steps 200-299 use 0.25.

    Returns
    -------
    rate : float
    """
    ### BEGIN SOLUTION
    return learning_rate * decay_rate ** (t // decay_every)
    ### END SOLUTION


def cosine_decay(learning_rate, t, T):
    """Cosine decay from ``learning_rate`` at ``t = 0`` to 0 at ``t = T``.

    The rate follows half a period of a cosine, shifted and scaled so that it
    starts at ``learning_rate``, is half of it at ``t = T / 2`` and reaches 0 at
    ``t = T`` (notebook 04, section 6, has the lecture's formula).

    Returns
    -------
    rate : float
    """
    ### BEGIN SOLUTION
    return 0.5 * learning_rate * (1.0 + math.cos(math.pi * t / T))
    ### END SOLUTION
