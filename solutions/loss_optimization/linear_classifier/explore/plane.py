"""The playground's problem: points of three classes in the plane, their four losses, the penalties, and
what the playground shows of one setting of the parameters (:class:`Evaluation`).

Scores have a bias, ``s = W x + b`` with ``W`` of shape (3, 2) and ``b`` of
shape (3,), as in Stanford CS231n's web demo of linear classification. The
Weston-Watkins SVM and softmax losses run the student's vectorized functions
through the bias trick; the one-vs-all and structured SVM losses are given here.
"""

import math

import numpy as np

from .student import VECTORIZED_LOSSES, Notices, call_student

NUM_CLASSES = 3
WESTON_WATKINS = "Weston-Watkins SVM"
ONE_VS_ALL = "One-vs-all SVM"
STRUCTURED = "Structured SVM"
SOFTMAX = "Softmax"
PLAYGROUND_LOSSES = (WESTON_WATKINS, ONE_VS_ALL, STRUCTURED, SOFTMAX)
#: The losses computed by the student's vectorized functions (through the bias trick).
STUDENT_LOSSES = {WESTON_WATKINS: VECTORIZED_LOSSES["SVM"], SOFTMAX: VECTORIZED_LOSSES["Softmax"]}
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
    StudentCodeFailed
        When the student's loss is still a stub or raises.
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
