"""The class summary, ``OUT/summary.html``: score histogram, pass rate per test, flags and warnings."""

import base64
import html
import io
from collections import Counter
from urllib.parse import quote


def _figure_png(figure):
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=90, bbox_inches="tight", metadata={"Software": None})
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def score_histogram(result):
    """PNG (base64) of the distribution of total scores."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    scores = [student.score for student in result.students]
    maximum = max((student.max_score for student in result.students), default=1.0) or 1.0
    figure = Figure(figsize=(7, 3.2))
    axes = figure.subplots()
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
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    rates = pass_rates(result)
    names = list(rates)[::-1]
    figure = Figure(figsize=(7, 0.22 * len(names) + 1))
    axes = figure.subplots()
    axes.barh(range(len(names)), [rates[n] * 100 for n in names], color="#4c9a5f")
    axes.set_yticks(range(len(names)), names, fontsize=7)
    axes.set_xlim(0, 100)
    axes.set_ylim(-0.6, len(names) - 0.4)
    axes.set_xlabel("students who passed (%)")
    axes.set_title("Pass rate per test")
    return _figure_png(figure)


def write_summary(result, path):
    """Write the summary page."""
    esc = html.escape
    parts = ["<!DOCTYPE html><html><head><meta charset='utf-8'><title>Grading summary</title><style>",
             "body { font-family: system-ui, sans-serif; max-width: 70em; margin: 2em auto; }"
             "table { border-collapse: collapse; } td, th { border-bottom: 1px solid #ddd; padding: .3em .6em; "
             "text-align: left; vertical-align: top; } .warning { background: #b00020; color: white; padding: 1em; "
             "font-size: 1.2em; } .note { background: #fff5d6; padding: .6em 1em; }",
             "</style></head><body><h1>loss_optimization: grading summary</h1>"]
    if result.sandbox_warning:
        parts.append(f"<p class='warning'>{esc(result.sandbox_warning)}</p>")
    if result.grader_errors:
        parts.append(f"<p class='warning'>The grader failed on {len(result.grader_errors)} submission(s): "
                     f"{esc(', '.join(s.student_id for s in result.grader_errors))}. See .logs/.</p>")
    students = result.students
    total = students[0].max_score if students else 0
    mean = sum(s.score for s in students) / len(students) if students else 0
    parts.append(f"<p>{len(students)} submissions, mean score {mean:.1f} / {total:g}. Sandbox: "
                 f"{esc(result.sandbox)}. Batch seed {result.seed}.</p>")
    if result.default_secret:
        parts.append("<p class='note'>The course secret is the public default: anyone who reads the autograder can "
                     "compute each student's inputs. Set AUTOGRADER_SECRET for real grading.</p>")
    if result.shard_note:
        parts.append(f"<p class='note'>{esc(result.shard_note)}</p>")
    if result.gradebook_note:
        parts.append(f"<p class='note'>{esc(result.gradebook_note)}</p>")
    flagged = [s for s in students if s.flags]
    if flagged:
        parts.append("<h2>Suspicious submissions</h2><p>Their notebooks passed, in nbgrader's kernel, tests that "
                     "their code fails in the sandbox: the notebook may tamper with the checks.</p><ul>")
        parts += [f"<li>{esc(s.student_id)}: {esc('; '.join(s.flags))}</li>" for s in flagged]
        parts.append("</ul>")
    if students:
        parts.append(f"<img alt='score histogram' src='data:image/png;base64,{score_histogram(result)}'>")
        parts.append(f"<img alt='pass rate per test' src='data:image/png;base64,{pass_rate_chart(result)}'>")
    statuses = Counter(row.verdict.status for s in students for row in s.rows)
    parts.append("<h2>Statuses</h2><p>" + ", ".join(f"{esc(k)}: {v}" for k, v in sorted(statuses.items())) + "</p>")
    parts.append("<h2>Students</h2><table><tr><th>student</th><th>score</th><th>notes</th></tr>")
    for student in students:
        notes = list(student.notes) + list(student.flags)
        link = f"<a href='{esc(quote(student.student_id))}/feedback.html'>{esc(student.student_id)}</a>"
        parts.append(f"<tr><td>{link}</td>"
                     f"<td>{student.score:g}</td><td>{esc('; '.join(notes))}</td></tr>")
    parts.append("</table></body></html>\n")
    path.write_text("\n".join(parts), encoding="utf-8")
