"""Visible checks of ``linear_classifier.optim`` (04_optimization).

Update rules are checked on numbers worked out by hand and, for momentum, on
the quadratic ``f(w) = a * w**2 / 2`` (gradient ``a * w``), where every
formulation of momentum in the lecture gives the same weights: eliminating the
velocity leaves the "heavy ball" recurrence

    w[t+1] = (1 + rho - lr * a) * w[t] - rho * w[t-1],   w[1] = (1 - lr * a) * w[0].

Schedules are checked against hand-computed rates.
"""

import math

import numpy as np

from .. import optim
from .diagnosis import diagnose_schedule, diagnose_update_rule
from .mistakes import hint
from .report import CheckFailed, close, passed, quiet_numerics

#: Curvatures a and starting points w[0] of the quadratic used for momentum (one per entry of w).
CURVATURES = np.array([1.0, 4.0])
START = np.array([1.0, -2.0])


def check_sgd(function=None):
    """Check ``sgd(w, dw, config) -> (w - learning_rate * dw, config)``.

    Parameters
    ----------
    function : callable or None
        The implementation to check; the student's ``optim.sgd`` by default.
    """
    function = function or optim.sgd
    with quiet_numerics():
        w = np.array([1.0, -2.0, 3.0])
        dw = np.array([0.5, 0.5, -1.0])
        # 1 - 0.1 * 0.5 = 0.95, -2 - 0.1 * 0.5 = -2.05, 3 - 0.1 * (-1) = 3.1
        got, config = _step(function, "sgd", w, dw, {"learning_rate": 0.1})
        if not close(got, [0.95, -2.05, 3.1]):
            raise CheckFailed(
                "sgd(w, dw, {'learning_rate': 0.1}) with w = [1, -2, 3], dw = [0.5, 0.5, -1]",
                expected=np.array([0.95, -2.05, 3.1]), got=got, hints=_step_hints("sgd", got, w, dw, 0.1),
            )
        passed("sgd takes one step w - learning_rate * dw")

        # Without a config the learning rate is 1e-2: 1 - 0.01 = 0.99 and 2 + 0.01 = 2.01.
        w = np.array([[1.0, 2.0]])
        dw = np.array([[1.0, -1.0]])
        got, config = _step(function, "sgd", w, dw, None)
        if not close(got, [[0.99, 2.01]]):
            raise CheckFailed(
                "sgd(w, dw) with no config on w = [[1, 2]], dw = [[1, -1]]",
                expected=np.array([[0.99, 2.01]]), got=got, hints=_step_hints("sgd", got, w, dw, 1e-2),
            )
        passed("sgd uses the default learning rate 1e-2 when config is None")


def check_sgd_momentum(function=None):
    """Check ``sgd_momentum`` on the weights it produces, whatever velocity convention it uses.

    On ``f(w) = w**2 / 2`` from ``w = 1`` with learning rate 0.1 and momentum 0.9,
    both lecture formulations (``v = rho*v - lr*dw; w += v`` and
    ``v = rho*v + dw; w -= lr*v``) give w = 0.9, 0.72, 0.486, 0.2268, ...

    Parameters
    ----------
    function : callable or None
        The implementation to check; the student's ``optim.sgd_momentum`` by default.
    """
    function = function or optim.sgd_momentum
    with quiet_numerics():
        # The velocity starts at zero, so the first step is a plain SGD step with learning rate 1e-2.
        w = np.array([1.0, 2.0])
        dw = np.array([1.0, -1.0])
        got, config = _step(function, "sgd_momentum", w, dw, None)
        if not close(got, [0.99, 2.01]):
            raise CheckFailed(
                "sgd_momentum(w, dw) with no config: the velocity starts at zero, so the first step is w - 0.01 * dw",
                expected=np.array([0.99, 2.01]), got=got, hints=_step_hints("sgd_momentum", got, w, dw, 1e-2),
            )
        missing = [key for key in ("learning_rate", "momentum", "velocity") if key not in config]
        if missing:
            raise CheckFailed(
                "sgd_momentum must return its config with learning_rate, momentum and velocity",
                expected=["learning_rate", "momentum", "velocity"], got=sorted(config),
                hints=[hint("config_incomplete", missing=missing)],
            )
        passed("sgd_momentum: the first step from zero velocity is an SGD step, and config holds the velocity")

        for rho in (0.9, 0.5):
            expected = heavy_ball_path(START, CURVATURES, 0.1, rho, num_steps=8)
            got = _momentum_path(function, START, CURVATURES, {"learning_rate": 0.1, "momentum": rho}, num_steps=8)
            if not close(got, expected):
                raise CheckFailed(
                    f"sgd_momentum on f(w) = a * w**2 / 2 with a = {CURVATURES.tolist()}, w[0] = {START.tolist()}, "
                    f"learning_rate 0.1, momentum {rho}: the weights after each of 8 steps",
                    expected=expected, got=got,
                    hints=diagnose_update_rule(got, rule="sgd_momentum", w=START, dws=lambda w: CURVATURES * w,
                                               learning_rate=0.1, momentum=rho, num_steps=len(got)),
                )
            passed(f"sgd_momentum follows the heavy-ball path with momentum {rho} (8 steps)")


