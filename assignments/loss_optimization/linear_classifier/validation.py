"""Input checks shared by the given helpers (not student work).

Each check raises ``ValueError`` with a message that names the argument, says
what was wrong and what to do, so a shape mistake surfaces where it was made
rather than as a broadcasting error three calls later.
"""

import numpy as np


def check_features(X, name="X", num_features=None):
    """Return ``X`` as a 2-D float array of finite values, or raise ValueError.

    Parameters
    ----------
    X : array-like of shape (N, D)
    name : str
        The argument's name, used in messages.
    num_features : int or None
        When given, the required number of columns D.
    """
    X = np.asarray(X)
    if X.ndim != 2:
        raise ValueError(
            f"{name} must be a 2-D array of shape (N, D), one example per row; got shape {X.shape}. "
            f"Reshape a single example with {name}.reshape(1, -1)."
        )
    if X.shape[0] < 1:
        raise ValueError(f"{name} has no rows: at least one example is needed.")
    if not np.issubdtype(X.dtype, np.number) or np.issubdtype(X.dtype, np.complexfloating):
        raise ValueError(f"{name} must hold real numbers; got dtype {X.dtype}.")
    if not np.all(np.isfinite(X)):
        bad = int(np.count_nonzero(~np.isfinite(X)))
        raise ValueError(
            f"{name} contains {bad} NaN or infinite value(s). Remove or impute them before training."
        )
    if num_features is not None and X.shape[1] != num_features:
        raise ValueError(
            f"{name} has {X.shape[1]} columns but {num_features} are expected (the features of the "
            "training data and of W). Preprocess it exactly like the training data: mean subtraction, then the bias column."
        )
    return X


def check_labels(y, name="y", num_examples=None, num_classes=None):
    """Return ``y`` as a 1-D integer array of labels in [0, C), or raise ValueError.

    Parameters
    ----------
    y : array-like of shape (N,)
    name : str
        The argument's name, used in messages.
    num_examples : int or None
        When given, the required length N (the number of rows of X).
    num_classes : int or None
        When given, labels must be smaller than it.
    """
    y = np.asarray(y)
    if y.ndim != 1:
        raise ValueError(f"{name} must be a 1-D array of N integer labels; got shape {y.shape}.")
    if y.size and not np.issubdtype(y.dtype, np.integer):
        if np.issubdtype(y.dtype, np.floating) and np.all(np.isfinite(y)) and np.all(y == np.round(y)):
            y = y.astype(np.int64)
        else:
            raise ValueError(f"{name} must hold integer class labels; got dtype {y.dtype}.")
    if num_examples is not None and y.shape[0] != num_examples:
        raise ValueError(
            f"{name} has {y.shape[0]} labels but X has {num_examples} rows: they must have the same length."
        )
    if y.size and y.min() < 0:
        raise ValueError(f"{name} contains the negative label {int(y.min())}: labels must be in [0, C).")
    if num_classes is not None and y.size and y.max() >= num_classes:
        raise ValueError(
            f"{name} contains the label {int(y.max())} but W has only {num_classes} columns (classes), "
            f"so labels must be in [0, {num_classes})."
        )
    return y


def check_loss_inputs(W, X, y):
    """Check the shapes and labels of a loss function's inputs, or raise ValueError.

    Cheap checks only (shapes and label range); the data themselves are checked
    once, when they are loaded or passed to ``train``.
    """
    W = np.asarray(W)
    X = np.asarray(X)
    if W.ndim != 2:
        raise ValueError(f"W must be a 2-D array of shape (D, C); got shape {W.shape}.")
    if X.ndim != 2:
        raise ValueError(f"X must be a 2-D array of shape (N, D); got shape {X.shape}.")
    if W.shape[0] != X.shape[1]:
        if W.shape[1] == X.shape[1]:
            raise ValueError(
                f"W has shape {W.shape} but X has {X.shape[1]} features: W looks transposed. "
                "This assignment uses W of shape (D, C) and scores X @ W; pass W.T."
            )
        raise ValueError(
            f"W has {W.shape[0]} rows but X has {X.shape[1]} columns: W must have shape (D, C) with D = X.shape[1]."
        )
    check_labels(y, "y", num_examples=X.shape[0], num_classes=W.shape[1])
