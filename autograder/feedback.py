"""What a student receives: ``results.json`` (Gradescope's schema) and ``feedback.html``.

Visible tests show what they checked, their inputs, the expected and the
returned values. Hidden tests show their name, status and diagnosis only:
never their inputs, expected values or source.
"""

import html
import json

import numpy as np

#: Gradescope visibility of hidden tests: shown (name and diagnosis only) once grades are published.
HIDDEN_VISIBILITY = "after_published"
STATUS_TEXT = {
    "passed": "passed", "failed": "wrong result", "error": "raised an error", "not_implemented": "not implemented",
    "timeout": "time limit", "crashed": "crashed", "import_error": "does not import", "missing": "missing",
    "skipped": "not run",
}


def show(value):
    """A short, readable rendering of an input, expected or returned value."""
    if isinstance(value, np.ndarray):
        with np.printoptions(precision=6, threshold=40, edgeitems=3, suppress=True, linewidth=100):
            return f"array of shape {value.shape}: {np.array2string(value, prefix='  ')}"
    if isinstance(value, float):
        return f"{value:.8g}"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{key}: {show(item)}" for key, item in value.items()) + "}"
    if isinstance(value, list):
        if value and isinstance(value[0], dict):
            return "; ".join(show(item) for item in value)
        return "[" + ", ".join(show(item) for item in value) + "]"
    return repr(value)


def describe_row(row):
    """The text a student sees for one test."""
    verdict = row.verdict
    if verdict.passed:
        return f"✓ {verdict.what}"
    lines = [f"✗ {verdict.what}", verdict.message]
    if verdict.details and not verdict.hidden:
        inputs = verdict.details.get("inputs") or {}
        if inputs:
            lines.append("inputs:")
            lines += [f"  {name} = {show(value)}" for name, value in inputs.items()]
        if verdict.details.get("expected") is not None:
            lines.append(f"expected: {show(verdict.details['expected'])}")
        if verdict.details.get("got") is not None:
            lines.append(f"got:      {show(verdict.details['got'])}")
    return "\n".join(lines)


def results_json(student, batch):
    """The Gradescope results.json document of one student."""
    tests = []
    for number, row in enumerate(student.rows, start=1):
        verdict = row.verdict
        tests.append({
            "name": verdict.name,
            "number": str(number),
            "score": row.score,
            "max_score": row.max_score,
            "status": "passed" if verdict.passed else "failed",
            "output": describe_row(row),
            "tags": [verdict.group],
            "visibility": HIDDEN_VISIBILITY if verdict.hidden else "visible",
            "extra_data": {"status": verdict.status, "hidden": verdict.hidden},
        })
    return {
        "score": student.score,
        "output": "\n".join(student.notes),
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": tests,
        "extra_data": {"student_id": student.student_id, "max_score": student.max_score},
    }


def write_feedback(student, folder, batch):
    """Write ``results.json`` and ``feedback.html`` for one student into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "results.json").write_text(json.dumps(results_json(student, batch), indent=1, ensure_ascii=False) + "\n",
                                         encoding="utf-8")
    (folder / "feedback.html").write_text(feedback_html(student), encoding="utf-8")


_STYLE = """
body { font-family: system-ui, sans-serif; max-width: 60em; margin: 2em auto; color: #222; }
table { border-collapse: collapse; width: 100%; margin-bottom: 1.5em; }
td, th { border-bottom: 1px solid #ddd; padding: .35em .5em; text-align: left; vertical-align: top; }
.passed { color: #176f2c; } .failed { color: #a31515; }
pre { white-space: pre-wrap; margin: 0; font-size: .9em; }
.notes { background: #fff5d6; padding: .6em 1em; border-left: 4px solid #e0a800; }
"""


def feedback_html(student):
    """A self-contained HTML page with the student's results."""
    esc = html.escape
    parts = [f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>Feedback: {esc(student.student_id)}</title>",
             f"<style>{_STYLE}</style></head><body>",
             f"<h1>loss_optimization: {esc(student.student_id)}</h1>",
             f"<p><strong>Score: {student.score:g} / {student.max_score:g}</strong></p>"]
    if student.notes:
        parts.append("<div class='notes'><p>About your submission:</p><ul>")
        parts += [f"<li>{esc(note)}</li>" for note in student.notes]
        parts.append("</ul></div>")
    groups = {}
    for row in student.rows:
        groups.setdefault(row.verdict.group, []).append(row)
    for group, rows in groups.items():
        earned, total = sum(r.score for r in rows), sum(r.max_score for r in rows)
        parts.append(f"<h2>{esc(group)} <small>({earned:g} / {total:g})</small></h2>")
        parts.append("<table><tr><th>test</th><th>points</th><th>result</th></tr>")
        for row in rows:
            verdict = row.verdict
            css = "passed" if verdict.passed else "failed"
            kind = "hidden test" if verdict.hidden else "visible test"
            parts.append(f"<tr><td>{esc(verdict.name)}<br><small>{kind}</small></td>"
                         f"<td>{row.score:g} / {row.max_score:g}</td>"
                         f"<td class='{css}'>{esc(STATUS_TEXT.get(verdict.status, verdict.status))}"
                         f"<pre>{esc(describe_row(row))}</pre></td></tr>")
        parts.append("</table>")
    parts.append("</body></html>\n")
    return "\n".join(parts)
