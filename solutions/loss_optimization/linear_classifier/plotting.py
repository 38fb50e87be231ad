"""Plots for the notebooks (given, not student work).

Every function draws on a matplotlib Axes (a new figure when none is given),
returns what it drew on, and rejects malformed input with a message that names
the argument and says what to pass instead.
"""

import math

import matplotlib.pyplot as plt
import numpy as np
from matplotlib import ticker

from .data import CIFAR10_CLASSES, DIGITS_CLASSES

#: Image shape of a flattened example, by number of pixels; CIFAR-10 rows hold the red, green and blue planes in turn.
IMAGE_SHAPES = {64: (8, 8), 3072: (3, 32, 32)}
CLASS_NAMES = {64: DIGITS_CLASSES, 3072: CIFAR10_CLASSES}


def plot_loss_curves(histories, ax=None, smooth=1, log_scale=False, every=1, ylabel="loss", xlabel="iteration",
                     title=None):
    """Plot one or several loss histories against the iteration number.

    Parameters
    ----------
    histories : sequence of float, or dict mapping a label to a sequence of float
        One curve, or one curve per label. Non-finite values (a diverging run)
        leave gaps.
    ax : matplotlib Axes or None
    smooth : int, default 1
        Width of a moving average drawn over each curve; the raw curve stays in
        the background. Minibatch losses are noisy, so 20 to 50 helps.
    log_scale : bool
        Logarithmic y axis.
    every : int, default 1
        Iterations between recorded values (value k is drawn at iteration k * every).
    ylabel, xlabel, title : str

    Returns
    -------
    ax : matplotlib Axes
    """
    if not isinstance(histories, dict):
        histories = {None: histories}
    if not histories:
        raise ValueError("histories is empty: pass a list of losses or a dict {label: list of losses}.")
    for value, name, meaning in ((smooth, "smooth", "a moving-average width"),
                                 (every, "every", "iterations per value")):
        if not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"{name} must be a positive integer ({meaning}); got {value!r}.")
    ax = ax if ax is not None else plt.subplots(figsize=(7, 4))[1]
    for label, history in histories.items():
        values = _as_curve(history, "histories" if label is None else f"histories[{label!r}]")
        steps = every * np.arange(len(values))
        if smooth > 1 and len(values) >= smooth:
            line, = ax.plot(steps, values, alpha=0.25, linewidth=0.8)
            kernel = np.ones(smooth) / smooth
            ax.plot(steps[smooth - 1:], np.convolve(values, kernel, mode="valid"), color=line.get_color(), label=label)
        else:
            ax.plot(steps, values, label=label)
    if log_scale:
        ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    if any(label is not None for label in histories):
        ax.legend()
    return ax


