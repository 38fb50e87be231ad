"""Batch size: minibatch SGD (the student's ``optim.sgd``) on a least-squares loss with two parameters."""

import ipywidgets as widgets
import numpy as np

from .figures import new_figure
from .panel import Panel, number, observe, readout, slider
from .student import Notices, StudentCodeFailed, gradient_descent


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
        self.readout = readout()
        for control in (self.batch_slider, self.rate_slider, self.steps_slider):
            observe(control, self.guard(self._on_change))
        self.resample_button.on_click(self.guard(self._on_resample))
        self.build(canvas,
                   widgets.HBox([self.batch_slider, self.rate_slider]),
                   widgets.HBox([self.steps_slider, self.resample_button]),
                   self.readout)

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
        self.updater = self.figure_updater([self.full_line, self.path_line, self.full_values, self.values_line])

    def _on_change(self, change):
        self.state.batch_size = self.batch_slider.value
        self.state.learning_rate = self.rate_slider.value
        self.state.steps = self.steps_slider.value
        self.refresh()

    def _on_resample(self, button):
        self.state.seed += 1
        self.refresh()

    def refresh(self):
        """Rerun minibatch and full-batch SGD and redraw both paths, their losses and the readout."""
        s = self.state
        try:
            path = s.run()
            full = s.run(batch_size=len(s.t))
        except StudentCodeFailed as problem:
            for line in (self.path_line, self.full_line, self.values_line, self.full_values):
                line.set_data([], [])
            notices = Notices()
            notices.add(problem, "the SGD paths")
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
