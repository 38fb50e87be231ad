"""Step size: gradient descent with the student's ``optim.sgd`` on the lecture's f(x, y).

f(x, y) = (x + 2y - 7)^2 + (2x + y - 5)^2 has its minimum f = 0 at (1, 3); the
lecture's four learning rates fall short, converge, oscillate and diverge.
"""

import ipywidgets as widgets
import numpy as np

from .figures import new_figure
from .panel import Panel, number, observe, readout, slider
from .student import Notices, StudentCodeFailed, gradient_descent


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
        self.readout = readout()
        for control in (self.rate_slider, self.steps_slider, self.start_x, self.start_y):
            observe(control, self.guard(self._on_change))
        observe(self.rate_buttons, self.guard(self._on_rate_button))
        self.build(canvas,
                   widgets.HBox([self.rate_slider, self.steps_slider]),
                   widgets.HBox([self.rate_buttons, self.start_x, self.start_y]),
                   self.readout)

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
        self.updater = self.figure_updater([self.path_line, self.value_line])

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
        """Rerun gradient descent and redraw its path, f along it and the verdict."""
        try:
            path, values, verdict = self.state.run()
        except StudentCodeFailed as problem:
            self.path_line.set_data([], [])
            self.value_line.set_data([], [])
            self.readout.value = "<div class='lx-verdict'>—</div>"
            notices = Notices()
            notices.add(problem, "gradient descent (each step calls it)")
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
