"""What a student receives: ``OUT/<student_id>/results.json`` (Gradescope's schema) and ``feedback.html``.

Both lead with what to fix: the failed tests first, most points at stake first, each with its diagnosis and,
where known, the student's own file and line; then the passed tests (on the page folded by function).
Visible tests show what they checked, their inputs, the expected and the returned values. Hidden tests
show their name, status and diagnosis only: never their inputs, expected values or source.
"""

import ast
import json
import re

from .. import course
from .render import describe_row, number, render
from .totals import describe, of_student

#: Gradescope visibility of hidden tests: shown (name and diagnosis only) once grades are published.
HIDDEN_VISIBILITY = "after_published"
#: Where an exception was raised in the student's code, as the runners write it (``(losses.py line 42, in f)``).
_WHERE = re.compile(r"\(((?:[\w.-]+/)*[\w.-]+\.py) line (\d+), in ([\w<>.]+)\)")


def at_stake(row):
    """The points of a row the student can still earn."""
    return max(row.max_score - row.score, 0.0)


def ordered(rows):
    """The failed rows, most points at stake first (ties in catalogue order), then the passed ones in order."""
    failed = [row for row in rows if not row.verdict.passed]
    failed.sort(key=at_stake, reverse=True)  # sort is stable: ties keep the catalogue's order
    return failed + [row for row in rows if row.verdict.passed]


def _definition_line(source, name):
    """The line of the top-level ``def name`` or ``class name`` in ``source`` (the last one: a later definition
    replaces an earlier one when the module runs), None if absent or unparsable."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):  # a student's file: anything it holds
        return None
    lines = [node.lineno for node in tree.body
             if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.name == name]
    return lines[-1] if lines else None


def location(student, row):
    """Where in the student's files to look for a failed row, in words ("" when unknown).

    The line an exception was raised at when the diagnosis names it, else the line of the graded function's
    definition in the student's module (when the batch kept it: :attr:`StudentResult.sources`).
    """
    match = _WHERE.search(row.verdict.message)
    if match:
        path = match[1] if match[1].startswith(course.PACKAGE + "/") else f"{course.PACKAGE}/{match[1]}"
        return f"{path}, line {match[2]} (in {match[3]}), where the error was raised"
    module, _, function = row.verdict.group.partition(".")
    path = f"{course.PACKAGE}/{module}.py"
    line = _definition_line(student.sources.get(path, ""), function) if student.sources else None
    if line is None:
        return f"{path}, {function}"
    return f"{path}, line {line}: {function}"


def results_json(student, written_max=None):
    """The Gradescope results.json document of one student (failed tests first).

    ``written_max`` is the written answers' points the total counts (default: the notebooks'); Gradescope's run
    passes 0, since there the assignment is the code alone and the written answers, if graded at all, are a
    question of their own.
    """
    tests = []
    for number_, row in enumerate(ordered(student.rows), start=1):
        verdict = row.verdict
        output = describe_row(row)
        if not verdict.passed:
            output += f"\nwhere to look: {location(student, row)}"
        tests.append({
            "name": verdict.name,
            "number": str(number_),
            "score": row.score,
            "max_score": row.max_score,
            "status": "passed" if verdict.passed else "failed",
            "output": output,
            "tags": [verdict.group],
            "visibility": HIDDEN_VISIBILITY if verdict.hidden else "visible",
            "extra_data": {"status": verdict.status, "hidden": verdict.hidden, "mistakes": list(verdict.mistakes)},
        })
    total = of_student(student, written_max)
    return {
        "score": student.score,
        "output": "\n".join([describe(total)] + student.notes),
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": tests,
        "extra_data": {"student_id": student.student_id, "max_score": student.max_score, "lms_id": student.lms_id,
                       "written": total.written, "written_max": total.written_max},
    }


def feedback_html(student):
    """A self-contained HTML page with the student's results: what to fix first, then what passed."""
    failed = [row for row in ordered(student.rows) if not row.verdict.passed]
    passed = {}
    for row in student.rows:
        if row.verdict.passed:
            passed.setdefault(row.verdict.group, []).append(row)
    groups = {}
    for row in student.rows:
        groups.setdefault(row.verdict.group, []).append(row)
    functions = [(group, sum(r.score for r in rows), sum(r.max_score for r in rows), len(rows),
                  sum(1 for r in rows if r.verdict.passed)) for group, rows in groups.items()]
    return render("feedback.html", assignment=course.ASSIGNMENT, student=student, total=describe(of_student(student)),
                  failed=[(row, location(student, row), number(at_stake(row))) for row in failed],
                  passed=list(passed.items()), passed_count=sum(len(rows) for rows in passed.values()),
                  functions=functions)


def write(result, out):
    """Write every student's ``results.json`` and ``feedback.html`` under ``out/<student_id>/``."""
    for student in result.students:
        folder = out / student.student_id
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "results.json").write_text(json.dumps(results_json(student), indent=1, ensure_ascii=False) + "\n",
                                             encoding="utf-8")
        (folder / "feedback.html").write_text(feedback_html(student), encoding="utf-8")
