"""Interactive loss explorer (given, not student work): widgets that make losses and optimization visible.

Run ``%matplotlib widget`` in a notebook, then display any of the panels::

    from linear_classifier.explore import Playground
    Playground()

Panels
------
- :class:`Playground`: a linear classifier on 2-D points of three classes, in
  the spirit of Stanford CS231n's web demo of linear classification.
- :class:`LandscapeExplorer`: 1-D and 2-D slices of the SVM and softmax losses
  on the digits, with the path of an optimizer drawn on them.
- :class:`StepSizeLab`, :class:`MomentumLab`, :class:`BatchSizeLab`: gradient
  descent on the lecture's f(x, y), momentum on a quadratic, minibatch noise.
- :class:`ScoresComparison`: the SVM and softmax losses of three score vectors.

Every panel calls the student's functions in ``losses``, ``gradients``,
``regularization`` and ``optim``. While one of them still raises
``NotImplementedError``, the panel says which one to implement and shows
whatever it can compute without it; it never falls back to hidden code.

Design: each panel is a pure-Python *state* class (numbers only: tests and
benchmarks drive it directly) wrapped by a *widget* class that owns the
controls, the matplotlib figure and the readouts. Widgets update the figure's
artists in place and redraw only those artists over a cached background
(:class:`FigureUpdater`), falling back to ``draw_idle`` when axes change;
sliders only report a value when released; repeated updates run from a
``Play`` widget; any exception raised in a callback is shown in the panel's
status area.
"""

import functools
import html
import math
import sys
import traceback

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import ListedColormap
from matplotlib.patches import Polygon

from . import gradients, losses, optim, regularization  # noqa: F401 (looked up by name in call_student)
from .checks import tolerances
from .checks.report import close
from .data import get_digits_data
from .validation import check_labels

# --------------------------------------------------------------------------------------------
# Calling the student's code
# --------------------------------------------------------------------------------------------


class StubMissing(Exception):
    """A student's function still raises ``NotImplementedError``.

    Attributes
    ----------
    name : str
        ``module.function``, e.g. ``"losses.svm_loss_vectorized"``.
    detail : str
        The message of the original ``NotImplementedError``.
    """

    def __init__(self, name, detail=""):
        self.name = name
        self.detail = detail
        super().__init__(f"{name} is not implemented yet")

    @property
    def path(self):
        """The file the student edits, relative to the assignment folder."""
        return f"linear_classifier/{self.name.split('.')[0]}.py"

    def advice(self, purpose):
        """One sentence telling the student what to implement to see ``purpose``."""
        return f"Implement {self.name} in {self.path} to see {purpose}."


def call_student(name, *args, **kwargs):
    """Call the student's function ``name`` (``"module.function"``), turning a stub into StubMissing.

    The function is looked up at call time, so an edited and reloaded module
    (``%autoreload``) is picked up without rebuilding the panel.
    """
    module_name, function_name = name.split(".")
    module = sys.modules[f"{__package__}.{module_name}"]
    try:
        return getattr(module, function_name)(*args, **kwargs)
    except NotImplementedError as error:
        raise StubMissing(name, str(error)) from None


class Notices:
    """What a computation could not show: one sentence per missing stub, in the order met."""

    def __init__(self):
        self._stubs = {}
        self._purposes = {}

    def add(self, stub, purpose):
        self._stubs.setdefault(stub.name, stub)
        purposes = self._purposes.setdefault(stub.name, [])
        if purpose not in purposes:
            purposes.append(purpose)

    @property
    def items(self):
        """One sentence per missing stub, naming everything it would show."""
        return [stub.advice(" and ".join(self._purposes[name])) for name, stub in self._stubs.items()]

    def __bool__(self):
        return bool(self._stubs)


def relative_errors(a, b):
    """Entry-wise relative errors of two arrays of the same shape, by the given ``gradients.rel_error``."""
    return np.array([gradients.rel_error(x, z) for x, z in zip(np.ravel(a), np.ravel(b))])


def gradients_agree(numeric, analytic):
    """Whether a numerical and an analytic derivative match within the checks' tolerances.

    A relative error alone misleads where the true derivative is 0: centered
    differences then return round-off of about 1e-11, a relative error near 1.
    """
    return close(numeric, analytic, tolerances.NUMERICAL_GRADIENT_RELATIVE, tolerances.NUMERICAL_GRADIENT_ABSOLUTE)


# --------------------------------------------------------------------------------------------
# The 2-D playground: scores with a bias, and the four losses of the CS231n demo
# --------------------------------------------------------------------------------------------

NUM_CLASSES = 3
WESTON_WATKINS = "Weston-Watkins SVM"
ONE_VS_ALL = "One-vs-all SVM"
STRUCTURED = "Structured SVM"
SOFTMAX = "Softmax"
PLAYGROUND_LOSSES = (WESTON_WATKINS, ONE_VS_ALL, STRUCTURED, SOFTMAX)
#: The losses computed by the student's vectorized functions (through the bias trick).
STUDENT_LOSSES = {WESTON_WATKINS: "losses.svm_loss_vectorized", SOFTMAX: "losses.softmax_loss_vectorized"}
PENALTIES = {"L2": "regularization.l2_penalty", "L1": "regularization.l1_penalty",
             "Elastic net": "regularization.elastic_net_penalty", "None": None}
SCHEDULES = ("constant", "step decay", "cosine decay")
OPTIMIZERS = {"SGD": "optim.sgd", "SGD + momentum": "optim.sgd_momentum"}
CLASS_COLORS = ("#d62728", "#2ca02c", "#1f77b4")
REGION_COLORS = ("#f6c9c9", "#c9ecc9", "#c6dbf2")
MAX_POINTS = 60


def playground_scores(W, b, X):
    """Class scores of the 2-D playground, one row of ``W`` per class.

    Parameters
    ----------
    W : ndarray of shape (C, 2)
    b : ndarray of shape (C,)
    X : ndarray of shape (N, 2)

    Returns
    -------
    scores : ndarray of shape (N, C)
    """
    return X @ W.T + b


def one_vs_all_loss(scores, y):
    """One-vs-all SVM: an independent binary hinge per class.

    ``L_i = max(0, 1 - s_y) + sum over j != y of max(0, 1 + s_j)``: the correct
    class should score above +1 and every other class below -1.

    Returns
    -------
    per_example : ndarray of shape (N,)
    dscores : ndarray of shape (N, C)
        Derivative of each ``L_i`` with respect to the scores of example i.
    """
    signs = -np.ones(scores.shape)
    signs[np.arange(len(y)), y] = 1.0
    hinge = 1.0 - signs * scores
    active = hinge > 0
    return np.where(active, hinge, 0.0).sum(axis=1), np.where(active, -signs, 0.0)


def structured_svm_loss(scores, y):
    """Structured (Crammer-Singer) SVM: only the highest-scoring wrong class counts.

    ``L_i = max(0, 1 + max over j != y of s_j - s_y)``.

    Returns
    -------
    per_example : ndarray of shape (N,)
    dscores : ndarray of shape (N, C)
    """
    rows = np.arange(len(y))
    rivals = scores.copy()
    rivals[rows, y] = -np.inf
    worst = rivals.argmax(axis=1)
    margin = 1.0 + rivals[rows, worst] - scores[rows, y]
    active = margin > 0
    dscores = np.zeros(scores.shape)
    dscores[rows[active], worst[active]] = 1.0
    dscores[rows[active], y[active]] = -1.0
    return np.maximum(margin, 0.0), dscores


GIVEN_LOSSES = {ONE_VS_ALL: one_vs_all_loss, STRUCTURED: structured_svm_loss}


def with_bias_column(X):
    """``X`` with a column of ones appended: the bias trick of the lecture, shape (N, D + 1)."""
    return np.hstack([X, np.ones((X.shape[0], 1))])


def stacked_weights(W, b):
    """The playground's ``W`` (C, 2) and ``b`` (C,) as one student-convention matrix of shape (3, C)."""
    return np.vstack([W.T, b[np.newaxis, :]])


def data_loss(loss_name, W, b, X, y, per_example=False):
    """Mean data loss of the playground and its gradients with respect to ``W`` and ``b``.

    Weston-Watkins SVM and softmax run the student's vectorized losses with the
    bias folded into the weights; one-vs-all and structured SVM are given here.

    Parameters
    ----------
    loss_name : one of PLAYGROUND_LOSSES
    W : ndarray of shape (C, 2)
    b : ndarray of shape (C,)
    X : ndarray of shape (N, 2)
    y : ndarray of shape (N,)
    per_example : bool
        Also return each ``L_i`` (one student call per example for the student's losses).

    Returns
    -------
    loss : float
    dW : ndarray of shape (C, 2)
    db : ndarray of shape (C,)
    per_example_losses : ndarray of shape (N,), only when ``per_example``

    Raises
    ------
    StubMissing
        When the student's loss is still a stub.
    """
    if loss_name in STUDENT_LOSSES:
        name = STUDENT_LOSSES[loss_name]
        X_bias = with_bias_column(X)
        weights = stacked_weights(W, b)
        loss, d_weights = call_student(name, weights, X_bias, y, 0.0)
        d_weights = np.asarray(d_weights, dtype=float)
        result = (float(loss), d_weights[:-1].T.copy(), d_weights[-1].copy())
        if per_example:
            each = np.array([call_student(name, weights, X_bias[i:i + 1], y[i:i + 1], 0.0)[0]
                             for i in range(len(y))], dtype=float)
            result += (each,)
        return result
    if loss_name not in GIVEN_LOSSES:
        raise ValueError(f"loss_name must be one of {PLAYGROUND_LOSSES}; got {loss_name!r}.")
    each, dscores = GIVEN_LOSSES[loss_name](playground_scores(W, b, X), y)
    num_examples = len(y)
    result = (float(each.mean()), dscores.T @ X / num_examples, dscores.sum(axis=0) / num_examples)
    return result + (each,) if per_example else result


def penalty(name, W, beta=0.5):
    """``(R(W), dR/dW)`` from the student's regularization function ``name`` (a key of PENALTIES)."""
    if name not in PENALTIES:
        raise ValueError(f"penalty must be one of {tuple(PENALTIES)}; got {name!r}.")
    if PENALTIES[name] is None:
        return 0.0, np.zeros(W.shape)
    args = (W, beta) if name == "Elastic net" else (W,)
    value, grad = call_student(PENALTIES[name], *args)
    return float(value), np.asarray(grad, dtype=float)


def make_blobs(per_class=3, spread=0.25, seed=0):
    """Three classes of 2-D points around the corners of a triangle.

    Returns
    -------
    X : ndarray of shape (3 * per_class, 2)
    y : ndarray of shape (3 * per_class,)
    """
    rng = np.random.default_rng(seed)
    angles = np.pi / 2 + 2 * np.pi / NUM_CLASSES * np.arange(NUM_CLASSES)
    centres = 0.6 * np.column_stack([np.cos(angles), np.sin(angles)])
    y = np.repeat(np.arange(NUM_CLASSES), per_class)
    X = centres[y] + spread * rng.standard_normal((len(y), 2))
    return X, y


