"""Loss landscapes: 1-D and 2-D slices of the SVM and softmax losses on the digits, with the optimizer's path.

The lecture's trick for drawing a loss of 650 weights: evaluate it along one
direction, ``L(W + a W1)``, or over a plane, ``L(W + a W1 + b W2)``, around
weights trained with the student's loss and ``optim.sgd_momentum``.
"""

import functools

import ipywidgets as widgets
import numpy as np
from matplotlib.ticker import MaxNLocator

from .figures import new_figure
from .given import get_digits_data
from .panel import Panel, number, observe, readout, slider
from .student import VECTORIZED_LOSSES, Notices, StudentCodeFailed, call_student


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
                _, dW = call_student(VECTORIZED_LOSSES[self.train_loss], W, X, y, self.reg)
                W, config = call_student("optim.sgd_momentum", W.copy(), np.asarray(dW, dtype=float), config)
                path.append(np.array(W, dtype=float))
        except StudentCodeFailed as problem:
            self.notices.add(problem, "the optimizer's path (the slices are centred on the initial weights)")
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
            loss name in VECTORIZED_LOSSES a dict ``{"line": (n1,), "surface": (n2, n2), "centre": float}``
            or None when the student's loss is a stub or raises.
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
        for name, function in VECTORIZED_LOSSES.items():
            def loss_at(W):
                return float(call_student(function, W, X, y, self.reg)[0])
            try:
                line = np.array([loss_at(centre + a * d1) for a in alphas])
                surface = np.array([[loss_at(centre + a * d1 + b * d2) for a in grid] for b in grid])
                result[name] = {"line": line, "surface": surface, "centre": loss_at(centre)}
            except StudentCodeFailed as problem:
                self.notices.add(problem, f"the {name} landscape")
                result[name] = None
        return result


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
        self.train_choice = widgets.Dropdown(options=list(VECTORIZED_LOSSES), value=s.train_loss,
                                             description="train with")
        self.rate_slider = slider(widgets.FloatLogSlider, "learning rate", s.learning_rate, base=10, min=-3, max=1,
                                  step=0.1, readout_format=".3g")
        self.momentum_slider = slider(widgets.FloatSlider, "momentum", s.momentum, min=0.0, max=0.99, step=0.01)
        self.steps_slider = slider(widgets.IntSlider, "steps", s.steps, min=0, max=500)
        self.reg_slider = slider(widgets.FloatLogSlider, "λ", s.reg, base=10, min=-5, max=0, step=0.1,
                                 readout_format=".3g")
        self.direction_choice = widgets.Dropdown(options=DIRECTIONS, value=s.directions, description="directions")
        self.span_slider = slider(widgets.FloatSlider, "span of a, b", s.span, min=0.05, max=3.0, step=0.05)
        self.span_slider.add_class("lx-span")
        self.seed_box = widgets.IntText(value=s.seed, description="seed", layout=widgets.Layout(width="150px"))
        self.readout = readout()
        training = {self.subset_choice: "subset", self.train_choice: "train_loss", self.rate_slider: "learning_rate",
                    self.momentum_slider: "momentum", self.steps_slider: "steps", self.reg_slider: "reg",
                    self.seed_box: "seed"}
        for control, attribute in training.items():
            observe(control, self.guard(functools.partial(self._on_setting, attribute, True)))
        for control, attribute in {self.direction_choice: "directions", self.span_slider: "span"}.items():
            observe(control, self.guard(functools.partial(self._on_setting, attribute, False)))
        self.build(canvas,
                   widgets.HBox([widgets.VBox([self.subset_choice, self.train_choice, self.rate_slider,
                                               self.momentum_slider, self.steps_slider]),
                                 widgets.VBox([self.reg_slider, self.direction_choice, self.span_slider,
                                               self.seed_box])]),
                   self.readout)

    def _create_artists(self):
        self.figure.clear()
        axes = self.figure.subplots(2, 2)
        self.lines, self.images, self.paths, self.centres = {}, {}, {}, {}
        for column, name in enumerate(VECTORIZED_LOSSES):
            top, bottom = axes[0, column], axes[1, column]
            self.lines[name], = top.plot([], [], color="C0" if name == "SVM" else "C1")
            top.axvline(0.0, color="grey", lw=0.8, ls=":")
            top.set_title(f"{name}: 1-D slice L(W + a W1)", fontsize=9)
            top.set_xlabel("a")
            self.images[name] = bottom.imshow(np.zeros((2, 2)), origin="lower", extent=(-1, 1, -1, 1),
                                              cmap="viridis", aspect="auto", interpolation="bilinear")
            # The colours stop at the 90% quantile (see refresh): the bar's arrow marks the clipped values.
            self.figure.colorbar(self.images[name], ax=bottom, extend="max", label="loss")
            for panel_axes in (top, bottom):
                panel_axes.xaxis.set_major_locator(MaxNLocator(5))
                panel_axes.yaxis.set_major_locator(MaxNLocator(5))
            self.paths[name], = bottom.plot([], [], color="white", marker=".", ms=3, lw=1)
            self.centres[name], = bottom.plot([0], [0], marker="*", color="red", ms=10, ls="")
            bottom.set_title(f"{name}: 2-D slice, optimizer path (white)", fontsize=9)
            bottom.set_xlabel("a")
            bottom.set_ylabel("b")
        self.axes = axes
        self.figure.tight_layout()
        self.updater = self.figure_updater()

    def _on_setting(self, attribute, retrain, change):
        setattr(self.state, attribute, change["new"])
        self.refresh(retrain=retrain)

    def refresh(self, retrain=False):
        """Retrain if asked (or if the last path was cut short), then redraw the slices and the readout."""
        # A path cut short by a missing stub is retried: the student may have implemented it since.
        if retrain or self.state.path is None or self.state.notices:
            self.state.train()
        self.result = self.state.slices()
        span = self.state.span
        for column, name in enumerate(VECTORIZED_LOSSES):
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
                  for name in VECTORIZED_LOSSES}
        X, _ = self.state.batch()
        self.readout.value = (
            f"<div>loss at the centre W (λ = {self.state.reg:.3g}, {X.shape[0]} example(s)): "
            f"SVM <b class='lx-svm-centre'>{centre['SVM']}</b>, softmax <b class='lx-softmax-centre'>"
            f"{centre['Softmax']}</b>. The plane holds <b>{100 * self.result['coverage']:.1f}%</b> of the "
            f"path's movement ({len(self.state.path) - 1} steps); the path outside the plane is drawn "
            f"at its nearest point in the plane.</div>")
        self.show_notices(self.state.notices)
        self.updater.update(full=True)