def plot_class_templates(W, class_names=None, image_shape=None, title=None, limit=None):
    """Show each class's column of W as an image: the "template" the classifier matches.

    The last row of W (the bias, from the bias trick) is dropped. Grey-scale
    templates are drawn with a diverging colour map centred on 0 (red: pixels
    that raise the class score, blue: pixels that lower it); colour templates
    are rescaled to [0, 1] per class.

    Parameters
    ----------
    W : ndarray of shape (D + 1, C)
        Trained weights, bias row last.
    class_names : sequence of str or None
        One name per class; the digits' or CIFAR-10's names when W fits them.
    image_shape : tuple or None
        Shape of one image before flattening: (H, W) for grey-scale or (3, H, W)
        for colour planes; inferred for the digits (8, 8) and CIFAR-10 (3, 32, 32).
    title : str or None
    limit : float or None
        Grey-scale templates only: the weight drawn in full red (its negative in
        full blue). Pass the same ``limit`` to several calls to compare their
        weights on one colour scale; by default each template uses its own
        largest ``|weight|``, which shows shapes but hides sizes.

    Returns
    -------
    fig : matplotlib Figure
    """
    W = np.asarray(W)
    if W.ndim != 2:
        raise ValueError(f"W must be a 2-D array of shape (D + 1, C); got shape {W.shape}.")
    pixels, num_classes = W.shape[0] - 1, W.shape[1]
    if image_shape is None:
        if pixels not in IMAGE_SHAPES and W.shape[1] - 1 in IMAGE_SHAPES:
            raise ValueError(
                f"W has shape {W.shape}, which looks transposed: this assignment uses W of shape (D + 1, C), "
                "one column per class. Pass W.T."
            )
        if pixels not in IMAGE_SHAPES:
            raise ValueError(
                f"W has {W.shape[0]} rows, so each template has {pixels} pixels after dropping the bias row; "
                f"pass image_shape (a shape with {pixels} entries) to say how to draw them."
            )
        image_shape = IMAGE_SHAPES[pixels]
    image_shape = tuple(int(n) for n in image_shape)
    if math.prod(image_shape) != pixels or len(image_shape) not in (2, 3) or (
            len(image_shape) == 3 and image_shape[0] != 3):
        raise ValueError(
            f"image_shape {image_shape} does not fit W: each template has {pixels} pixels (W has {W.shape[0]} "
            "rows including the bias row); use (H, W) with H * W pixels or (3, H, W) for colour planes."
        )
    if not np.issubdtype(W.dtype, np.number) or not np.all(np.isfinite(W)):
        raise ValueError("W contains NaN or infinite values: training diverged; lower the learning rate and retrain.")
    if class_names is None:
        class_names = CLASS_NAMES.get(pixels, [str(c) for c in range(num_classes)])
    if len(class_names) != num_classes:
        raise ValueError(f"class_names has {len(class_names)} names but W has {num_classes} columns (classes).")

    columns = min(num_classes, 10)
    rows = math.ceil(num_classes / columns)
    fig, axes = plt.subplots(rows, columns, figsize=(1.3 * columns, 1.5 * rows), squeeze=False)
    for index, ax in enumerate(axes.flat):
        ax.axis("off")
        if index >= num_classes:
            continue
        template = W[:-1, index].reshape(image_shape)
        if template.ndim == 3:
            image = template.transpose(1, 2, 0)
            low, high = image.min(), image.max()
            ax.imshow((image - low) / (high - low) if high > low else np.zeros_like(image))
        else:
            scale = limit if limit is not None else (np.abs(template).max() or 1.0)
            ax.imshow(template, cmap="RdBu_r", vmin=-scale, vmax=scale)
        ax.set_title(str(class_names[index]))
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_accuracy_vs_hyperparameter(values, train_accuracy, val_accuracy, name, log_scale=True, ax=None):
    """Plot training and validation accuracy against one hyperparameter.

    Parameters
    ----------
    values : sequence of float
        The hyperparameter values tried. With ``log_scale`` a value of 0 is
        drawn at the left edge, marked "0".
    train_accuracy, val_accuracy : sequence of float in [0, 1]
        One accuracy per value.
    name : str
        The hyperparameter's name, for the x axis.
    log_scale : bool
    ax : matplotlib Axes or None

    Returns
    -------
    ax : matplotlib Axes
    """
    values = _as_curve(values, "values", finite=True)
    curves = {"train": train_accuracy, "validation": val_accuracy}
    for label, accuracy in curves.items():
        accuracy = _as_curve(accuracy, f"{label} accuracy", finite=True)
        if len(accuracy) != len(values):
            raise ValueError(
                f"{label} accuracy has {len(accuracy)} entries but values has {len(values)}: "
                "pass one accuracy per hyperparameter value."
            )
        if accuracy.min() < 0 or accuracy.max() > 1:
            raise ValueError(f"{label} accuracy must be fractions in [0, 1]; got values up to {accuracy.max():g}.")
        curves[label] = accuracy
    positions = values.copy()
    ax = ax if ax is not None else plt.subplots(figsize=(6, 4))[1]
    if log_scale:
        if np.any(values < 0):
            raise ValueError("values must be non-negative for a logarithmic axis; pass log_scale=False.")
        positive = values[values > 0]
        if positive.size == 0:
            raise ValueError("values has no positive entry to place on a logarithmic axis; pass log_scale=False.")
        # Zero has no place on a log axis: draw it one decade left of the smallest positive value.
        positions[values == 0] = positive.min() / 10
        ax.set_xscale("log")
    for label, accuracy in curves.items():
        ax.plot(positions, accuracy, "o-", label=label)
    if log_scale and np.any(values == 0):
        ticks = [positive.min() / 10] + sorted(set(positive.tolist()))
        ax.set_xticks(ticks)
        ax.set_xticklabels(["0"] + [f"{v:g}" for v in ticks[1:]])
        ax.minorticks_off()
    ax.set_xlabel(name)
    ax.set_ylabel("accuracy")
    ax.legend()
    return ax