def parse_points(text):
    """Read points from lines ``x0, x1, label`` (commas or spaces); blank lines and ``#`` comments are skipped.

    Returns
    -------
    X : ndarray of shape (N, 2)
    y : ndarray of shape (N,)

    Raises
    ------
    ValueError
        Naming the line that could not be read and what it should look like.
    """
    rows, labels = [], []
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.split("#")[0].strip()
        if not line:
            continue
        fields = line.replace(",", " ").split()
        try:
            x0, x1, label = float(fields[0]), float(fields[1]), int(fields[2])
            if len(fields) != 3:
                raise ValueError
        except (ValueError, IndexError):
            raise ValueError(
                f"points, line {number}: {line!r} is not 'x0, x1, label' (two numbers and an integer label)."
            ) from None
        if not (math.isfinite(x0) and math.isfinite(x1)):
            raise ValueError(f"points, line {number}: the coordinates must be finite numbers.")
        if not 0 <= label < NUM_CLASSES:
            raise ValueError(f"points, line {number}: the label {label} must be 0, 1 or 2.")
        rows.append((x0, x1))
        labels.append(label)
    if not rows:
        raise ValueError("points: no points given; write one 'x0, x1, label' line per point.")
    if len(rows) > MAX_POINTS:
        raise ValueError(f"points: {len(rows)} points given, at most {MAX_POINTS} fit the table.")
    return np.array(rows, dtype=float), np.array(labels, dtype=np.int64)


def format_points(X, y):
    """The text form of points that :func:`parse_points` reads back."""
    return "\n".join(f"{x0:.3f}, {x1:.3f}, {label}" for (x0, x1), label in zip(X, y))


DEFAULT_X = np.array([[0.5, 0.4], [0.8, 0.3], [0.3, 0.8],
                      [-0.4, 0.3], [-0.3, 0.7], [-0.7, 0.2],
                      [0.7, -0.4], [0.5, -0.6], [-0.4, -0.5]])
DEFAULT_Y = np.array([0, 0, 0, 1, 1, 1, 2, 2, 2])
DEFAULT_W = np.array([[1.0, 2.0], [2.0, -4.0], [3.0, -1.0]])
DEFAULT_B = np.array([0.0, 0.5, -0.5])

#: Named starting points. Keys not given keep the defaults of PlaygroundState.
PRESETS = {
    "Nine points (the demo's start)": {},
    "Zero weights (loss = C - 1 or log C)": {"W": np.zeros((3, 2)), "b": np.zeros(3), "reg": 1e-4},
    "Overlapping classes, softmax": {"data": {"per_class": 12, "spread": 0.45, "seed": 1}, "loss": SOFTMAX},
    "Strong L2 shrinks the weights": {"reg": 3.0},
    "L1 makes weights sparse": {"penalty": "L1", "reg": 0.3},
    "Noisy minibatch SGD + momentum, cosine decay": {
        "data": {"per_class": 15, "spread": 0.3, "seed": 2}, "batch_size": 2, "optimizer": "SGD + momentum",
        "momentum": 0.9, "schedule": "cosine decay", "learning_rate": 0.05},
}


class PlaygroundState:
    """Numbers of the linear classifier playground: data, parameters, settings and optimizer state.

    Attributes
    ----------
    X : ndarray of shape (N, 2)
    y : ndarray of shape (N,)
    W : ndarray of shape (3, 2)
        One row of weights per class.
    b : ndarray of shape (3,)
    loss : one of PLAYGROUND_LOSSES
    penalty : key of PENALTIES
        Regularization of ``W`` (the bias is not regularized).
    reg, beta : float
        Regularization strength, and the elastic net's L2 weight.
    learning_rate, momentum : float
    optimizer : key of OPTIMIZERS
    batch_size : int
        Examples per update; ``N`` means full-batch gradient descent.
    schedule : one of SCHEDULES
    decay_rate, decay_every, horizon : step and cosine decay parameters.
    iteration : int
        Number of updates since the parameters were last set.
    history : list of float
        Total loss at iterations 0, 1, ... (empty until the first update).
    """

    def __init__(self, preset=None, seed=0):
        self._rng = np.random.default_rng(seed)
        self.apply_preset(preset or next(iter(PRESETS)))

    # Settings ------------------------------------------------------------------------------

    def apply_preset(self, name):
        """Reset everything to the preset ``name`` (a key of PRESETS)."""
        if name not in PRESETS:
            raise ValueError(f"preset must be one of {list(PRESETS)}; got {name!r}.")
        preset = PRESETS[name]
        if "data" in preset:
            X, y = make_blobs(**preset["data"])
        else:
            X, y = DEFAULT_X, DEFAULT_Y
        self.X, self.y = X.copy(), y.copy()
        self.W = np.array(preset.get("W", DEFAULT_W), dtype=float)
        self.b = np.array(preset.get("b", DEFAULT_B), dtype=float)
        self.loss = preset.get("loss", WESTON_WATKINS)
        self.penalty = preset.get("penalty", "L2")
        self.reg = preset.get("reg", 0.1)
        self.beta = preset.get("beta", 0.5)
        self.learning_rate = preset.get("learning_rate", 0.1)
        self.optimizer = preset.get("optimizer", "SGD")
        self.momentum = preset.get("momentum", 0.9)
        self.batch_size = min(preset.get("batch_size", len(self.y)), len(self.y))
        self.schedule = preset.get("schedule", "constant")
        self.decay_rate = preset.get("decay_rate", 0.5)
        self.decay_every = preset.get("decay_every", 50)
        self.horizon = preset.get("horizon", 200)
        self.restart()

    def restart(self):
        """Forget the optimizer's state and the loss history (the objective or the start changed)."""
        self.iteration = 0
        self.history = []
        self._config = {}

    def set_points(self, X, y):
        """Replace the data; the batch size is kept when it still fits."""
        X = np.asarray(X, dtype=float)
        if X.ndim != 2 or X.shape[1] != 2:
            raise ValueError(f"X must have shape (N, 2); got {X.shape}.")
        y = check_labels(y, "y", num_examples=X.shape[0], num_classes=NUM_CLASSES)
        if not 1 <= len(y) <= MAX_POINTS:
            raise ValueError(f"the playground takes 1 to {MAX_POINTS} points; got {len(y)}.")
        full_batch = self.batch_size >= len(self.y)
        self.X, self.y = X.copy(), y.copy()
        self.batch_size = len(y) if full_batch else min(self.batch_size, len(y))
        self.restart()

    def add_point(self, x0, x1, label):
        """Append one point of class ``label``."""
        self.set_points(np.vstack([self.X, [[x0, x1]]]), np.append(self.y, label))

    def set_parameters(self, W=None, b=None):
        """Set ``W`` and/or ``b`` by hand."""
        if W is not None:
            self.W = np.array(W, dtype=float).reshape(NUM_CLASSES, 2)
        if b is not None:
            self.b = np.array(b, dtype=float).reshape(NUM_CLASSES)
        self.restart()

    def randomize(self):
        """Draw new parameters, as the demo's "randomize" button does."""
        self.set_parameters(self._rng.uniform(-3, 3, (NUM_CLASSES, 2)), self._rng.uniform(-1, 1, NUM_CLASSES))

    # Loss ----------------------------------------------------------------------------------

    def objective(self, W, b, X=None, y=None, per_example=False):
        """``(total, data, reg_loss, dW, db[, per_example])`` at ``W, b`` on the data (or a batch)."""
        X = self.X if X is None else X
        y = self.y if y is None else y
        data = data_loss(self.loss, W, b, X, y, per_example=per_example)
        value, grad = penalty(self.penalty, W, self.beta)
        reg_loss = self.reg * value
        total = data[0] + reg_loss
        return (total, data[0], reg_loss, data[1] + self.reg * grad, data[2]) + tuple(data[3:])

    def evaluate(self, numeric=True):
        """Everything the playground shows about the current parameters.

        Parameters
        ----------
        numeric : bool
            Also compute the numerical gradient with the student's
            ``gradients.eval_numerical_gradient``.

        Returns
        -------
        Evaluation
        """
        result = Evaluation(scores=playground_scores(self.W, self.b, self.X))
        try:
            result.data_loss, _, _, result.per_example = data_loss(
                self.loss, self.W, self.b, self.X, self.y, per_example=True)
        except StubMissing as stub:
            given = " and ".join(GIVEN_LOSSES)
            result.notices.add(stub, f"the {self.loss} loss (the {given} losses are given and work already)")
            return result
        try:
            (result.total, _, result.reg_loss, result.dW, result.db) = self.objective(self.W, self.b)
        except StubMissing as stub:
            result.notices.add(stub, f"the {self.penalty} regularization loss, the total loss and the gradients")
            return result
        if numeric:
            theta = self.parameters()
            try:
                numerical = np.asarray(call_student(
                    "gradients.eval_numerical_gradient", self._total_at, theta), dtype=float)
            except StubMissing as stub:
                result.notices.add(stub, "the numerical gradient")
            else:
                result.numeric = numerical
                result.rel_errors = relative_errors(numerical, np.concatenate([result.dW.ravel(), result.db]))
        return result

    def parameters(self):
        """``W`` and ``b`` as one vector of 9 numbers (W row by row, then b)."""
        return np.concatenate([self.W.ravel(), self.b])

    def _split(self, theta):
        theta = np.asarray(theta, dtype=float)
        return theta[:2 * NUM_CLASSES].reshape(NUM_CLASSES, 2), theta[2 * NUM_CLASSES:]

    def _total_at(self, theta):
        W, b = self._split(theta)
        return self.objective(W, b)[0]

    # Optimization --------------------------------------------------------------------------

    def learning_rate_at(self, iteration):
        """The scheduled learning rate at ``iteration``, from the student's decay functions."""
        if self.schedule == "constant":
            return self.learning_rate
        if self.schedule == "step decay":
            return float(call_student("optim.step_decay", self.learning_rate, iteration,
                                      self.decay_rate, self.decay_every))
        if self.schedule == "cosine decay":
            return float(call_student("optim.cosine_decay", self.learning_rate,
                                      min(iteration, self.horizon), self.horizon))
        raise ValueError(f"schedule must be one of {SCHEDULES}; got {self.schedule!r}.")

    def step(self):
        """One (minibatch) update of ``W`` and ``b`` with the student's optimizer.

        Nothing changes if a needed stub is missing (StubMissing propagates).
        """
        if not self.history:
            start_total = self.objective(self.W, self.b)[0]
        batch_size = min(self.batch_size, len(self.y))
        if batch_size < len(self.y):
            batch = self._rng.choice(len(self.y), batch_size, replace=False)
            _, _, _, dW, db = self.objective(self.W, self.b, self.X[batch], self.y[batch])
        else:
            _, _, _, dW, db = self.objective(self.W, self.b)
        rate = self.learning_rate_at(self.iteration)
        config = dict(self._config, learning_rate=rate, momentum=self.momentum)
        theta, config = call_student(OPTIMIZERS[self.optimizer], self.parameters(),
                                     np.concatenate([dW.ravel(), db]), config)
        W, b = self._split(theta)
        total = self.objective(W, b)[0]
        if not self.history:
            self.history.append(start_total)
        self.W, self.b = W.copy(), b.copy()
        self._config = config
        self.iteration += 1
        self.history.append(total)
        return total

    def change_optimizer(self, name):
        """Switch update rule; a new rule starts with zero velocity."""
        if name not in OPTIMIZERS:
            raise ValueError(f"optimizer must be one of {tuple(OPTIMIZERS)}; got {name!r}.")
        self.optimizer = name
        self._config = {}

    # Geometry ------------------------------------------------------------------------------

    def view_limit(self):
        """Half-width of the square shown: the data with a margin, at least 1."""
        return max(1.0, float(np.ceil(10 * 1.25 * np.abs(self.X).max())) / 10)

    def region_labels(self, xs, ys):
        """Predicted class on the grid ``xs`` x ``ys``: array of shape (len(ys), len(xs))."""
        grid_x, grid_y = np.meshgrid(xs, ys)
        points = np.column_stack([grid_x.ravel(), grid_y.ravel()])
        return playground_scores(self.W, self.b, points).argmax(axis=1).reshape(grid_x.shape)

    def zero_score_segments(self, limit):
        """For each class, the segment of its line ``w_c . x + b_c = 0`` inside the square [-limit, limit]^2.

        Returns
        -------
        segments : list of (ndarray of shape (2, 2) or None)
            Two end points per class; None when the line misses the square or ``w_c = 0``.
        """
        return [line_in_square(w, bias, limit) for w, bias in zip(self.W, self.b)]


