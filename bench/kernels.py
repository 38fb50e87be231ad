"""Loss kernels: vectorized losses against the matrix products they cannot avoid, and against the naive loops.

Issue goals: at N=20000, D=3073, C=10 a vectorized loss costs at most 1.3x the two products
X @ W and X.T @ G; at N=500 it is at least 20x faster than the naive version.
"""

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
    products = best_time(lambda: X @ W) + best_time(lambda: X.T @ G)
    for kind in ("svm", "softmax"):
        vectorized = getattr(losses, f"{kind}_loss_vectorized")
        seconds = best_time(lambda: vectorized(W, X, y, 1e-3))
        rows.append(row(f"{kind}_loss_vectorized vs X@W + X.T@G (N=20000, D=3073, C=10)",
                        seconds, "s", products, ("<=", 1.3)))
    W, X, y = problem(**SMALL)
    # Loops against vectorization, not parallelism: both sides get one BLAS thread. With two threads
    # and the other core busy, small products wait on the busy core and the ratio swings from 3x to 20x.
    with threadpool_limits(limits=1):
        rows += _speed_ups(losses, W, X, y)
    return rows


def _speed_ups(losses, W, X, y):
    rows = []
    for kind in ("svm", "softmax"):
        naive = getattr(losses, f"{kind}_loss_naive")
        vectorized = getattr(losses, f"{kind}_loss_vectorized")
        naive_seconds = best_time(lambda: naive(W, X, y, 1e-3), repeats=3)
        vectorized_seconds = best_time(lambda: vectorized(W, X, y, 1e-3), repeats=20)
        rows.append(row(f"{kind}: naive / vectorized speed-up (N=500, D=3073, C=10)",
                        naive_seconds, "s", vectorized_seconds, (">=", 20)))
    return rows