def plot_search_results(results, ax=None, title=None):
    """Scatter the validation accuracy of every (learning rate, reg) pair a search tried.

    Parameters
    ----------
    results : dict
        Maps ``(learning_rate, reg)`` to ``(train_accuracy, val_accuracy)``.
    ax : matplotlib Axes or None
    title : str or None

    Returns
    -------
    ax : matplotlib Axes
        The best pair is marked with a star and its accuracy given in the title.
    """
    if not isinstance(results, dict) or not results:
        raise ValueError("results must be a non-empty dict {(learning_rate, reg): (train_accuracy, val_accuracy)}.")
    points = []
    for key, value in results.items():
        if not (isinstance(key, tuple) and len(key) == 2 and np.ndim(value) == 1 and len(value) == 2):
            raise ValueError(
                f"results has the entry {key!r}: {value!r}; every key must be a pair (learning_rate, reg) and "
                "every value a pair (train_accuracy, val_accuracy)."
            )
        points.append((*key, *value))
    points = np.array(points, dtype=float)
    if not np.all(np.isfinite(points)) or np.any(points[:, :2] <= 0):
        raise ValueError("learning rates and reg values must be positive and accuracies finite, for log axes.")
    ax = ax if ax is not None else plt.subplots(figsize=(5, 4))[1]
    scatter = ax.scatter(points[:, 0], points[:, 1], c=points[:, 3], cmap="viridis", s=60)
    best = points[np.argmax(points[:, 3])]
    ax.scatter([best[0]], [best[1]], marker="*", s=300, facecolor="none", edgecolor="red")
    ax.set_xscale("log")
    ax.set_yscale("log")
    for axis in (ax.xaxis, ax.yaxis):
        # Searches often span less than a decade: label 1, 2 and 5 times powers of ten, plainly.
        axis.set_major_locator(ticker.LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
        axis.set_major_formatter(ticker.FuncFormatter(lambda value, _: f"{value:g}"))
        axis.set_minor_formatter(ticker.NullFormatter())
    ax.set_xlabel("learning rate")
    ax.set_ylabel("regularization strength")
    plt.colorbar(scatter, ax=ax, label="validation accuracy")
    heading = f"best validation accuracy {best[3]:.3f} (star)"
    ax.set_title(f"{title}: {heading}" if title else heading)
    return ax


def plot_contour_path(f, paths, xlim, ylim, ax=None, minimum=None, levels=25, title=None):
    """Draw the contours of a 2-D function and the paths optimizers took on it.

    Parameters
    ----------
    f : callable
        ``f(x, y)`` evaluated element-wise on arrays of the same shape.
    paths : dict
        Maps a label to an array of shape (T, 2): the points visited, start first.
        Points outside the view (a diverging run) are clipped by the axes.
    xlim, ylim : pair of float
        The region shown.
    ax : matplotlib Axes or None
    minimum : pair of float or None
        Marked with a star when given.
    levels : int
        Number of contour levels, spaced logarithmically above the smallest value shown.
    title : str or None

    Returns
    -------
    ax : matplotlib Axes
    """
    for limit, label in ((xlim, "xlim"), (ylim, "ylim")):
        if np.shape(limit) != (2,) or not np.all(np.isfinite(limit)) or limit[0] >= limit[1]:
            raise ValueError(f"{label} must be a pair (low, high) with low < high; got {limit!r}.")
    if not isinstance(paths, dict):
        raise ValueError("paths must be a dict {label: array of shape (T, 2)}.")
    checked = {}
    for label, path in paths.items():
        path = np.asarray(path, dtype=float)
        if path.ndim != 2 or path.shape[1] != 2 or len(path) < 1:
            raise ValueError(f"paths[{label!r}] must have shape (T, 2), one (x, y) point per step; got {path.shape}.")
        checked[label] = path
    xs, ys = np.meshgrid(np.linspace(*xlim, 200), np.linspace(*ylim, 200))
    values = np.asarray(f(xs, ys), dtype=float)
    if values.shape != xs.shape:
        raise ValueError(f"f(x, y) must work element-wise on arrays: it returned shape {values.shape} for {xs.shape}.")
    ax = ax if ax is not None else plt.subplots(figsize=(6, 5))[1]
    low = max(values.min(), 0.0)
    ax.contour(xs, ys, values, levels=low + np.geomspace(1e-2, values.max() - low + 1e-2, levels),
               cmap="viridis", linewidths=0.8)
    for label, path in checked.items():
        ax.plot(path[:, 0], path[:, 1], "o-", markersize=3, linewidth=1, label=label)
    if minimum is not None:
        ax.plot(*minimum, "r*", markersize=14, label="minimum")
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    ax.legend(loc="best", fontsize="small")
    if title:
        ax.set_title(title)
    return ax


def plot_weight_histograms(weights, bins=60, ax=None):
    """Overlay histograms of the entries of several weight matrices (bias rows included).

    Parameters
    ----------
    weights : dict
        Maps a label to a weight array of any shape.
    bins : int
    ax : matplotlib Axes or None

    Returns
    -------
    ax : matplotlib Axes
        With a logarithmic count axis, so a spike at 0 and the tails both show.
    """
    if not isinstance(weights, dict) or not weights:
        raise ValueError("weights must be a non-empty dict {label: weight array}.")
    arrays = {label: _as_curve(np.ravel(W), f"weights[{label!r}]", finite=True) for label, W in weights.items()}
    largest = max(np.abs(a).max() for a in arrays.values()) or 1.0
    edges = np.linspace(-largest, largest, bins + 1)
    ax = ax if ax is not None else plt.subplots(figsize=(7, 4))[1]
    for label, values in arrays.items():
        ax.hist(values, bins=edges, histtype="step", linewidth=1.5, label=label)
    ax.set_yscale("log")
    ax.set_xlabel("weight value")
    ax.set_ylabel("number of weights")
    ax.legend()
    return ax


def _as_curve(values, name, finite=False):
    """Return ``values`` as a non-empty 1-D float array, or raise ValueError naming ``name``."""
    try:
        array = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a sequence of numbers; got {type(values).__name__}.") from None
    if array.ndim != 1 or array.size == 0:
        raise ValueError(f"{name} must be a non-empty 1-D sequence of numbers; got shape {array.shape}.")
    if finite and not np.all(np.isfinite(array)):
        raise ValueError(f"{name} contains NaN or infinite values; remove them before plotting.")
    return array
