"""Momentum: the student's ``optim.sgd_momentum`` on a quadratic with a shallow and a steep direction."""

import ipywidgets as widgets
import numpy as np
from matplotlib.patches import Polygon

from .figures import new_figure
from .panel import Panel, observe, readout, slider
from .student import Notices, StudentCodeFailed, gradient_descent


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


class MomentumLab(Panel):
    """Heavy-ball momentum on a quadratic: converges along a direction of curvature λ iff 0 < α λ < 2 + 2 ρ."""

    title = "Momentum on a quadratic f = (λ₁ x² + λ₂ y²) / 2"

    def __init__(self, state=None):
        super().__init__()
        self.state = state or MomentumState()
        self.figure, canvas = new_figure(9.0, 3.6)
        self._create_artists()
        s = self.state
        self.rate_slider = slider(widgets.FloatSlider, "α (learning rate)", s.learning_rate, min=0.005, max=0.6,
                                  step=0.005, readout_format=".3f")
        self.momentum_slider = slider(widgets.FloatSlider, "ρ (momentum)", s.momentum, min=0.0, max=0.99, step=0.01)
        self.curvature_slider = slider(widgets.FloatSlider, "λ₂ (steep curvature)", float(s.curvatures[1]),
                                       min=1.0, max=30.0, step=0.5)
        self.steps_slider = slider(widgets.IntSlider, "steps", s.steps, min=1, max=200)
        self.readout = readout()
        for control in (self.rate_slider, self.momentum_slider, self.curvature_slider, self.steps_slider):
            observe(control, self.guard(self._on_change))
        self.build(canvas,
                   widgets.HBox([widgets.VBox([self.rate_slider, self.momentum_slider]),
                                 widgets.VBox([self.curvature_slider, self.steps_slider])]),
                   self.readout)

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
        self.ax_region.set_ylabel("ρ")
        self.ax_region.set_title("green: the (α λ, ρ) where momentum converges\n"
                                 "dots: α λ₁ and α λ₂ at the chosen ρ", fontsize=9)
        self.figure.tight_layout()
        self.updater = self.figure_updater([self.path_line, self.markers])

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
        # Contours cannot be updated in place; they change only with λ₂, not with α or ρ.
        if self.contours is not None:
            self.contours.remove()
        xs = np.linspace(-5, 5, 120)
        ys = np.linspace(-3, 3, 80)
        grid = np.stack(np.meshgrid(xs, ys), axis=-1)
        self.contours = self.ax_path.contour(xs, ys, self.state.objective(grid), levels=12, colors="0.55",
                                             linewidths=0.7)

    def refresh(self, full=False):
        """Rerun momentum and redraw its path, the convergence conditions and the table (``full``: axes too)."""
        if self.contours is None:
            self._redraw_contours()
            full = True
        conditions = self.state.conditions()
        self.markers.set_data([c[0] for c in conditions], [self.state.momentum] * 2)
        try:
            path, verdicts = self.state.run()
        except StudentCodeFailed as problem:
            self.path_line.set_data([], [])
            notices = Notices()
            notices.add(problem, "the path of momentum")
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
            "<table style='font-size:90%'><tr><th>axis</th><th>λ</th><th>α λ</th><th>2 + 2ρ</th>"
            "<th>0 &lt; αλ &lt; 2 + 2ρ</th><th>factor per step</th><th>simulated</th></tr>"
            f"{rows}</table>")
        self.updater.update(full=full)
