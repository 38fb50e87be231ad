"""The class summary, ``OUT/summary.html``: what the class got wrong (named mistakes, functions ranked by points
lost), the scores' distribution, flags, cut submissions, warnings.

Every chart comes with its numbers as a table (a screen reader reads the table, a person the chart), and
every status is written in words with a symbol, never told by colour alone.
"""

import base64
import io
from collections import Counter

from .. import course
from .mistakes import function_losses, mistake_counts
from .render import render
from .totals import written_points

#: Bins of the score histogram (the table lists them too).
HISTOGRAM_BINS = 10


def _figure_png(figure):
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=90, bbox_inches="tight", metadata={"Software": None})
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _figure(width, height):
    from matplotlib.figure import Figure  # a Figure of its own needs no pyplot and no backend switch

    figure = Figure(figsize=(width, height))
    return figure, figure.subplots()


def score_bins(result):
    """``[(low, high, students)]``: the distribution of code scores in :data:`HISTOGRAM_BINS` equal bins
    (the last bin includes its upper end, the full score)."""
    maximum = max((student.max_score for student in result.students), default=1.0) or 1.0
    width = maximum / HISTOGRAM_BINS
    counts = [0] * HISTOGRAM_BINS
    for student in result.students:
        counts[min(int(student.score / width), HISTOGRAM_BINS - 1)] += 1
    return [(index * width, (index + 1) * width, count) for index, count in enumerate(counts)]


def score_histogram(result):
    """PNG (base64) of the distribution of code scores, the bins of :func:`score_bins`."""
    bins = score_bins(result)
    maximum = bins[-1][1]
    figure, axes = _figure(7, 3.2)
    axes.bar([low for low, _, _ in bins], [count for _, _, count in bins], width=maximum / HISTOGRAM_BINS,
             align="edge", color="#3b6ea8", edgecolor="white")
    axes.set_xlim(0, maximum)
    axes.set_xlabel(f"code score (out of {maximum:g})")
    axes.set_ylabel("students")
    axes.set_title(f"Scores of {len(result.students)} submissions")
    return _figure_png(figure)


def points_lost_chart(losses, students):
    """PNG (base64): the points the class lost in each function, one labelled bar each, most lost on top.

    One bar per graded function (15), not per test (80): each label is legible, and the longest bar is where
    the class needs help. The average per student is written at the end of each bar.
    """
    shown = [loss for loss in losses if loss.points_lost > 0] or losses
    names = [loss.function for loss in shown][::-1]
    values = [loss.points_lost / max(students, 1) for loss in shown][::-1]
    figure, axes = _figure(7.5, 0.42 * len(names) + 1.2)
    bars = axes.barh(range(len(names)), values, color="#a34a15")
    axes.set_yticks(range(len(names)), names, fontsize=10)
    axes.bar_label(bars, labels=[f"{value:.2g}" for value in values], padding=3, fontsize=9)
    axes.set_xlim(0, max(values + [0.1]) * 1.2)
    axes.set_xlabel("points lost per student, on average")
    axes.set_title("Where the class lost points")
    return _figure_png(figure)


def write(result, out):
    """Write ``summary.html``."""
    students = result.students
    statuses = Counter(row.verdict.status for s in students for row in s.rows)
    losses = function_losses(result)
    page = render("summary.html", assignment=course.ASSIGNMENT, result=result, students=students,
                  mean=sum(s.score for s in students) / len(students) if students else 0.0,
                  total=students[0].max_score if students else 0, written_max=written_points(),
                  flagged=[s for s in students if s.flags], cut=[s for s in students if s.cut],
                  mistakes=mistake_counts(result), losses=losses,
                  bins=score_bins(result) if students else [],
                  histogram=score_histogram(result) if students else "",
                  losses_chart=points_lost_chart(losses, len(students)) if students else "",
                  statuses=sorted(statuses.items()))
    (out / "summary.html").write_text(page, encoding="utf-8")
