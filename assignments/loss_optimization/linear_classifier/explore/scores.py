"""SVM vs softmax: the student's two losses of three score vectors, and which of them notices a change."""

import functools

import ipywidgets as widgets
import numpy as np

from .figures import new_figure
from .panel import Panel, number, observe, readout
from .student import VECTORIZED_LOSSES, Notices, StudentCodeFailed, call_student


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
        """``{"SVM": (3,) or None, "Softmax": (3,) or None}`` and the notices of missing stubs and errors."""
        notices = Notices()
        result = {}
        for name, function in VECTORIZED_LOSSES.items():
            try:
                result[name] = np.array([loss_of_scores(function, row) for row in self.scores])
            except StudentCodeFailed as problem:
                notices.add(problem, f"the {name} losses")
                result[name] = None
        return result, notices

    def set_score(self, example, klass, value):
        self.scores[example, klass] = float(value)

    def reset(self):
        self.scores = LECTURE_SCORES.copy()


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
                observe(box, self.guard(functools.partial(self._on_score, i, j)))
        self.reset_button = widgets.Button(description="Lecture's scores")
        self.reset_button.on_click(self.guard(self._on_reset))
        self.readout = readout()
        self.losses = None
        boxes = widgets.GridBox(grid, layout=widgets.Layout(grid_template_columns="80px 90px 90px 90px"))
        self.build(widgets.HBox([widgets.VBox([boxes, self.reset_button]), canvas]), self.readout)

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
        self.updater = self.figure_updater()

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
        """Recompute both losses of the three score vectors; mark those that changed since the last time."""
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
            for name in VECTORIZED_LOSSES:
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
        self.updater.update(full=True)
