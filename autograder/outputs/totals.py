"""One total a student understands: the code the sandbox grades and the written answers graded by hand.

The assignment's points come in two parts: the code (``points.toml``, graded by ``python -m autograder
grade``, in nbgrader's test cells) and the written answers of the notebooks (their hand-graded cells,
graded in formgrader). Every page a student or an LMS sees states the total with :func:`describe`, so
it reads the same everywhere: the sandbox's feedback page and ``results.json``, nbgrader's feedback
(:mod:`autograder.nbgrader_hooks.feedback`), ``totals.csv`` and the exported grades
(:mod:`autograder.lms.export`).
"""

import json
from dataclasses import dataclass
from functools import lru_cache

from .. import course
from .render import number


def hand_graded(cell):
    """Whether a notebook cell (plain JSON) is graded by hand: a graded answer cell or a task."""
    metadata = cell.get("metadata", {}).get("nbgrader", {})
    return bool((metadata.get("grade") and metadata.get("solution")) or metadata.get("task"))


@lru_cache(maxsize=None)
def _written_cells():
    """``{grade_id: points}`` of the notebooks' written answers (their hand-graded cells), from the instructor's
    notebooks."""
    cells = {}
    for path in sorted(course.reference_dir().glob("*.ipynb")):
        for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
            if hand_graded(cell):
                metadata = cell["metadata"]["nbgrader"]
                cells[metadata["grade_id"]] = float(metadata.get("points", 0))
    return cells


def written_cell_ids():
    """The grade ids of the written answers' cells."""
    return tuple(_written_cells())


def written_points():
    """The points of the written answers, all notebooks together."""
    return sum(_written_cells().values())


@dataclass(frozen=True)
class Total:
    """A student's total in its two parts; ``written`` is None until every written answer is graded."""

    code: float
    code_max: float
    written: float = None
    written_max: float = 0.0
    #: Percentage of the points earned that the late policy takes off (0: on time, or no policy).
    late_percent: float = 0.0

    @property
    def complete(self):
        return self.written is not None or not self.written_max

    @property
    def earned(self):
        """The points so far before any late penalty (the written answers count once graded)."""
        return self.code + (self.written or 0.0)

    @property
    def late_penalty(self):
        """The points the late policy takes off."""
        return self.earned * self.late_percent / 100

    @property
    def score(self):
        """The points so far, after the late penalty."""
        return self.earned - self.late_penalty

    @property
    def max_score(self):
        return self.code_max + self.written_max


def describe(total):
    """The sentence every page uses for a student's total (with the late penalty, when there is one)."""
    code = f"code {number(total.code)} / {number(total.code_max)} (autograded)"
    shown = f"{number(round(total.score, 2))} / {number(total.max_score)}"
    late = (f", minus a late penalty of {number(total.late_percent)}% of the points earned "
            f"({number(round(total.late_penalty, 2))} points)" if total.late_percent else "")
    if not total.written_max:
        return f"Total: {shown} = {code}{late}." if late else f"Total: {shown}, all of it {code}."
    if total.written is None:
        return (f"Total so far: {shown} = {code} + written answers ? / {number(total.written_max)} (graded by "
                f"hand, not graded yet){late}.")
    return (f"Total: {shown} = {code} + written answers {number(total.written)} / {number(total.written_max)} "
            f"(graded by hand){late}.")


def of_student(student, written_max=None):
    """The :class:`Total` of a graded student (:class:`autograder.results.StudentResult`)."""
    return Total(student.score, student.max_score, student.written,
                 written_points() if written_max is None else written_max, getattr(student, "late_percent", 0.0))
