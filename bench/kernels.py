"""Loss kernels: vectorized losses against the matrix products they cannot avoid, and against the naive loops.

Issue goals: at N=20000, D=3073, C=10 a vectorized loss costs at most 1.3x the two products
X @ W and X.T @ G; at N=500 it is at least 20x faster than the naive version.

The N=500 speed-up is measured twice in one run: with BLAS on every core (the goal: what a student's plain
``python`` gets) and on one BLAS thread (context). Next to each, naive / (X@W + X.T@G): no loss that computes
both products can beat that ratio, so it shows how much of a shortfall is the machine rather than the code.
"""

import os

import numpy as np
from threadpoolctl import threadpool_limits

from autograder.packages import reference_package
from bench.timing import best_time, row

LARGE = dict(num_examples=20000, dim=3073, num_classes=10)
SMALL = dict(num_examples=500, dim=3073, num_classes=10)


def problem(num_examples, dim, num_classes, seed=0):
    rng = np.random.default_rng(seed)
    W = 1e-3 * rng.standard_normal((dim, num_classes))
    X = rng.standard_normal((num_examples, dim))
    y = rng.integers(num_classes, size=num_examples)
    return W, X, y


def run():
    losses = reference_package().losses
    rows = []
    W, X, y = problem(**LARGE)
    G = np.ones((X.shape[0], W.shape[1]))
    products = best_time(lambda: _both_products(W, X, G))
    for kind in ("svm", "softmax"):
        vectorized = getattr(losses, f"{kind}_loss_vectorized")
        seconds = best_time(lambda: vectorized(W, X, y, 1e-3))
        rows.append(row(f"{kind}_loss_vectorized vs X@W + X.T@G (N=20000, D=3073, C=10)",
                        seconds, "s", products, ("<=", 1.3)))
    W, X, y = problem(**SMALL)
    # The goal is read in a plain process, where BLAS uses every core, as a student's `python` does. The
    # one-thread rows separate loops-versus-vectorization from parallelism, and the "two products" rows give
    # the ceiling: a vectorized loss still reads X twice, so naive / (X@W + X.T@G) bounds its speed-up.
    for threads in (None, 1):
        with threadpool_limits(limits=threads):
            rows += _speed_ups(losses, W, X, y, threads)
    return rows


def _both_products(W, X, G):
    """The two products every vectorized loss computes, timed as one call like the loss (the sum of two
    separate minima would be an optimistic baseline on a noisy machine)."""
    return X @ W, X.T @ G


def _speed_ups(losses, W, X, y, threads):
    setting = f"{os.cpu_count()} cores" if threads is None else "1 BLAS thread"
    goal = (">=", 20) if threads is None else None
    G = np.ones((X.shape[0], W.shape[1]))
    products = best_time(lambda: _both_products(W, X, G), repeats=100)
    rows = []
    for kind in ("svm", "softmax"):
        naive = getattr(losses, f"{kind}_loss_naive")
        vectorized = getattr(losses, f"{kind}_loss_vectorized")
        naive_seconds = best_time(lambda: naive(W, X, y, 1e-3), repeats=7)
        vectorized_seconds = best_time(lambda: vectorized(W, X, y, 1e-3), repeats=100)
        rows.append(row(f"{kind}: naive / vectorized speed-up (N=500, D=3073, C=10, {setting})",
                        naive_seconds, "s", vectorized_seconds, goal))
        rows.append(row(f"{kind}: naive / (X@W + X.T@G), the ceiling ({setting})",
                        naive_seconds, "s", products, None))
    return rows