def line_in_square(w, bias, limit):
    """End points of ``{x : w . x + bias = 0}`` clipped to the square [-limit, limit]^2, or None."""
    if np.hypot(*w) < 1e-12:
        return None
    points = []
    for axis in (0, 1):
        other = 1 - axis
        if abs(w[other]) < 1e-12:
            continue
        for edge in (-limit, limit):
            coordinate = -(bias + w[axis] * edge) / w[other]
            if -limit - 1e-9 <= coordinate <= limit + 1e-9:
                point = np.empty(2)
                point[axis], point[other] = edge, coordinate
                if not any(np.allclose(point, seen) for seen in points):
                    points.append(point)
    if len(points) < 2:
        return None
    points = np.array(points)
    # A line through a corner can meet three edges; keep the two points farthest apart.
    distances = np.linalg.norm(points[:, None] - points[None], axis=2)
    i, j = np.unravel_index(distances.argmax(), distances.shape)
    return points[[i, j]]


class Evaluation:
    """What the playground shows about one setting of the parameters (None where not computable)."""

    def __init__(self, scores):
        self.scores = scores
        self.per_example = None
        self.data_loss = None
        self.reg_loss = None
        self.total = None
        self.dW = None
        self.db = None
        self.numeric = None
        self.rel_errors = None
        self.notices = Notices()

    @property
    def gradient(self):
        """The analytic gradient as one vector of 9 numbers (like ``PlaygroundState.parameters``)."""
        return None if self.dW is None else np.concatenate([self.dW.ravel(), self.db])


# --------------------------------------------------------------------------------------------
# Loss landscape on the digits
# --------------------------------------------------------------------------------------------

LANDSCAPE_LOSSES = {"SVM": "losses.svm_loss_vectorized", "Softmax": "losses.softmax_loss_vectorized"}
LANDSCAPE_DATA = ("one example", "dev set (100)", "training set (1197)")
DIRECTIONS = ("random", "path PCA")


def normalize_per_class(direction, W):
    """Scale each class's column of ``direction`` to the norm of the same column of ``W``.

    The lecture writes W as (C, D), one row per class; here W is (D, C), so a
    class is a column. Per-class scaling (Li et al.'s filter normalisation)
    makes a step of 1 along the direction as large as the class's own weights,
    so slices of differently scaled weights can be compared.

    Parameters
    ----------
    direction : ndarray of shape (D, C)
    W : ndarray of shape (D, C)

    Returns
    -------
    ndarray of shape (D, C)
    """
    norms = np.linalg.norm(direction, axis=0)
    scale = np.linalg.norm(W, axis=0) / np.where(norms > 0, norms, 1.0)
    return direction * scale


def project_onto_plane(points, centre, d1, d2):
    """Coordinates (a, b) of the points of the plane ``centre + a d1 + b d2`` closest to each point.

    Parameters
    ----------
    points : ndarray of shape (T, D, C)
    centre, d1, d2 : ndarray of shape (D, C)

    Returns
    -------
    coordinates : ndarray of shape (T, 2)
    """
    basis = np.column_stack([d1.ravel(), d2.ravel()])
    offsets = (np.asarray(points) - centre).reshape(len(points), -1)
    coordinates, *_ = np.linalg.lstsq(basis, offsets.T, rcond=None)
    return coordinates.T


class LandscapeState:
    """Slices of the SVM and softmax losses around weights trained on the digits.

    Training starts at ``0.001 * randn(D, C)`` and runs full-batch gradient
    descent with the student's loss (``train_loss``) and ``optim.sgd_momentum``
    on the dev set (the training set when that is shown); the slices are
    centred on the last weights of that path and average the loss over the
    examples of ``subset``.
    """

    def __init__(self, data=None, subset="dev set (100)", seed=0):
        self._data = data if data is not None else get_digits_data()
        self.subset = subset
        self.reg = 1e-3
        self.train_loss = "Softmax"
        self.learning_rate = 0.1
        self.momentum = 0.9
        self.steps = 100
        self.directions = "path PCA"
        self.span = 1.0
        self.resolution = 25
        self.seed = seed
        self.path = None
        self.notices = Notices()

    def batch(self):
        """The examples the losses are averaged over: ``(X, y)``."""
        if self.subset not in LANDSCAPE_DATA:
            raise ValueError(f"subset must be one of {LANDSCAPE_DATA}; got {self.subset!r}.")
        if self.subset == "training set (1197)":
            return self._data["X_train"], self._data["y_train"]
        X, y = self._data["X_dev"], self._data["y_dev"]
        return (X[:1], y[:1]) if self.subset == "one example" else (X, y)

    def training_batch(self):
        """The examples the weights are trained on: the training set when it is shown, else the dev set.

        Training on more than one example keeps the weights of the one-example
        slice realistic: its margins are then of order 1, so the slice crosses
        the hinge's kinks as in the lecture's figure.
        """
        if self.subset == "training set (1197)":
            return self._data["X_train"], self._data["y_train"]
        return self._data["X_dev"], self._data["y_dev"]

    def initial_weights(self):
        X, _ = self.training_batch()
        num_classes = int(self._data["y_train"].max()) + 1
        return 0.001 * np.random.default_rng(self.seed).standard_normal((X.shape[1], num_classes))

    def train(self):
        """Run the optimizer and keep its path, an array of shape (steps + 1, D, C)."""
        self.notices = Notices()
        X, y = self.training_batch()
        W = self.initial_weights()
        path = [W.copy()]
        config = {"learning_rate": self.learning_rate, "momentum": self.momentum}
        try:
            for _ in range(self.steps):
                _, dW = call_student(LANDSCAPE_LOSSES[self.train_loss], W, X, y, self.reg)
                W, config = call_student("optim.sgd_momentum", W.copy(), np.asarray(dW, dtype=float), config)
                path.append(np.array(W, dtype=float))
        except StubMissing as stub:
            self.notices.add(stub, "the optimizer's path (the slices are centred on the initial weights)")
            path = path[:1]
        self.path = np.array(path)
        return self.path

    def plane(self):
        """The centre and the two per-class normalised directions of the slices."""
        if self.path is None:
            self.train()
        centre = self.path[-1]
        rng = np.random.default_rng(self.seed + 1)
        if self.directions == "path PCA" and len(self.path) >= 3:
            # The two directions along which the path moved most (Li et al. 2018, section 7).
            # Principal axes from the small (T, T) Gram matrix rather than an SVD of the (T, D * C) path.
            moves = (self.path - centre).reshape(len(self.path), -1)
            moves = moves - moves.mean(axis=0)
            _, vectors = np.linalg.eigh(moves @ moves.T)
            raw = [(vectors[:, -1] @ moves).reshape(centre.shape), (vectors[:, -2] @ moves).reshape(centre.shape)]
        elif self.directions in DIRECTIONS:
            raw = [rng.standard_normal(centre.shape), rng.standard_normal(centre.shape)]
        else:
            raise ValueError(f"directions must be one of {DIRECTIONS}; got {self.directions!r}.")
        return centre, normalize_per_class(raw[0], centre), normalize_per_class(raw[1], centre)

    def slices(self):
        """Evaluate both losses along the 1-D and 2-D slices.

        Returns
        -------
        dict with keys
            ``alphas`` (n1,), ``grid`` (n2,), ``path`` (T, 2) coordinates of the path in the plane,
            ``coverage`` (fraction of the path's squared movement lying in the plane), and for each
            loss name in LANDSCAPE_LOSSES a dict ``{"line": (n1,), "surface": (n2, n2), "centre": float}``
            or None when the student's loss is a stub.
        """
        centre, d1, d2 = self.plane()
        X, y = self.batch()
        alphas = np.linspace(-self.span, self.span, 4 * self.resolution + 1)
        grid = np.linspace(-self.span, self.span, self.resolution)
        coordinates = project_onto_plane(self.path, centre, d1, d2)
        moved = (self.path - centre).reshape(len(self.path), -1)
        in_plane = (coordinates @ np.stack([d1.ravel(), d2.ravel()]))
        total = float(np.sum(moved ** 2))
        result = {"alphas": alphas, "grid": grid, "path": coordinates,
                  "coverage": float(np.sum(in_plane ** 2) / total) if total > 0 else 1.0}
        for name, function in LANDSCAPE_LOSSES.items():
            def loss_at(W):
                return float(call_student(function, W, X, y, self.reg)[0])
            try:
                line = np.array([loss_at(centre + a * d1) for a in alphas])
                surface = np.array([[loss_at(centre + a * d1 + b * d2) for a in grid] for b in grid])
                result[name] = {"line": line, "surface": surface, "centre": loss_at(centre)}
            except StubMissing as stub:
                self.notices.add(stub, f"the {name} landscape")
                result[name] = None
        return result


# --------------------------------------------------------------------------------------------
# Step size, momentum and batch size
# --------------------------------------------------------------------------------------------

#: The lecture's f(x, y) = (x + 2y - 7)^2 + (2x + y - 5)^2 is |A p - c|^2.
LECTURE_A = np.array([[1.0, 2.0], [2.0, 1.0]])
LECTURE_C = np.array([7.0, 5.0])
LECTURE_START = np.array([-4.0, 6.0])
#: The lecture's four learning rates and what gradient descent does with each.
LECTURE_RATES = {0.01: "falls short", 0.10: "converges", 0.11: "oscillates", 0.12: "diverges"}
#: A run converged when it ended this much closer to the minimum than it started.
CONVERGED = 1e-3


def lecture_objective(p):
    """f(x, y) = (x + 2y - 7)^2 + (2x + y - 5)^2 at ``p`` of shape (2,) or (..., 2)."""
    residual = np.asarray(p, dtype=float) @ LECTURE_A.T - LECTURE_C
    return np.sum(residual ** 2, axis=-1)


def lecture_gradient(p):
    """Gradient of :func:`lecture_objective` at ``p`` of shape (2,)."""
    return 2 * LECTURE_A.T @ (LECTURE_A @ np.asarray(p, dtype=float) - LECTURE_C)


def lecture_minimum():
    """The point where f is 0: the solution of ``A p = c``."""
    return np.linalg.solve(LECTURE_A, LECTURE_C)


def lecture_curvatures():
    """Eigenvalues of f's Hessian ``2 A^T A`` (ascending): gradient descent is stable for lr < 2 / max."""
    return np.linalg.eigvalsh(2 * LECTURE_A.T @ LECTURE_A)


