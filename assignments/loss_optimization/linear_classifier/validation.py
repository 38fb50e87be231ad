"""Input checks shared by the given helpers (not student work).

Each check raises ``ValueError`` with a message that names the argument, says
what was wrong and what to do, so a shape mistake surfaces where it was made
rather than as a broadcasting error three calls later. When the bad value
came from code in this package (``train`` passing a minibatch to a loss,
say), the message also names that call, file and line: the error is raised
here, but the mistake is there.
"""

import os
import sys

import numpy as np

#: Frames of files in a folder of this name (this package, or another copy of it: the grader may run the
#: reference's loss from a student's train) are the calls a message names.
_PACKAGE_NAME = os.path.basename(os.path.dirname(os.path.abspath(__file__)))
#: How many calls a message names at most, innermost first.
_CALLS_NAMED = 3


def _calls_that_passed_it():
    """Where the function that called a check was itself called from, inside this package (or a copy of it).

    Returns text such as ``" (svm_loss_vectorized was called by LinearSVM.loss in models.py line 108, called
    by LinearClassifier.train in models.py line 63)"``, or ``""`` when no code of the package called it (a
    notebook cell did).
    """
    frame = sys._getframe(1)
    while frame is not None and os.path.abspath(frame.f_code.co_filename) == os.path.abspath(__file__):
        frame = frame.f_back
    if frame is None:
        return ""
    checked = frame.f_code.co_qualname
    calls = []
    frame = frame.f_back
    while frame is not None and len(calls) < _CALLS_NAMED:
        # Calls from elsewhere in between (a wrapper of the grader's, say) are passed over, not named.
        folder, file = os.path.split(os.path.abspath(frame.f_code.co_filename))
        if os.path.basename(folder) == _PACKAGE_NAME:
            calls.append(f"{frame.f_code.co_qualname} in {file} line {frame.f_lineno}")
        frame = frame.f_back
    if not calls:
        return ""
    return f" ({checked} was called by " + ", called by ".join(calls) + ")"


def _shape_of(value):
    """A value's shape for a message, or what it is when it is not an array (``None``, a list)."""
    if value is None:
        return "None"
    if isinstance(value, np.ndarray):
        return f"shape {value.shape}"
    return f"a {type(value).__name__} of shape {np.shape(value)}"


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
    if X is None or np.ndim(X) != 2:
        raise ValueError(
            f"{name} must be a 2-D array of shape (N, D), one example per row; got {_shape_of(X)}"
            f"{_calls_that_passed_it()}. Reshape a single example with {name}.reshape(1, -1)."
        )
    X = np.asarray(X)
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
    if y is None or np.ndim(y) != 1:
        raise ValueError(f"{name} must be a 1-D array of N integer labels; got {_shape_of(y)}"
                         f"{_calls_that_passed_it()}.")
    y = np.asarray(y)
    if y.size and not np.issubdtype(y.dtype, np.integer):
        if np.issubdtype(y.dtype, np.floating) and np.all(np.isfinite(y)) and np.all(y == np.round(y)):
            y = y.astype(np.int64)
        else:
            raise ValueError(f"{name} must hold integer class labels; got dtype {y.dtype}.")
    if num_examples is not None and y.shape[0] != num_examples:
        raise ValueError(
            f"{name} has {y.shape[0]} labels but X has {num_examples} rows{_calls_that_passed_it()}: they must "
            "have the same length."
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
    if W is None or np.ndim(W) != 2:
        raise ValueError(f"W must be a 2-D array of shape (D, C); got {_shape_of(W)}{_calls_that_passed_it()}.")
    if X is None or np.ndim(X) != 2:
        raise ValueError(f"X must be a 2-D array of shape (N, D); got {_shape_of(X)}{_calls_that_passed_it()}.")
    W = np.asarray(W)
    X = np.asarray(X)
    if W.shape[0] != X.shape[1]:
        if W.shape[1] == X.shape[1]:
            raise ValueError(
                f"W has shape {W.shape} but X has {X.shape[1]} features{_calls_that_passed_it()}: W looks "
                "transposed. This assignment uses W of shape (D, C) and scores X @ W; pass W.T."
            )
        raise ValueError(
            f"W has {W.shape[0]} rows but X has {X.shape[1]} columns{_calls_that_passed_it()}: W must have shape "
            "(D, C) with D = X.shape[1]."
        )
    check_labels(y, "y", num_examples=X.shape[0], num_classes=W.shape[1])
