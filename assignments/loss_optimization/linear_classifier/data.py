"""Loading and preprocessing of the datasets (given, not student work).

The default dataset is the UCI optical handwritten digits (1797 images of 8x8
pixels with values 0..16, 10 classes), shipped with the assignment as
``data/digits.npz`` so every notebook runs offline; every notebook uses it.
CIFAR-10, the lecture's dataset, is not shipped: once its standard python
batches are downloaded (``bash data/get_cifar10.sh``, see ``data/README.md``),
:func:`get_cifar10_data` splits and preprocesses it like the digits, and the
optional last section of notebook 04 repeats the lecture's experiments on it.
"""

import os
import pickle
from pathlib import Path

import numpy as np

from .validation import check_features, check_labels

#: Names of the digits classes, index = label.
DIGITS_CLASSES = tuple(str(d) for d in range(10))
#: Names of the CIFAR-10 classes, index = label.
CIFAR10_CLASSES = ("plane", "car", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")
#: Environment variable that points at a folder holding the datasets.
DATA_DIR_VARIABLE = "LOSS_OPTIMIZATION_DATA"
DIGITS_FILE = "digits.npz"


def find_data_dir(filename=DIGITS_FILE):
    """Return the folder that holds ``filename``.

    Looks in ``$LOSS_OPTIMIZATION_DATA`` first, then in a ``data/`` folder beside
    this package and in each folder above it (so the same code finds the data
    in the student release and in the course repository).

    Raises
    ------
    FileNotFoundError
        With the list of places searched and how to fix it.
    """
    candidates = []
    if os.environ.get(DATA_DIR_VARIABLE):
        candidates.append(Path(os.environ[DATA_DIR_VARIABLE]))
    here = Path(__file__).resolve().parent
    candidates.extend(folder / "data" for folder in here.parents)
    for folder in candidates:
        if (folder / filename).is_file():
            return folder
    searched = "\n  ".join(str(c) for c in candidates[:4])
    raise FileNotFoundError(
        f"Could not find {filename}. Searched:\n  {searched}\n"
        f"Keep the data/ folder of the assignment next to linear_classifier/, "
        f"or set {DATA_DIR_VARIABLE} to the folder that holds {filename}."
    )


def load_digits(data_dir=None):
    """Load the handwritten digits.

    Returns
    -------
    X : ndarray of shape (1797, 64), float64
        Pixel values 0..16, one flattened 8x8 image per row.
    y : ndarray of shape (1797,), int64
        Labels 0..9.
    """
    folder = Path(data_dir) if data_dir is not None else find_data_dir(DIGITS_FILE)
    with np.load(folder / DIGITS_FILE) as archive:
        images = archive["images"]
        labels = archive["labels"]
    return images.reshape(len(images), -1).astype(np.float64), labels.astype(np.int64)


def _load_cifar_batch(path):
    with open(path, "rb") as handle:
        batch = pickle.load(handle, encoding="bytes")
    data = np.asarray(batch[b"data"], dtype=np.float64)
    labels = np.asarray(batch[b"labels"], dtype=np.int64)
    if data.ndim != 2 or data.shape[1] != 3072 or len(labels) != len(data):
        raise ValueError(
            f"{path} is not a CIFAR-10 python batch: expected 'data' of shape (n, 3072) and n labels, "
            f"got {data.shape} and {len(labels)} labels."
        )
    return data, labels


def load_cifar10(root):
    """Load CIFAR-10 from its standard python batches.

    Parameters
    ----------
    root : str or Path
        Folder holding ``data_batch_1`` ... ``data_batch_5`` and ``test_batch``
        (the ``cifar-10-batches-py`` folder of the official archive).

    Returns
    -------
    X_train : ndarray of shape (50000, 3072), float64
    y_train : ndarray of shape (50000,), int64
    X_test : ndarray of shape (10000, 3072), float64
    y_test : ndarray of shape (10000,), int64
        Rows are images stored channel by channel (1024 red, 1024 green, 1024 blue values).
    """
    root = Path(root)
    names = [f"data_batch_{b}" for b in range(1, 6)] + ["test_batch"]
    missing = [name for name in names if not (root / name).is_file()]
    if missing:
        raise FileNotFoundError(
            f"{root} is missing the CIFAR-10 batches {', '.join(missing)}. "
            "Run `bash data/get_cifar10.sh` in the assignment folder (it downloads about 170 MB, so it needs "
            "internet access), or use the digits (the default)."
        )
    train = [_load_cifar_batch(root / name) for name in names[:5]]
    X_test, y_test = _load_cifar_batch(root / "test_batch")
    X_train = np.concatenate([data for data, _ in train])
    y_train = np.concatenate([labels for _, labels in train])
    return X_train, y_train, X_test, y_test


def preprocess(X_train, *others):
    """Subtract the training mean image and append a bias column of ones.

    The mean is computed on ``X_train`` only and subtracted from every array,
    so that validation and test data are treated exactly like training data.
    Appending a constant 1 folds the bias b into W (the "bias trick").

    Returns
    -------
    arrays : tuple of ndarrays of shape (N_k, D + 1)
        ``X_train`` then each of ``others``, preprocessed.
    mean_image : ndarray of shape (D,)
    """
    X_train = check_features(X_train, "X_train")
    mean_image = X_train.mean(axis=0)
    processed = []
    for index, X in enumerate((X_train,) + others):
        X = check_features(X, f"array {index}", num_features=X_train.shape[1])
        centred = X - mean_image
        processed.append(np.hstack([centred, np.ones((X.shape[0], 1))]))
    return tuple(processed), mean_image


def split_dataset(X, y, num_validation, num_test, num_dev, seed=0):
    """Shuffle and split into train, validation, test and dev sets, then preprocess.

    The dev set is a small random subset of the training set, for quick
    experiments. Pixel values are divided by the data's maximum so that
    learning rates carry over between datasets.

    Parameters
    ----------
    X : ndarray of shape (N, D)
    y : ndarray of shape (N,)
    num_validation, num_test, num_dev : int
    seed : int
        Seed of the shuffle.

    Returns
    -------
    data : dict
        ``X_train, y_train, X_val, y_val, X_test, y_test, X_dev, y_dev`` (X arrays
        of shape (n, D + 1)) and ``mean_image``.
    """
    X = check_features(X, "X")
    y = check_labels(y, "y", num_examples=X.shape[0])
    num_train = X.shape[0] - num_validation - num_test
    if min(num_validation, num_test, num_dev) < 0 or num_train < 1 or num_dev > num_train:
        raise ValueError(
            f"Cannot split {X.shape[0]} examples into {num_validation} validation, {num_test} test "
            f"and {num_dev} dev examples: validation + test must leave at least one training example, "
            "and the dev set is taken from the training set."
        )
    rng = np.random.default_rng(seed)
    order = rng.permutation(X.shape[0])
    X = X[order] / np.abs(X).max()
    y = y[order]
    train, val, test = np.split(np.arange(X.shape[0]), [num_train, num_train + num_validation])
    dev = rng.choice(train, num_dev, replace=False)
    (X_train, X_val, X_test, X_dev), mean_image = preprocess(X[train], X[val], X[test], X[dev])
    return {
        "X_train": X_train, "y_train": y[train],
        "X_val": X_val, "y_val": y[val],
        "X_test": X_test, "y_test": y[test],
        "X_dev": X_dev, "y_dev": y[dev],
        "mean_image": mean_image,
    }


def get_digits_data(num_validation=300, num_test=300, num_dev=100, seed=0):
    """The digits, split and preprocessed: 1197 train, 300 validation, 300 test, 100 dev.

    See :func:`split_dataset` for the returned dict.
    """
    X, y = load_digits()
    return split_dataset(X, y, num_validation, num_test, num_dev, seed=seed)


def get_cifar10_data(root, num_training=49000, num_validation=1000, num_test=1000, num_dev=500, seed=0):
    """CIFAR-10 split and preprocessed like :func:`get_digits_data` (D = 3072 + 1).

    Training, validation and dev examples come from the training batches; test
    examples from ``test_batch`` only, so the official test set stays unseen.
    """
    X_train, y_train, X_test, y_test = load_cifar10(root)
    rng = np.random.default_rng(seed)
    order = rng.permutation(X_train.shape[0])[:num_training + num_validation]
    train, val = order[:num_training], order[num_training:]
    dev = rng.choice(train, num_dev, replace=False)
    scale = 255.0
    (X_tr, X_val, X_te, X_dev), mean_image = preprocess(
        X_train[train] / scale, X_train[val] / scale, X_test[:num_test] / scale, X_train[dev] / scale
    )
    return {
        "X_train": X_tr, "y_train": y_train[train],
        "X_val": X_val, "y_val": y_train[val],
        "X_test": X_te, "y_test": y_test[:num_test],
        "X_dev": X_dev, "y_dev": y_train[dev],
        "mean_image": mean_image,
    }