def classify_run(path, values, minimum):
    """Name what a run of gradient descent did: "diverges", "converges", "oscillates" or "falls short".

    Parameters
    ----------
    path : ndarray of shape (T + 1, 2)
    values : ndarray of shape (T + 1,)
        The objective along the path.
    minimum : ndarray of shape (2,)
    """
    if not np.all(np.isfinite(values)) or values[-1] > values[0]:
        return "diverges"
    distances = np.linalg.norm(path - minimum, axis=1)
    if distances[-1] <= CONVERGED * distances[0]:
        return "converges"
    moves = np.diff(path, axis=0)
    turns = np.sum(moves[1:] * moves[:-1], axis=1)
    recent = turns[-10:]
    if len(recent) and np.mean(recent < 0) > 0.5:
        return "oscillates"
    return "falls short"


def gradient_descent(gradient, start, learning_rate, steps, rule="optim.sgd", momentum=0.0):
    """Run the student's update rule on a 2-D problem.

    Returns
    -------
    path : ndarray of shape (k + 1, 2)
        Start and iterates; stops early (k < steps) once an iterate overflows.
    """
    point = np.array(start, dtype=float)
    path = [point.copy()]
    config = {"learning_rate": learning_rate, "momentum": momentum}
    with np.errstate(over="ignore", invalid="ignore"):
        for _ in range(steps):
            point, config = call_student(rule, point.copy(), gradient(point), config)
            point = np.array(point, dtype=float)
            path.append(point)
            if not np.all(np.isfinite(point)) or np.abs(point).max() > 1e150:
                break
    return np.array(path)


class StepSizeState:
    """Gradient descent with the student's ``optim.sgd`` on the lecture's f(x, y)."""

    def __init__(self, learning_rate=0.10, steps=50, start=LECTURE_START):
        self.learning_rate = learning_rate
        self.steps = steps
        self.start = np.array(start, dtype=float)

    def run(self):
        """Returns ``(path (k + 1, 2), values (k + 1,), verdict)``."""
        path = gradient_descent(lecture_gradient, self.start, self.learning_rate, self.steps)
        with np.errstate(over="ignore", invalid="ignore"):
            values = lecture_objective(path)
        return path, values, classify_run(path, values, lecture_minimum())


def momentum_bound(momentum):
    """Gradient descent with momentum on a quadratic of curvature lambda converges iff 0 < lr * lambda < this."""
    return 2.0 + 2.0 * momentum


def momentum_rate(step, momentum):
    """Convergence factor per step of heavy-ball momentum along a direction with ``step = lr * lambda``.

    The spectral radius of the iteration ``x_{t+1} = (1 + beta - step) x_t - beta x_{t-1}``:
    below 1 exactly when ``0 < step < 2 + 2 beta`` (for 0 <= beta < 1).
    """
    roots = np.roots([1.0, -(1.0 + momentum - step), momentum])
    return float(np.max(np.abs(roots)))


class MomentumState:
    """The student's ``optim.sgd_momentum`` on f(x, y) = (lambda_1 x^2 + lambda_2 y^2) / 2."""

    def __init__(self, learning_rate=0.15, momentum=0.5, curvatures=(1.0, 10.0), steps=60, start=(-4.0, 2.0)):
        self.learning_rate = learning_rate
        self.momentum = momentum
        self.curvatures = np.array(curvatures, dtype=float)
        self.steps = steps
        self.start = np.array(start, dtype=float)

    def gradient(self, p):
        return self.curvatures * p

    def objective(self, p):
        return 0.5 * np.sum(self.curvatures * np.asarray(p) ** 2, axis=-1)

    def run(self):
        """Returns ``(path (k + 1, 2), verdicts)``, one verdict ("converges"/"diverges") per axis."""
        path = gradient_descent(self.gradient, self.start, self.learning_rate, self.steps,
                                rule="optim.sgd_momentum", momentum=self.momentum)
        with np.errstate(invalid="ignore"):
            shrank = np.abs(path[-1]) < np.abs(path[0])
        return path, ["converges" if ok else "diverges" for ok in shrank]

    def conditions(self):
        """For each axis: ``(lr * lambda, bound, condition holds, convergence factor per step)``."""
        bound = momentum_bound(self.momentum)
        return [(self.learning_rate * lam, bound, 0 < self.learning_rate * lam < bound,
                 momentum_rate(self.learning_rate * lam, self.momentum)) for lam in self.curvatures]


class BatchSizeState:
    """Minibatch SGD (the student's ``optim.sgd``) on a 2-parameter least-squares problem.

    The loss is ``mean over i of (x_i . w - t_i)^2`` over ``num_examples``
    examples; smaller batches estimate its gradient with more noise.
    """

    def __init__(self, batch_size=8, learning_rate=0.05, steps=60, seed=0, num_examples=256):
        rng = np.random.default_rng(12345)
        features = rng.standard_normal((num_examples, 2)) @ np.array([[1.0, 0.0], [0.6, 0.5]])
        self.X = features
        self.t = features @ np.array([1.5, -1.0]) + 0.5 * rng.standard_normal(num_examples)
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.steps = steps
        self.seed = seed
        self.start = np.array([-2.0, 3.0])

    def loss(self, w):
        """Full-data loss at ``w`` of shape (2,) or (..., 2)."""
        residuals = np.asarray(w) @ self.X.T - self.t
        return np.mean(residuals ** 2, axis=-1)

    def gradient(self, w, rows=None):
        X, t = (self.X, self.t) if rows is None else (self.X[rows], self.t[rows])
        return 2 * X.T @ (X @ w - t) / len(t)

    def minimum(self):
        return np.linalg.lstsq(self.X, self.t, rcond=None)[0]

    def gradient_noise(self, batch_size, draws=400):
        """Root-mean-square distance between minibatch gradients and the full gradient at the start."""
        rng = np.random.default_rng(self.seed + 7)
        full = self.gradient(self.start)
        samples = [self.gradient(self.start, rng.choice(len(self.t), batch_size, replace=False))
                   for _ in range(draws)]
        return float(np.sqrt(np.mean(np.sum((np.array(samples) - full) ** 2, axis=1))))

    def run(self, batch_size=None):
        """Path of minibatch SGD, shape (steps + 1, 2)."""
        batch_size = self.batch_size if batch_size is None else batch_size
        rng = np.random.default_rng(self.seed)

        def minibatch_gradient(w):
            return self.gradient(w, rng.choice(len(self.t), batch_size, replace=False))

        return gradient_descent(minibatch_gradient, self.start, self.learning_rate, self.steps)


# --------------------------------------------------------------------------------------------
# SVM vs softmax on three score vectors
# --------------------------------------------------------------------------------------------

LECTURE_SCORES = np.array([[10.0, -2.0, 3.0], [10.0, 9.0, 9.0], [10.0, -100.0, -100.0]])


def loss_of_scores(name, scores, correct=0):
    """The student's loss (``losses.svm_loss_vectorized`` or ``losses.softmax_loss_vectorized``) of one score vector.

    Feeding the scores as one example ``X = scores`` with ``W`` the identity
    makes ``X @ W`` the scores themselves.
    """
    scores = np.asarray(scores, dtype=float).reshape(1, -1)
    return float(call_student(name, np.eye(scores.shape[1]), scores, np.array([correct]), 0.0)[0])


class ScoresState:
    """Three score vectors (class 0 correct) and their SVM and softmax losses."""

    def __init__(self):
        self.scores = LECTURE_SCORES.copy()
        self.previous = None

    def losses(self):
        """``{"SVM": (3,) or None, "Softmax": (3,) or None}`` and the notices of missing stubs."""
        notices = Notices()
        result = {}
        for name, function in LANDSCAPE_LOSSES.items():
            try:
                result[name] = np.array([loss_of_scores(function, row) for row in self.scores])
            except StubMissing as stub:
                notices.add(stub, f"the {name} losses")
                result[name] = None
        return result, notices

    def set_score(self, example, klass, value):
        self.scores[example, klass] = float(value)

    def reset(self):
        self.scores = LECTURE_SCORES.copy()


# --------------------------------------------------------------------------------------------
# Widget layer
# --------------------------------------------------------------------------------------------

NOT_INTERACTIVE = ("<p><b>This panel needs the interactive matplotlib backend:</b> "
                   "run <code>%matplotlib widget</code> in a cell above, then rebuild the panel.</p>")


def number(value, digits=6):
    """A readout number: ``digits`` significant digits, or a dash when unknown."""
    if value is None:
        return "—"
    return f"{value:.{digits}g}"


def new_figure(width, height):
    """A figure and the widget that shows it (ipympl's canvas under ``%matplotlib widget``)."""
    with plt.ioff():
        figure = plt.figure(figsize=(width, height))
    canvas = figure.canvas
    if isinstance(canvas, widgets.DOMWidget):
        canvas.header_visible = False
        canvas.footer_visible = False
        canvas.resizable = False
        canvas.toolbar_position = "right"
        return figure, canvas
    return figure, widgets.HTML(NOT_INTERACTIVE)


def view_started(canvas):
    """Whether the browser has started showing this canvas (always true for non-ipympl canvases).

    ipympl renders a figure drawn before its view starts into a data URL the
    view cannot load ("Error setting state ... 'broken' state", matplotlib/ipympl#472),
    and the view then stays blank. The view draws the whole figure when it
    starts, so until then nothing needs drawing.
    """
    return not getattr(canvas, "syncing_data_url", False)


def request_redraw(figure):
    """Ask the browser for a full redraw of ``figure``, or only mark it drawn before its view starts."""
    if view_started(figure.canvas):
        figure.canvas.draw_idle()
    else:
        settle(figure)


def settle(figure):
    """Mark ``figure`` and its axes as drawn.

    In a kernel, pyplot redraws every stale figure after each widget message;
    a figure that is stale for no visible reason would be redrawn forever.
    """
    for axes in figure.axes:
        axes.stale = False
    figure.stale = False


def nice_ceiling(value):
    """The smallest of 1, 2, 5, 10, 20, 50, ... times a power of ten that is at least ``value`` (> 0)."""
    exponent = math.floor(math.log10(value))
    for factor in (1, 2, 5, 10):
        if factor * 10.0 ** exponent >= value * (1 - 1e-12):
            return factor * 10.0 ** exponent
    return 10.0 ** (exponent + 1)


class FigureUpdater:
    """Redraws the changing artists of an interactive figure without re-rendering the rest.

    Tick labels and titles cost most of a full draw, and they rarely change.
    Once the browser has drawn the whole figure, :meth:`update` restores that
    drawing's static background and draws only ``artists`` on it (blitting),
    then ipympl sends the changed pixels. When axes limits or anything else
    static changed, ``update(full=True)`` asks the browser for a full redraw.

    Parameters
    ----------
    figure : matplotlib Figure
    artists : list of Artist
        Everything that changes between full redraws, in drawing order. They
        are drawn over all static artists, so nothing static may cover them.
    """

    def __init__(self, figure, artists):
        self.figure = figure
        self.artists = list(artists)
        self.background = None
        self._key = None
        self.blitting = isinstance(figure.canvas, widgets.DOMWidget)
        if self.blitting:
            for artist in self.artists:
                artist.set_animated(True)
            figure.canvas.mpl_connect("draw_event", self._on_draw)

    def _size(self):
        return tuple(self.figure.bbox.size), self.figure.dpi

    def _on_draw(self, event):
        # A full draw skips animated artists: keep the static picture, then add them.
        renderer = event.renderer
        if renderer is getattr(self.figure.canvas, "renderer", None):
            self.background = renderer.copy_from_bbox(self.figure.bbox)
            self._key = self._size()
        self._draw_artists(renderer)

    def _draw_artists(self, renderer):
        was_stale = self.figure.stale
        for artist in self.artists:
            artist.draw(renderer)
        if not was_stale:
            # Drawing an artist can mark its axes stale (through child artists that report to the
            # axes), though the picture is now current.
            settle(self.figure)

    def update(self, full=False):
        """Show the artists' new data: blit when possible, else request a full redraw."""
        canvas = self.figure.canvas
        if not view_started(canvas):
            settle(self.figure)
            return
        if full or not self.blitting or self.background is None or self._key != self._size():
            self.background = None
            canvas.draw_idle()
            return
        canvas.restore_region(self.background)
        self._draw_artists(canvas.get_renderer())
        canvas.blit(self.figure.bbox)


