"""The linear classifier playground: points in the plane, W and b, four losses, regularization and SGD.

In the spirit of Stanford CS231n's web demo of linear classification: move the weights, pick a loss and a
penalty, and watch the decision regions, each point's loss, the gradient check and the optimizer's steps.
"""

import functools

import ipywidgets as widgets
import numpy as np
from matplotlib.colors import ListedColormap

from .figures import new_figure, nice_ceiling
from .given import check_labels
from .panel import Panel, number, observe, readout, slider
from .plane import (
    CLASS_COLORS, DEFAULT_B, DEFAULT_W, DEFAULT_X, DEFAULT_Y, GIVEN_LOSSES, MAX_POINTS, NUM_CLASSES, OPTIMIZERS,
    PENALTIES, PLAYGROUND_LOSSES, PRESETS, REGION_COLORS, SCHEDULES, WESTON_WATKINS, Evaluation, data_loss,
    format_points, line_in_square, make_blobs, parse_points, penalty, playground_scores,
)
from .student import StudentCodeFailed, agreement_html, call_student, relative_errors


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
        except StudentCodeFailed as problem:
            given = " and ".join(GIVEN_LOSSES)
            result.notices.add(problem, f"the {self.loss} loss (the {given} losses are given and work already)")
            return result
        try:
            (result.total, _, result.reg_loss, result.dW, result.db) = self.objective(self.W, self.b)
        except StudentCodeFailed as problem:
            result.notices.add(problem, f"the {self.penalty} regularization loss, the total loss and the gradients")
            return result
        if numeric:
            theta = self.parameters()
            try:
                numerical = np.asarray(call_student(
                    "gradients.eval_numerical_gradient", self._total_at, theta), dtype=float)
            except StudentCodeFailed as problem:
                result.notices.add(problem, "the numerical gradient")
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

        Nothing changes if a needed function is missing or raises (StudentCodeFailed propagates).
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
        self.evaluation = Evaluation(playground_scores(self.state.W, self.state.b, self.state.X))
        self._create_artists()
        self._create_parameter_grid()
        self._create_loss_controls()
        self._create_optimizer_controls()
        self._create_data_controls()
        self._connect()
        self.readout = readout()
        self.table = widgets.HTML()
        self.build(canvas, widgets.HBox([self.parameter_grid, self.loss_controls]), self.optimizer_controls,
                   widgets.HBox([self.step_button, self.play, self.play_help, self.randomize_button,
                                 self.clear_button], layout=widgets.Layout(align_items="center")),
                   self.status, self.readout, self.table, self.data_box)

    def start(self):
        """The first refresh also fills the points' text box."""
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
        self.updater = self.figure_updater([self.regions, *self.zero_lines, self.arrows, self.points,
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

    def _create_parameter_grid(self):
        """Each parameter's box beside its analytic and numerical gradient and their relative error."""
        self.parameter_boxes = []
        rows = [widgets.HTML("<b>param</b>"), widgets.HTML("<b>value</b>"), widgets.HTML("<b>analytic dL</b>"),
                widgets.HTML("<b>numeric dL</b>"), widgets.HTML("<b>rel. error</b>")]
        self.gradient_cells = []
        names = [f"W[{c},{k}]" for c in range(NUM_CLASSES) for k in range(2)] + [f"b[{c}]" for c in range(NUM_CLASSES)]
        for index, name in enumerate(names):
            box = widgets.FloatText(step=0.1, layout=widgets.Layout(width="112px"))
            box.add_class(f"lx-param-{index}")
            self.parameter_boxes.append(box)
            cells = [widgets.HTML(layout=widgets.Layout(width="90px")) for _ in range(3)]
            self.gradient_cells.append(cells)
            color = CLASS_COLORS[index // 2 if index < 6 else index - 6]
            rows += [widgets.HTML(f"<span style='color:{color}'>{name}</span>"), box] + cells
        self.parameter_grid = widgets.GridBox(
            rows, layout=widgets.Layout(grid_template_columns="50px 118px 95px 95px 90px", width="470px"))

    def _create_loss_controls(self):
        state = self.state
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

    def _create_optimizer_controls(self):
        state = self.state
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
        self.play_help = widgets.HTML("<small>▶ repeats the update, ■ stops</small>")  # (no pause button)
        self.randomize_button = widgets.Button(description="Randomize W, b")
        self.clear_button = widgets.Button(description="Restart loss curve")

    def _create_data_controls(self):
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
            observe(box, guard(self._on_parameter))
        observe(self.preset, guard(self._on_preset))
        settings = {self.loss_choice: "loss", self.penalty_choice: "penalty", self.reg_slider: "reg",
                    self.beta_slider: "beta"}
        for control, attribute in settings.items():
            observe(control, guard(functools.partial(self._on_objective_setting, attribute)))
        settings = {self.rate_slider: "learning_rate", self.momentum_slider: "momentum",
                    self.batch_slider: "batch_size", self.schedule_choice: "schedule",
                    self.decay_slider: "decay_rate", self.every_slider: "decay_every", self.horizon_slider: "horizon"}
        for control, attribute in settings.items():
            observe(control, guard(functools.partial(self._on_optimizer_setting, attribute)))
        observe(self.optimizer_choice, guard(self._on_optimizer))
        observe(self.numeric_check, guard(lambda change: self.refresh()))
        observe(self.play, guard(self._on_play))
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
        """One update; a missing stub or an error stops the repeated updates and says which one."""
        try:
            self.state.step()
        except StudentCodeFailed as problem:
            self.play.playing = False
            self.refresh()
            self.evaluation.notices.add(problem, "an update of W and b")
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
            cells[2].value = "" if error is None else agreement_html(numeric, analytic, error)
        rate = None
        try:
            rate = state.learning_rate_at(state.iteration)
        except StudentCodeFailed as problem:
            result.notices.add(problem, f"the {state.schedule} learning rate")
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
