"""The class summary, ``OUT/summary.html``: score histogram, pass rate per test, flags, cut submissions, warnings."""

import base64
import io
from collections import Counter

from .. import course
from .render import render
from .totals import written_points


def _figure_png(figure):
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=90, bbox_inches="tight", metadata={"Software": None})
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _figure(width, height):
    from matplotlib.figure import Figure  # a Figure of its own needs no pyplot and no backend switch

    figure = Figure(figsize=(width, height))
    return figure, figure.subplots()


def score_histogram(result):
    """PNG (base64) of the distribution of total scores."""
    scores = [student.score for student in result.students]
    maximum = max((student.max_score for student in result.students), default=1.0) or 1.0
    figure, axes = _figure(7, 3.2)
    axes.hist(scores, bins=20, range=(0, maximum), color="#3b6ea8", edgecolor="white")
    axes.set_xlabel(f"total score (out of {maximum:g})")
    axes.set_ylabel("students")
    axes.set_title(f"Scores of {len(scores)} submissions")
    return _figure_png(figure)


def pass_rates(result):
    """``{test name: fraction of students who passed}``, in catalogue order."""
    names = [row.name for row in result.students[0].rows] if result.students else []
    count = len(result.students)
    passed = Counter(row.name for student in result.students for row in student.rows if row.verdict.passed)
    return {name: passed[name] / count for name in names}


def pass_rate_chart(result):
    """PNG (base64) of the pass rate of every test, one horizontal bar each."""
    rates = pass_rates(result)
    names = list(rates)[::-1]
    figure, axes = _figure(7, 0.22 * len(names) + 1)
    axes.barh(range(len(names)), [rates[n] * 100 for n in names], color="#4c9a5f")
    axes.set_yticks(range(len(names)), names, fontsize=7)
    axes.set_xlim(0, 100)
    axes.set_ylim(-0.6, len(names) - 0.4)
    axes.set_xlabel("students who passed (%)")
    axes.set_title("Pass rate per test")
    return _figure_png(figure)


def write(result, out):
    """Write ``summary.html``."""
    students = result.students
    statuses = Counter(row.verdict.status for s in students for row in s.rows)
    page = render("summary.html", assignment=course.ASSIGNMENT, result=result, students=students,
                  mean=sum(s.score for s in students) / len(students) if students else 0.0,
                  total=students[0].max_score if students else 0, written_max=written_points(),
                  flagged=[s for s in students if s.flags], cut=[s for s in students if s.cut],
                  histogram=score_histogram(result) if students else "",
                  pass_rates=pass_rate_chart(result) if students else "",
                  statuses=sorted(statuses.items()))
    (out / "summary.html").write_text(page, encoding="utf-8")