def check_step_decay(function=None):
    """Check ``step_decay(learning_rate, t, decay_rate, decay_every)``: the rate times decay_rate per full period.

    Parameters
    ----------
    function : callable or None
        The implementation to check; the student's ``optim.step_decay`` by default.
    """
    function = function or optim.step_decay
    # (arguments, rate worked out by hand): the rate halves after steps 100, 200, ...
    cases = [
        ((0.1, 0), {}, 0.1),
        ((0.1, 99), {}, 0.1),
        ((0.1, 100), {}, 0.05),
        ((0.1, 250), {}, 0.025),
        ((1.0, 29), {"decay_rate": 0.1, "decay_every": 10}, 0.01),
        ((1.0, 30), {"decay_rate": 0.1, "decay_every": 10}, 0.001),
    ]
    with quiet_numerics():
        for args, kwargs, expected in cases:
            got = function(*args, **kwargs)
            if np.ndim(got) != 0 or not close(got, expected):
                raise CheckFailed(
                    f"step_decay{_signature(args, kwargs)}", expected=expected, got=got,
                    hints=diagnose_schedule(got, kind="step", learning_rate=args[0], t=args[1], **kwargs),
                )
        passed("step_decay multiplies the rate by decay_rate after every decay_every steps")


def check_cosine_decay(function=None):
    """Check ``cosine_decay(learning_rate, t, T) = 0.5 * learning_rate * (1 + cos(pi * t / T))``.

    Parameters
    ----------
    function : callable or None
        The implementation to check; the student's ``optim.cosine_decay`` by default.
    """
    function = function or optim.cosine_decay
    # cos(pi/4) = sqrt(2)/2, so at a quarter of the way the rate is 0.1 * (2 + sqrt(2)) / 4, and so on.
    cases = [
        ((0.1, 0, 100), 0.1),
        ((0.1, 25, 100), 0.1 * (2.0 + math.sqrt(2.0)) / 4.0),
        ((0.1, 50, 100), 0.05),
        ((0.1, 75, 100), 0.1 * (2.0 - math.sqrt(2.0)) / 4.0),
        ((0.1, 100, 100), 0.0),
        ((2.0, 1, 3), 1.5),
    ]
    with quiet_numerics():
        for args, expected in cases:
            got = function(*args)
            if np.ndim(got) != 0 or not close(got, expected):
                raise CheckFailed(
                    f"cosine_decay{_signature(args, {})}", expected=expected, got=got,
                    hints=diagnose_schedule(got, kind="cosine", learning_rate=args[0], t=args[1], T=args[2]),
                )
        passed("cosine_decay falls from learning_rate at t = 0 through half of it at T/2 to 0 at t = T")


def heavy_ball_path(start, curvatures, learning_rate, momentum, num_steps):
    """Weights after each step of momentum on ``f(w) = a * w**2 / 2``, from the velocity-free recurrence.

    Returns
    -------
    path : ndarray of shape (num_steps, len(start))
    """
    previous, current = start, (1.0 - learning_rate * curvatures) * start
    path = [current]
    for _ in range(num_steps - 1):
        previous, current = current, (1.0 + momentum - learning_rate * curvatures) * current - momentum * previous
        path.append(current)
    return np.array(path)


def _step(function, name, w, dw, config):
    """One call on copies of the inputs; returns ``(next_w copy, config)`` after checking their form."""
    result = function(np.array(w, dtype=float), np.array(dw, dtype=float), None if config is None else dict(config))
    if not isinstance(result, tuple) or len(result) != 2:
        raise CheckFailed(f"{name} must return a pair (next_w, config)", got=result,
                          hints=[hint("not_a_pair", names="next_w, config")])
    next_w, config = result
    next_w = np.array(next_w, dtype=float)
    if next_w.shape != np.shape(w):
        raise CheckFailed(f"{name} must return next_w of w's shape {np.shape(w)}", got=next_w)
    if not isinstance(config, dict):
        raise CheckFailed(f"{name} must return its config dict as the second value", got=config)
    return next_w, config


def _momentum_path(function, start, curvatures, config, num_steps):
    """Run ``function`` on the quadratic the way a training loop does, passing back the returned config."""
    w = np.array(start, dtype=float)
    path = []
    for _ in range(num_steps):
        w, config = function(w, curvatures * w, config)
        # The rule may update w in place and return it: keep a copy of every step.
        path.append(np.array(w, dtype=float))
    return np.array(path)


def _step_hints(rule, got, w, dw, learning_rate):
    """Hints for a wrong first step of ``rule`` from ``w`` with gradient ``dw``."""
    return diagnose_update_rule(got[np.newaxis], rule=rule, w=w, dws=[dw], learning_rate=learning_rate)


def _signature(args, kwargs):
    parts = [repr(a) for a in args] + [f"{k}={v!r}" for k, v in kwargs.items()]
    return "(" + ", ".join(parts) + ")"