def slider(kind, description, value, **options):
    """A slider that reports its value only when released (a redraw per release, not per pixel)."""
    style = {"description_width": "initial"}
    return kind(value=value, description=description, continuous_update=False, style=style,
                layout=widgets.Layout(width="330px"), **options)


class Panel:
    """Base of the widget panels: a status area, guarded callbacks and notebook display."""

    title = ""

    def __init__(self):
        self.status = widgets.HTML()
        self.status.add_class("lx-status")
        self._syncing = False
        self.widget = None

    def guard(self, callback):
        """Wrap a widget callback so that any exception is shown in the panel instead of being lost."""
        @functools.wraps(callback)
        def guarded(*args, **kwargs):
            if self._syncing:
                return None
            try:
                return callback(*args, **kwargs)
            except StubMissing as stub:
                self.show_notices([stub.advice("what this control does")], detail=stub.detail)
            except Exception as error:  # noqa: BLE001 (shown to the user, not swallowed)
                self.show_error(error)
            return None
        return guarded

    def show_notices(self, notices, detail=""):
        """Show the sentences of missing stubs (or clear the status area when there are none)."""
        items = list(getattr(notices, "items", notices))
        if not items:
            self.status.value = ""
            return
        lines = "".join(f"<li>{html.escape(item)}</li>" for item in items)
        extra = f"<div><small>{html.escape(detail)}</small></div>" if detail else ""
        self.status.value = (f'<div class="lx-stub" style="background:#fff6d5;padding:4px 8px">'
                             f"<b>Not shown yet:</b><ul style='margin:2px 0'>{lines}</ul>{extra}</div>")

    def show_error(self, error):
        """Show an exception and its traceback in the status area."""
        trace = "".join(traceback.format_exception(type(error), error, error.__traceback__))
        self.status.value = (
            f'<div class="lx-error" style="background:#fde2e2;padding:4px 8px">'
            f"<b>{html.escape(type(error).__name__)}:</b> {html.escape(str(error))}"
            f"<details><summary>traceback</summary><pre>{html.escape(trace)}</pre></details></div>")

    def header(self):
        return widgets.HTML(f"<h3 style='margin:4px 0'>{html.escape(self.title)}</h3>")

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)


def _observe(widget, handler):
    widget.observe(handler, names="value")
    return widget


