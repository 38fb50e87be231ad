"""What a student receives: ``OUT/<student_id>/results.json`` (Gradescope's schema) and ``feedback.html``.

Visible tests show what they checked, their inputs, the expected and the returned values. Hidden tests
show their name, status and diagnosis only: never their inputs, expected values or source.
"""

import json

from .. import course
from .render import describe_row, render
from .totals import describe, of_student

#: Gradescope visibility of hidden tests: shown (name and diagnosis only) once grades are published.
HIDDEN_VISIBILITY = "after_published"


def results_json(student):
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
    total = of_student(student)
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
    """A self-contained HTML page with the student's results."""
    groups = {}
    for row in student.rows:
        groups.setdefault(row.verdict.group, []).append(row)
    return render("feedback.html", assignment=course.ASSIGNMENT, student=student, groups=list(groups.items()),
                  total=describe(of_student(student)))


def write(result, out):
    """Write every student's ``results.json`` and ``feedback.html`` under ``out/<student_id>/``."""
    for student in result.students:
        folder = out / student.student_id
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "results.json").write_text(json.dumps(results_json(student), indent=1, ensure_ascii=False) + "\n",
                                             encoding="utf-8")
        (folder / "feedback.html").write_text(feedback_html(student), encoding="utf-8")