class Playground(Panel):
    """The linear classifier playground: 2-D points, W (3x2) and b, four losses, regularization, SGD.

    Attributes
    ----------
    state : PlaygroundState
    evaluation : Evaluation
        What the panel shows now.
    figure : matplotlib Figure
        Left: decision regions, zero-score lines and points. Right: loss against iteration.
    """

    title = "Linear classifier playground"
    GRID = 120

    def __init__(self, state=None):
        super().__init__()
        self.state = state or PlaygroundState()
        self.figure, canvas = new_figure(9.0, 3.8)
        self._create_artists()
        self._create_controls()
        self._connect()
        self.widget = widgets.VBox([
            self.header(), canvas,
            widgets.HBox([self.parameter_grid, self.loss_controls]),
            self.optimizer_controls,
            widgets.HBox([self.step_button, self.play, self.randomize_button, self.clear_button]),
            self.readout, self.table, self.data_box, self.status,
        ])
        self.refresh(data_changed=True)

    # Figure --------------------------------------------------------------------------------

    def _create_artists(self):
        self.figure.clear()
        self.ax_data, self.ax_curve = self.figure.subplots(1, 2, gridspec_kw={"width_ratios": [1.1, 1]})
        self.regions = self.ax_data.imshow(
            np.zeros((2, 2)), origin="lower", extent=(-1, 1, -1, 1), cmap=ListedColormap(REGION_COLORS),
            vmin=-0.5, vmax=NUM_CLASSES - 0.5, interpolation="nearest", aspect="equal")
        self.zero_lines = [self.ax_data.plot([], [], color=color, lw=2)[0] for color in CLASS_COLORS]
        self.arrows = self.ax_data.quiver(np.zeros(NUM_CLASSES), np.zeros(NUM_CLASSES),
                                          np.zeros(NUM_CLASSES), np.zeros(NUM_CLASSES),
                                          color=CLASS_COLORS, angles="xy", scale_units="xy", scale=1, width=0.008)
        self.points = self.ax_data.scatter(np.zeros(1), np.zeros(1), s=50, zorder=3, linewidths=1.5)
        # Titles instead of legends: a legend over blitted artists would have to be redrawn each time.
        self.ax_data.set_title("regions: predicted class; lines: s_c = 0; arrows: w_c\n"
                               "(class 0 red, 1 green, 2 blue)", fontsize=9)
        self.curve, = self.ax_curve.plot([], [], marker=".", color="k")
        self.ax_curve.set_xlabel("iteration")
        self.ax_curve.set_ylabel("total loss")
        self.ax_curve.set_title("loss during optimization", fontsize=9)
        self.figure.tight_layout()
        self._data_limit = None
        self._curve_limits = None
        self.updater = FigureUpdater(self.figure, [self.regions, *self.zero_lines, self.arrows, self.points,
                                                   *self.ax_data.spines.values(), self.curve])

    def _draw_data(self):
        """Update the data plot; returns whether its axes changed (which needs a full redraw)."""
        limit = self.state.view_limit()
        changed = limit != self._data_limit
        if changed:
            self._data_limit = limit
            self._grid = np.linspace(-limit, limit, self.GRID)
            self.regions.set_extent((-limit, limit, -limit, limit))
            self.ax_data.set_xlim(-limit, limit)
            self.ax_data.set_ylim(-limit, limit)
        self.regions.set_data(self.state.region_labels(self._grid, self._grid))
        segments = self.state.zero_score_segments(limit)
        for line, segment in zip(self.zero_lines, segments):
            line.set_data(*(segment.T if segment is not None else ([], [])))
        # Each arrow starts at the point of its line closest to the origin and points to where s_c grows.
        norms = np.maximum(np.linalg.norm(self.state.W, axis=1), 1e-12)
        anchors = -(self.state.b / norms ** 2)[:, None] * self.state.W
        directions = 0.25 * limit * self.state.W / norms[:, None]
        self.arrows.set_offsets(anchors)
        self.arrows.set_UVC(directions[:, 0], directions[:, 1])
        self.points.set_offsets(self.state.X)
        self.points.set_facecolors([CLASS_COLORS[label] for label in self.state.y])
        losses_i = self.evaluation.per_example
        # A black ring marks a point that still contributes loss.
        edges = ["black" if losses_i is not None and loss > 1e-12 else "white"
                 for loss in (losses_i if losses_i is not None else self.state.y)]
        self.points.set_edgecolors(edges)
        return changed

    def _draw_curve(self):
        """Update the loss curve; returns whether its axes changed.

        The axes snap to round numbers (0 to 10, 20, 50, 100... iterations; 0 to
        1, 2, 5, 10... loss) so that most updates leave the ticks alone.
        """
        history = self.state.history
        self.curve.set_data(np.arange(len(history)), history)
        iterations = max(len(history) - 1, 1)
        highest = max(history) if history else 1.0
        limits = (nice_ceiling(max(iterations, 10)), nice_ceiling(max(highest, 1e-3)))
        if limits == self._curve_limits:
            return False
        self._curve_limits = limits
        self.ax_curve.set_xlim(0, limits[0])
        self.ax_curve.set_ylim(0, limits[1])
        return True

    # Controls ------------------------------------------------------------------------------

    def _create_controls(self):
        state = self.state
        self.parameter_boxes = []
        rows = [widgets.HTML("<b>param</b>"), widgets.HTML("<b>value</b>"), widgets.HTML("<b>analytic dL</b>"),
                widgets.HTML("<b>numeric dL</b>"), widgets.HTML("<b>rel. error</b>")]
        self.gradient_cells = []
        names = [f"W[{c},{k}]" for c in range(NUM_CLASSES) for k in range(2)] + [f"b[{c}]" for c in range(NUM_CLASSES)]
        for index, name in enumerate(names):
            box = widgets.FloatText(step=0.1, layout=widgets.Layout(width="80px"))
            box.add_class(f"lx-param-{index}")
            self.parameter_boxes.append(box)
            cells = [widgets.HTML(layout=widgets.Layout(width="90px")) for _ in range(3)]
            self.gradient_cells.append(cells)
            color = CLASS_COLORS[index // 2 if index < 6 else index - 6]
            rows += [widgets.HTML(f"<span style='color:{color}'>{name}</span>"), box] + cells
        self.parameter_grid = widgets.GridBox(
            rows, layout=widgets.Layout(grid_template_columns="50px 85px 95px 95px 90px", width="440px"))

        self.preset = widgets.Dropdown(options=list(PRESETS), description="preset",
                                       style={"description_width": "initial"})
        self.loss_choice = widgets.Dropdown(options=PLAYGROUND_LOSSES, value=state.loss, description="loss")
        self.penalty_choice = widgets.Dropdown(options=list(PENALTIES), value=state.penalty, description="penalty")
        self.reg_slider = slider(widgets.FloatLogSlider, "λ (reg. strength)", state.reg, base=10, min=-4, max=1,
                                 step=0.1, readout_format=".3g")
        self.reg_slider.add_class("lx-reg")
        self.beta_slider = slider(widgets.FloatSlider, "elastic net β", state.beta, min=0.0, max=2.0, step=0.05)
        self.numeric_check = widgets.Checkbox(value=True, description="numerical gradient check", indent=False)
        self.loss_controls = widgets.VBox([self.preset, self.loss_choice, self.penalty_choice, self.reg_slider,
                                           self.beta_slider, self.numeric_check])

        self.rate_slider = slider(widgets.FloatLogSlider, "step size", state.learning_rate, base=10, min=-3, max=1,
                                  step=0.1, readout_format=".3g")
        self.optimizer_choice = widgets.Dropdown(options=list(OPTIMIZERS), value=state.optimizer, description="update")
        self.momentum_slider = slider(widgets.FloatSlider, "momentum", state.momentum, min=0.0, max=0.99, step=0.01)
        self.batch_slider = slider(widgets.IntSlider, "batch size", state.batch_size, min=1, max=len(state.y))
        self.schedule_choice = widgets.Dropdown(options=SCHEDULES, value=state.schedule, description="schedule")
        self.decay_slider = slider(widgets.FloatSlider, "step decay rate", state.decay_rate,
                                   min=0.1, max=1.0, step=0.05)
        self.every_slider = slider(widgets.IntSlider, "decay every", state.decay_every, min=1, max=200)
        self.horizon_slider = slider(widgets.IntSlider, "cosine T", state.horizon, min=1, max=1000)
        self.optimizer_controls = widgets.HBox([
            widgets.VBox([self.rate_slider, self.optimizer_choice, self.momentum_slider, self.batch_slider]),
            widgets.VBox([self.schedule_choice, self.decay_slider, self.every_slider, self.horizon_slider])])

        self.step_button = widgets.Button(description="Single update", button_style="primary")
        self.step_button.add_class("lx-step")
        self.play = widgets.Play(value=0, min=0, max=100000, step=1, interval=150, description="repeated update",
                                 show_repeat=False)
        self.randomize_button = widgets.Button(description="Randomize W, b")
        self.clear_button = widgets.Button(description="Restart loss curve")

        self.readout = widgets.HTML()
        self.readout.add_class("lx-readout")
        self.table = widgets.HTML()

        self.points_text = widgets.Textarea(layout=widgets.Layout(width="260px", height="160px"))
        self.points_button = widgets.Button(description="Use these points")
        self.seed_box = widgets.IntText(value=0, description="seed", layout=widgets.Layout(width="150px"))
        self.per_class_slider = slider(widgets.IntSlider, "points per class", 5, min=1, max=MAX_POINTS // NUM_CLASSES)
        self.spread_slider = slider(widgets.FloatSlider, "spread", 0.25, min=0.02, max=1.0, step=0.01)
        self.regenerate_button = widgets.Button(description="New random points")
        self.click_choice = widgets.Dropdown(options=["off", "class 0", "class 1", "class 2"], value="off",
                                             description="click on plot adds", style={"description_width": "initial"})
        self.data_box = widgets.Accordion(children=[widgets.HBox([
            widgets.VBox([widgets.HTML("one point per line: <code>x0, x1, label</code>"), self.points_text,
                          self.points_button]),
            widgets.VBox([self.seed_box, self.per_class_slider, self.spread_slider, self.regenerate_button,
                          self.click_choice]),
        ])], selected_index=None)
        self.data_box.set_title(0, "Data: edit, regenerate or click to add points")

    def _connect(self):
        guard = self.guard
        for box in self.parameter_boxes:
            _observe(box, guard(self._on_parameter))
        _observe(self.preset, guard(self._on_preset))
        settings = {self.loss_choice: "loss", self.penalty_choice: "penalty", self.reg_slider: "reg",
                    self.beta_slider: "beta"}
        for control, attribute in settings.items():
            _observe(control, guard(functools.partial(self._on_objective_setting, attribute)))
        settings = {self.rate_slider: "learning_rate", self.momentum_slider: "momentum",
                    self.batch_slider: "batch_size", self.schedule_choice: "schedule",
                    self.decay_slider: "decay_rate", self.every_slider: "decay_every", self.horizon_slider: "horizon"}
        for control, attribute in settings.items():
            _observe(control, guard(functools.partial(self._on_optimizer_setting, attribute)))
        _observe(self.optimizer_choice, guard(self._on_optimizer))
        _observe(self.numeric_check, guard(lambda change: self.refresh()))
        _observe(self.play, guard(self._on_play))
        self.step_button.on_click(guard(lambda button: self.step()))
        self.randomize_button.on_click(guard(self._on_randomize))
        self.clear_button.on_click(guard(self._on_clear))
        self.points_button.on_click(guard(self._on_points))
        self.regenerate_button.on_click(guard(self._on_regenerate))
        self.figure.canvas.mpl_connect("button_press_event", guard(self._on_click))

    def _sync_controls(self, data_changed):
        """Show the state's values in the controls without triggering their callbacks."""
        state = self.state
        self._syncing = True
        try:
            for box, value in zip(self.parameter_boxes, state.parameters()):
                box.value = round(float(value), 6)
            self.loss_choice.value = state.loss
            self.penalty_choice.value = state.penalty
            self.reg_slider.value = state.reg
            self.beta_slider.value = state.beta
            self.rate_slider.value = state.learning_rate
            self.optimizer_choice.value = state.optimizer
            self.momentum_slider.value = state.momentum
            self.batch_slider.max = len(state.y)
            self.batch_slider.value = state.batch_size
            self.schedule_choice.value = state.schedule
            self.decay_slider.value = state.decay_rate
            self.every_slider.value = state.decay_every
            self.horizon_slider.value = state.horizon
            if data_changed:
                # Only then: the text box may hold points the user is still typing.
                self.points_text.value = format_points(state.X, state.y)
        finally:
            self._syncing = False

    # Callbacks -----------------------------------------------------------------------------

    def _on_parameter(self, change):
        values = np.array([box.value for box in self.parameter_boxes], dtype=float)
        self.state.set_parameters(values[:6], values[6:])
        self.refresh()

    def _on_preset(self, change):
        self.play.playing = False
        self.state.apply_preset(change["new"])
        self.refresh(data_changed=True)

    def _on_objective_setting(self, attribute, change):
        setattr(self.state, attribute, change["new"])
        self.state.restart()
        self.refresh()

    def _on_optimizer_setting(self, attribute, change):
        setattr(self.state, attribute, change["new"])
        self.refresh()

    def _on_optimizer(self, change):
        self.state.change_optimizer(change["new"])
        self.refresh()

    def _on_play(self, change):
        if change["new"] > 0:
            self.step()

    def _on_randomize(self, button):
        self.state.randomize()
        self.refresh()

    def _on_clear(self, button):
        self.state.restart()
        self.refresh()

    def _on_points(self, button):
        self.state.set_points(*parse_points(self.points_text.value))
        self.refresh(data_changed=True)

    def _on_regenerate(self, button):
        X, y = make_blobs(self.per_class_slider.value, self.spread_slider.value, self.seed_box.value)
        self.state.set_points(X, y)
        self.seed_box.value += 1
        self.refresh(data_changed=True)

    def _on_click(self, event):
        toolbar = getattr(self.figure.canvas, "toolbar", None)
        if (self.click_choice.value == "off" or event.inaxes is not self.ax_data
                or (toolbar is not None and getattr(toolbar, "mode", ""))):
            return
        self.state.add_point(event.xdata, event.ydata, int(self.click_choice.value[-1]))
        self.refresh(data_changed=True)

    # Actions -------------------------------------------------------------------------------

    def step(self):
        """One update; a missing stub stops the repeated updates and says which one."""
        try:
            self.state.step()
        except StubMissing as stub:
            self.play.playing = False
            self.refresh()
            self.evaluation.notices.add(stub, "an update of W and b")
            self.show_notices(self.evaluation.notices)
            return
        self.refresh()

    def refresh(self, data_changed=False):
        """Recompute what is shown and update the artists, readouts and controls in place."""
        if data_changed:
            self._data_limit = None
        self.evaluation = self.state.evaluate(numeric=self.numeric_check.value)
        self._sync_controls(data_changed)
        axes_changed = self._draw_data()
        axes_changed |= self._draw_curve()
        self._show_numbers()
        self.show_notices(self.evaluation.notices)
        self.updater.update(full=axes_changed)

    def _show_numbers(self):
        state, result = self.state, self.evaluation
        gradient = result.gradient
        for index, cells in enumerate(self.gradient_cells):
            analytic = None if gradient is None else gradient[index]
            numeric = None if result.numeric is None else result.numeric[index]
            error = None if result.rel_errors is None else result.rel_errors[index]
            cells[0].value = number(analytic, 5)
            cells[1].value = number(numeric, 5)
            cells[2].value = "" if error is None else (
                f"<span class='lx-agree'>{number(error, 2)} ✓</span>" if gradients_agree(numeric, analytic)
                else f"<span class='lx-disagree' style='color:#c00'>{number(error, 2)} ✗</span>")
        rate = None
        try:
            rate = state.learning_rate_at(state.iteration)
        except StubMissing as stub:
            result.notices.add(stub, f"the {state.schedule} learning rate")
        penalty_name = state.penalty if state.penalty != "None" else "no"
        self.readout.value = (
            f"<div style='font-size:110%'>"
            f"data loss <b class='lx-data-loss'>{number(result.data_loss)}</b> &nbsp;+&nbsp; "
            f"regularization loss ({penalty_name} penalty, λ = {state.reg:.3g}) "
            f"<b class='lx-reg-loss'>{number(result.reg_loss)}</b> &nbsp;=&nbsp; "
            f"total loss <b class='lx-total-loss'>{number(result.total)}</b></div>"
            f"<div>iteration <span class='lx-iteration'>{state.iteration}</span>, learning rate now "
            f"<span class='lx-rate'>{number(rate, 4)}</span>, batch {min(state.batch_size, len(state.y))} "
            f"of {len(state.y)} points, {state.optimizer}</div>")
        header = "".join(f"<th>{h}</th>" for h in ("x0", "x1", "y", "s0", "s1", "s2", "L_i"))
        rows = []
        for i, ((x0, x1), label) in enumerate(zip(state.X, state.y)):
            scores = "".join(f"<td>{s:.3f}</td>" for s in result.scores[i])
            loss_i = number(None if result.per_example is None else result.per_example[i], 4)
            rows.append(f"<tr><td>{x0:.2f}</td><td>{x1:.2f}</td>"
                        f"<td style='color:{CLASS_COLORS[label]}'><b>{label}</b></td>{scores}<td>{loss_i}</td></tr>")
        self.table.value = (f"<table class='lx-table' style='font-family:monospace;font-size:85%'>"
                            f"<tr>{header}</tr>{''.join(rows)}</table>")


class LandscapeExplorer(Panel):
    """1-D and 2-D slices of the SVM and softmax losses on the digits, with the optimizer's path.

    Attributes
    ----------
    state : LandscapeState
    result : dict
        The last :meth:`LandscapeState.slices`.
    """

    title = "Loss landscape: L(W + a W1 + b W2) around trained weights"

    def __init__(self, state=None):
        super().__init__()
        self.state = state or LandscapeState()
        self.figure, canvas = new_figure(9.0, 6.4)
        self._create_artists()
        s = self.state
        self.subset_choice = widgets.Dropdown(options=LANDSCAPE_DATA, value=s.subset, description="data")
        self.train_choice = widgets.Dropdown(options=list(LANDSCAPE_LOSSES), value=s.train_loss,
                                             description="train with")
        self.rate_slider = slider(widgets.FloatLogSlider, "learning rate", s.learning_rate, base=10, min=-3, max=1,
                                  step=0.1, readout_format=".3g")
        self.momentum_slider = slider(widgets.FloatSlider, "momentum", s.momentum, min=0.0, max=0.99, step=0.01)
        self.steps_slider = slider(widgets.IntSlider, "steps", s.steps, min=0, max=500)
        self.reg_slider = slider(widgets.FloatLogSlider, "λ", s.reg, base=10, min=-5, max=0, step=0.1,
                                 readout_format=".3g")
        self.direction_choice = widgets.Dropdown(options=DIRECTIONS, value=s.directions, description="directions")
        self.span_slider = slider(widgets.FloatSlider, "span of a, b", s.span, min=0.05, max=3.0, step=0.05)
        self.seed_box = widgets.IntText(value=s.seed, description="seed", layout=widgets.Layout(width="150px"))
        self.readout = widgets.HTML()
        self.readout.add_class("lx-readout")
        training = {self.subset_choice: "subset", self.train_choice: "train_loss", self.rate_slider: "learning_rate",
                    self.momentum_slider: "momentum", self.steps_slider: "steps", self.reg_slider: "reg",
                    self.seed_box: "seed"}
        for control, attribute in training.items():
            _observe(control, self.guard(functools.partial(self._on_setting, attribute, True)))
        for control, attribute in {self.direction_choice: "directions", self.span_slider: "span"}.items():
            _observe(control, self.guard(functools.partial(self._on_setting, attribute, False)))
        self.widget = widgets.VBox([
            self.header(), canvas,
            widgets.HBox([widgets.VBox([self.subset_choice, self.train_choice, self.rate_slider,
                                        self.momentum_slider, self.steps_slider]),
                          widgets.VBox([self.reg_slider, self.direction_choice, self.span_slider, self.seed_box])]),
            self.readout, self.status])
        self.refresh(retrain=True)

    def _create_artists(self):
        self.figure.clear()
        axes = self.figure.subplots(2, 2)
        self.lines, self.images, self.paths, self.centres = {}, {}, {}, {}
        for column, name in enumerate(LANDSCAPE_LOSSES):
            top, bottom = axes[0, column], axes[1, column]
            self.lines[name], = top.plot([], [], color="C0" if name == "SVM" else "C1")
            top.axvline(0.0, color="grey", lw=0.8, ls=":")
            top.set_title(f"{name}: 1-D slice L(W + a W1)", fontsize=9)
            top.set_xlabel("a")
            self.images[name] = bottom.imshow(np.zeros((2, 2)), origin="lower", extent=(-1, 1, -1, 1),
                                              cmap="viridis", aspect="auto", interpolation="bilinear")
            self.paths[name], = bottom.plot([], [], color="white", marker=".", ms=3, lw=1)
            self.centres[name], = bottom.plot([0], [0], marker="*", color="red", ms=10, ls="")
            bottom.set_title(f"{name}: 2-D slice, optimizer path (white)", fontsize=9)
            bottom.set_xlabel("a")
            bottom.set_ylabel("b")
        self.axes = axes
        self.figure.tight_layout()

    def _on_setting(self, attribute, retrain, change):
        setattr(self.state, attribute, change["new"])
        self.refresh(retrain=retrain)

    def refresh(self, retrain=False):
        # A path cut short by a missing stub is retried: the student may have implemented it since.
        if retrain or self.state.path is None or self.state.notices:
            self.state.train()
        self.result = self.state.slices()
        span = self.state.span
        for column, name in enumerate(LANDSCAPE_LOSSES):
            values = self.result[name]
            top, bottom = self.axes[0, column], self.axes[1, column]
            if values is None:
                self.lines[name].set_data([], [])
                self.images[name].set_data(np.full((2, 2), np.nan))
                self.paths[name].set_data([], [])
                continue
            self.lines[name].set_data(self.result["alphas"], values["line"])
            top.set_xlim(-span, span)
            low, high = values["line"].min(), values["line"].max()
            top.set_ylim(low - 0.05 * (high - low) - 1e-6, high + 0.05 * (high - low) + 1e-6)
            self.images[name].set_data(values["surface"])
            self.images[name].set_extent((-span, span, -span, span))
            # The colours span the lower 90% of the values, so that a steep corner does not flatten the rest.
            low, high = values["surface"].min(), np.quantile(values["surface"], 0.9)
            self.images[name].set_clim(low, max(high, low + 1e-9))
            path = self.result["path"]
            self.paths[name].set_data(path[:, 0], path[:, 1])
            bottom.set_xlim(-span, span)
            bottom.set_ylim(-span, span)
        centre = {name: number(None if self.result[name] is None else self.result[name]["centre"])
                  for name in LANDSCAPE_LOSSES}
        X, _ = self.state.batch()
        self.readout.value = (
            f"<div>loss at the centre W (λ = {self.state.reg:.3g}, {X.shape[0]} example(s)): "
            f"SVM <b class='lx-svm-centre'>{centre['SVM']}</b>, softmax <b class='lx-softmax-centre'>"
            f"{centre['Softmax']}</b>. The plane holds <b>{100 * self.result['coverage']:.1f}%</b> of the "
            f"path's movement ({len(self.state.path) - 1} steps); the path outside the plane is drawn "
            f"at its nearest point in the plane.</div>")
        self.show_notices(self.state.notices)
        request_redraw(self.figure)


class StepSizeLab(Panel):
    """Gradient descent on f(x, y) = (x + 2y - 7)^2 + (2x + y - 5)^2 with a learning-rate slider."""

    title = "Step size: gradient descent on f(x, y) = (x + 2y - 7)² + (2x + y - 5)²"

    def __init__(self, state=None):
        super().__init__()
        self.state = state or StepSizeState()
        self.figure, canvas = new_figure(9.0, 3.6)
        self._create_artists()
        self.rate_slider = slider(widgets.FloatSlider, "learning rate", self.state.learning_rate, min=0.001,
                                  max=0.15, step=0.001, readout_format=".3f")
        self.rate_slider.add_class("lx-rate-slider")
        self.steps_slider = slider(widgets.IntSlider, "steps", self.state.steps, min=1, max=200)
        self.rate_buttons = widgets.ToggleButtons(options=[f"{rate:.2f}" for rate in LECTURE_RATES], value=None,
                                                  description="lecture's rates", style={"button_width": "60px"})
        self.start_x = widgets.FloatText(value=float(self.state.start[0]), description="start x",
                                         layout=widgets.Layout(width="160px"))
        self.start_y = widgets.FloatText(value=float(self.state.start[1]), description="start y",
                                         layout=widgets.Layout(width="160px"))
        self.readout = widgets.HTML()
        self.readout.add_class("lx-readout")
        for control in (self.rate_slider, self.steps_slider, self.start_x, self.start_y):
            _observe(control, self.guard(self._on_change))
        _observe(self.rate_buttons, self.guard(self._on_rate_button))
        self.widget = widgets.VBox([
            self.header(), canvas,
            widgets.HBox([self.rate_slider, self.steps_slider]),
            widgets.HBox([self.rate_buttons, self.start_x, self.start_y]),
            self.readout, self.status])
        self.refresh()

    def _create_artists(self):
        self.figure.clear()
        self.ax_path, self.ax_values = self.figure.subplots(1, 2)
        xs = np.linspace(-6, 8, 200)
        ys = np.linspace(-4, 10, 200)
        grid = np.stack(np.meshgrid(xs, ys), axis=-1)
        self.ax_path.contour(xs, ys, lecture_objective(grid), levels=np.geomspace(0.1, 800, 14),
                             colors="0.55", linewidths=0.7)
        minimum = lecture_minimum()
        self.ax_path.plot(*minimum, marker="*", color="green", ms=12, ls="")
        self.path_line, = self.ax_path.plot([], [], marker="o", ms=3, color="C3", lw=1)
        self.ax_path.set_xlim(-6, 8)
        self.ax_path.set_ylim(-4, 10)
        self.ax_path.set_aspect("equal")
        self.ax_path.set_title("path of gradient descent", fontsize=9)
        self.value_line, = self.ax_values.semilogy([], [], color="C3")
        # Fixed limits keep the ticks (costly to draw) unchanged; the readout gives the exact values.
        self.ax_values.set_ylim(1e-10, 1e10)
        self.ax_values.set_xlabel("step")
        self.ax_values.set_ylabel("f(x, y)")
        self.ax_values.set_title("f along the path (log scale, clipped to 1e-10..1e10)", fontsize=9)
        self.figure.tight_layout()
        self.updater = FigureUpdater(self.figure, [self.path_line, self.value_line])

    def _on_rate_button(self, change):
        if change["new"] is not None:
            self.rate_slider.value = float(change["new"])

    def _on_change(self, change):
        self.state.learning_rate = self.rate_slider.value
        self.state.steps = self.steps_slider.value
        self.state.start = np.array([self.start_x.value, self.start_y.value])
        chosen = self.rate_buttons.value
        if chosen is not None and abs(float(chosen) - self.state.learning_rate) > 1e-12:
            self._syncing = True
            self.rate_buttons.value = None
            self._syncing = False
        self.refresh()

    def refresh(self):
        try:
            path, values, verdict = self.state.run()
        except StubMissing as stub:
            self.path_line.set_data([], [])
            self.value_line.set_data([], [])
            self.readout.value = "<div class='lx-verdict'>—</div>"
            notices = Notices()
            notices.add(stub, "gradient descent (each step calls it)")
            self.show_notices(notices)
            self.updater.update()
            return
        self.path, self.values, self.verdict = path, values, verdict
        self.path_line.set_data(path[:, 0], path[:, 1])
        shown = np.where(np.isfinite(values), np.maximum(values, 1e-300), np.nan)
        self.value_line.set_data(np.arange(len(values)), shown)
        steps_changed = self.ax_values.get_xlim() != (0, self.state.steps)
        if steps_changed:
            self.ax_values.set_xlim(0, self.state.steps)
        largest = lecture_curvatures()[-1]
        x, y = path[-1]
        self.readout.value = (
            f"<div>after {len(path) - 1} steps with learning rate {self.state.learning_rate:.3f}: "
            f"(x, y) = ({number(x, 5)}, {number(y, 5)}), f = <b class='lx-f'>{number(values[-1], 5)}</b>; "
            f"gradient descent <b class='lx-verdict'>{verdict}</b>.</div>"
            f"<div><small>f's curvatures (Hessian eigenvalues) are {lecture_curvatures()[0]:.0f} and "
            f"{largest:.0f}: steps are stable while lr × {largest:.0f} &lt; 2, i.e. lr &lt; {2 / largest:.4f}; "
            f"here lr × {largest:.0f} = {self.state.learning_rate * largest:.3f}.</small></div>")
        self.show_notices([])
        self.updater.update(full=steps_changed)


class MomentumLab(Panel):
    """Heavy-ball momentum on a quadratic: converges along a direction of curvature λ iff 0 < α λ < 2 + 2 β."""

    title = "Momentum on a quadratic f = (λ₁ x² + λ₂ y²) / 2"

    def __init__(self, state=None):
        super().__init__()
        self.state = state or MomentumState()
        self.figure, canvas = new_figure(9.0, 3.6)
        self._create_artists()
        s = self.state
        self.rate_slider = slider(widgets.FloatSlider, "α (learning rate)", s.learning_rate, min=0.005, max=0.6,
                                  step=0.005, readout_format=".3f")
        self.momentum_slider = slider(widgets.FloatSlider, "β (momentum)", s.momentum, min=0.0, max=0.99, step=0.01)
        self.curvature_slider = slider(widgets.FloatSlider, "λ₂ (steep curvature)", float(s.curvatures[1]),
                                       min=1.0, max=30.0, step=0.5)
        self.steps_slider = slider(widgets.IntSlider, "steps", s.steps, min=1, max=200)
        self.readout = widgets.HTML()
        self.readout.add_class("lx-readout")
        for control in (self.rate_slider, self.momentum_slider, self.curvature_slider, self.steps_slider):
            _observe(control, self.guard(self._on_change))
        self.widget = widgets.VBox([
            self.header(), canvas,
            widgets.HBox([widgets.VBox([self.rate_slider, self.momentum_slider]),
                          widgets.VBox([self.curvature_slider, self.steps_slider])]),
            self.readout, self.status])
        self.refresh()

    def _create_artists(self):
        self.figure.clear()
        self.ax_path, self.ax_region = self.figure.subplots(1, 2)
        self.ax_path.set_xlim(-5, 5)
        self.ax_path.set_ylim(-3, 3)
        self.ax_path.set_title("path (start at the black dot)", fontsize=9)
        self.contours = None
        self.path_line, = self.ax_path.plot([], [], marker=".", ms=3, color="C3", lw=1)
        self.ax_path.plot(*self.state.start, marker="o", color="k", ls="")
        betas = np.linspace(0, 0.99, 50)
        self.ax_region.add_patch(Polygon(np.column_stack([np.r_[0, momentum_bound(betas), 0],
                                                          np.r_[0, betas, 0.99]]),
                                         closed=True, color="#c9ecc9"))
        self.markers, = self.ax_region.plot([], [], marker="o", ls="", color="C3")
        self.ax_region.set_xlim(0, 4.5)
        self.ax_region.set_ylim(0, 1)
        self.ax_region.set_xlabel("α λ")
        self.ax_region.set_ylabel("β")
        self.ax_region.set_title("green: 0 < αλ < 2 + 2β, where momentum converges\n"
                                 "dots: α λ₁ and α λ₂ at the chosen β", fontsize=9)
        self.figure.tight_layout()
        self.updater = FigureUpdater(self.figure, [self.path_line, self.markers])

    def _on_change(self, change):
        s = self.state
        s.learning_rate = self.rate_slider.value
        s.momentum = self.momentum_slider.value
        s.steps = self.steps_slider.value
        contours_changed = s.curvatures[1] != self.curvature_slider.value
        if contours_changed:
            s.curvatures = np.array([s.curvatures[0], self.curvature_slider.value])
            self._redraw_contours()
        self.refresh(full=contours_changed)

    def _redraw_contours(self):
        # Contours cannot be updated in place; they change only with λ₂, not with α or β.
        if self.contours is not None:
            self.contours.remove()
        xs = np.linspace(-5, 5, 120)
        ys = np.linspace(-3, 3, 80)
        grid = np.stack(np.meshgrid(xs, ys), axis=-1)
        self.contours = self.ax_path.contour(xs, ys, self.state.objective(grid), levels=12, colors="0.55",
                                             linewidths=0.7)

    def refresh(self, full=False):
        if self.contours is None:
            self._redraw_contours()
            full = True
        conditions = self.state.conditions()
        self.markers.set_data([c[0] for c in conditions], [self.state.momentum] * 2)
        try:
            path, verdicts = self.state.run()
        except StubMissing as stub:
            self.path_line.set_data([], [])
            notices = Notices()
            notices.add(stub, "the path of momentum")
            self.show_notices(notices)
            verdicts = [None, None]
        else:
            self.path_line.set_data(path[:, 0], path[:, 1])
            self.show_notices([])
        rows = "".join(
            f"<tr><td>{axis}</td><td>{lam:g}</td><td>{step:.3f}</td><td>{bound:.2f}</td>"
            f"<td class='lx-condition-{k}'>{'yes' if holds else 'no'}</td><td>{rate:.3f}</td>"
            f"<td class='lx-simulated-{k}'>{verdict or '—'}</td></tr>"
            for k, (axis, lam, (step, bound, holds, rate), verdict) in enumerate(
                zip(("x", "y"), self.state.curvatures, conditions, verdicts)))
        self.readout.value = (
            "<table style='font-size:90%'><tr><th>axis</th><th>λ</th><th>α λ</th><th>2 + 2β</th>"
            "<th>0 &lt; αλ &lt; 2 + 2β</th><th>factor per step</th><th>simulated</th></tr>"
            f"{rows}</table>")
        self.updater.update(full=full)


class BatchSizeLab(Panel):
    """Minibatch SGD on least squares: the batch size sets how noisy the path is."""

    title = "Batch size: minibatch SGD on a 2-parameter least-squares loss"
    BATCH_SIZES = (1, 2, 4, 8, 16, 32, 64, 128, 256)

    def __init__(self, state=None):
        super().__init__()
        self.state = state or BatchSizeState()
        self.figure, canvas = new_figure(9.0, 3.6)
        self._create_artists()
        s = self.state
        self.batch_slider = widgets.SelectionSlider(options=self.BATCH_SIZES, value=s.batch_size,
                                                    description="batch size", continuous_update=False)
        self.rate_slider = slider(widgets.FloatSlider, "learning rate", s.learning_rate, min=0.005, max=0.3,
                                  step=0.005, readout_format=".3f")
        self.steps_slider = slider(widgets.IntSlider, "steps", s.steps, min=1, max=300)
        self.resample_button = widgets.Button(description="Resample batches")
        self.readout = widgets.HTML()
        self.readout.add_class("lx-readout")
        for control in (self.batch_slider, self.rate_slider, self.steps_slider):
            _observe(control, self.guard(self._on_change))
        self.resample_button.on_click(self.guard(self._on_resample))
        self.widget = widgets.VBox([
            self.header(), canvas,
            widgets.HBox([self.batch_slider, self.rate_slider]),
            widgets.HBox([self.steps_slider, self.resample_button]),
            self.readout, self.status])
        self.refresh()

    def _create_artists(self):
        self.figure.clear()
        self.ax_path, self.ax_values = self.figure.subplots(1, 2)
        minimum = self.state.minimum()
        xs = np.linspace(-3, 3, 120)
        ys = np.linspace(-3, 4, 120)
        grid = np.stack(np.meshgrid(xs, ys), axis=-1)
        self.ax_path.contour(xs, ys, self.state.loss(grid), levels=14, colors="0.55", linewidths=0.7)
        self.ax_path.plot(*minimum, marker="*", color="green", ms=12, ls="")
        self.full_line, = self.ax_path.plot([], [], color="grey", lw=1.5)
        self.path_line, = self.ax_path.plot([], [], marker=".", ms=3, color="C3", lw=1)
        self.ax_path.set_title("paths: minibatch (red), full batch (grey)", fontsize=9)
        self.full_values, = self.ax_values.plot([], [], color="grey")
        self.values_line, = self.ax_values.plot([], [], color="C3")
        self.ax_values.axhline(self.state.loss(minimum), color="green", ls=":", lw=1)
        self.ax_values.set_ylim(0, 1.05 * self.state.loss(self.state.start))
        self.ax_values.set_xlabel("step")
        self.ax_values.set_ylabel("full-data loss")
        self.ax_values.set_title("loss along the paths; minimum dotted", fontsize=9)
        self.figure.tight_layout()
        self.updater = FigureUpdater(self.figure, [self.full_line, self.path_line, self.full_values,
                                                   self.values_line])

    def _on_change(self, change):
        self.state.batch_size = self.batch_slider.value
        self.state.learning_rate = self.rate_slider.value
        self.state.steps = self.steps_slider.value
        self.refresh()

    def _on_resample(self, button):
        self.state.seed += 1
        self.refresh()

    def refresh(self):
        s = self.state
        try:
            path = s.run()
            full = s.run(batch_size=len(s.t))
        except StubMissing as stub:
            for line in (self.path_line, self.full_line, self.values_line, self.full_values):
                line.set_data([], [])
            notices = Notices()
            notices.add(stub, "the SGD paths")
            self.show_notices(notices)
            self.updater.update()
            return
        self.path, self.full_path = path, full
        self.path_line.set_data(path[:, 0], path[:, 1])
        self.full_line.set_data(full[:, 0], full[:, 1])
        values, full_values = s.loss(path), s.loss(full)
        self.values_line.set_data(np.arange(len(values)), values)
        self.full_values.set_data(np.arange(len(full_values)), full_values)
        steps_changed = self.ax_values.get_xlim() != (0, s.steps)
        if steps_changed:
            self.ax_values.set_xlim(0, s.steps)
        noise = s.gradient_noise(s.batch_size)
        self.readout.value = (
            f"<div>batch {s.batch_size} of {len(s.t)}: minibatch gradients at the start differ from the full "
            f"gradient by <b class='lx-noise'>{number(noise, 3)}</b> (root mean square; about 1/√batch). "
            f"Final loss <b class='lx-final'>{number(values[-1], 4)}</b> vs full batch {number(full_values[-1], 4)} "
            f"and minimum {number(s.loss(s.minimum()), 4)}.</div>")
        self.show_notices([])
        self.updater.update(full=steps_changed)


class ScoresComparison(Panel):
    """Edit three score vectors (class 0 correct) and see which of the SVM and softmax losses change."""

    title = "SVM vs softmax: which loss notices a change of scores?"

    def __init__(self, state=None):
        super().__init__()
        self.state = state or ScoresState()
        self.figure, canvas = new_figure(6.0, 2.8)
        self._create_artists()
        self.score_boxes = [[widgets.FloatText(value=float(self.state.scores[i, j]),
                                               layout=widgets.Layout(width="80px"))
                             for j in range(3)] for i in range(3)]
        grid = [widgets.HTML("")] + [widgets.HTML(f"<b>s{j}</b>{' (correct)' if j == 0 else ''}") for j in range(3)]
        for i, row in enumerate(self.score_boxes):
            grid += [widgets.HTML(f"example {i + 1}")] + row
            for j, box in enumerate(row):
                _observe(box, self.guard(functools.partial(self._on_score, i, j)))
        self.reset_button = widgets.Button(description="Lecture's scores")
        self.reset_button.on_click(self.guard(self._on_reset))
        self.readout = widgets.HTML()
        self.readout.add_class("lx-readout")
        self.widget = widgets.VBox([
            self.header(),
            widgets.HBox([widgets.VBox([widgets.GridBox(grid, layout=widgets.Layout(
                grid_template_columns="80px 90px 90px 90px")), self.reset_button]), canvas]),
            self.readout, self.status])
        self.losses = None
        self.refresh()

    def _create_artists(self):
        self.figure.clear()
        self.ax = self.figure.subplots()
        positions = np.arange(3)
        self.bars = {"SVM": self.ax.bar(positions - 0.2, np.zeros(3), width=0.4, label="SVM", color="C0"),
                     "Softmax": self.ax.bar(positions + 0.2, np.zeros(3), width=0.4, label="softmax", color="C1")}
        self.ax.set_xticks(positions, [f"example {i + 1}" for i in positions])
        self.ax.set_ylabel("L_i")
        self.ax.legend(fontsize=8)
        self.figure.tight_layout()

    def _on_score(self, example, klass, change):
        self.state.set_score(example, klass, change["new"])
        self.refresh()

    def _on_reset(self, button):
        self.state.reset()
        self._syncing = True
        try:
            for i, row in enumerate(self.score_boxes):
                for j, box in enumerate(row):
                    box.value = float(self.state.scores[i, j])
        finally:
            self._syncing = False
        self.refresh()

    def refresh(self):
        losses_now, notices = self.state.losses()
        previous, self.losses = self.losses, losses_now
        top = 0.0
        for name, bars in self.bars.items():
            values = losses_now[name] if losses_now[name] is not None else np.zeros(3)
            for bar, value in zip(bars, values):
                bar.set_height(value)
            top = max(top, float(np.max(values)))
        self.ax.set_ylim(0, max(1.0, 1.1 * top))
        rows = []
        for i in range(3):
            cells = []
            for name in LANDSCAPE_LOSSES:
                now = None if losses_now[name] is None else losses_now[name][i]
                before = None if previous is None or previous[name] is None else previous[name][i]
                changed = now is not None and before is not None and not np.isclose(now, before, rtol=1e-9, atol=1e-12)
                mark = f" <b style='color:#c00'>changed (was {number(before, 4)})</b>" if changed else ""
                cells.append(f"<td class='lx-{name.lower()}-{i}'>{number(now, 4)}</td><td>{mark}</td>")
            scores = ", ".join(f"{s:g}" for s in self.state.scores[i])
            rows.append(f"<tr><td>[{scores}]</td>{''.join(cells)}</tr>")
        self.readout.value = ("<table><tr><th>scores</th><th>SVM L_i</th><th></th><th>softmax L_i</th><th></th></tr>"
                              f"{''.join(rows)}</table>")
        self.show_notices(notices)
        request_redraw(self.figure)
