"""The instructor's tables: ``grades.csv`` (one row per student and test), ``totals.csv`` (one row per
student: the code's points, the written answers', the total after the late penalty, the penalty) and ``seeds.csv``. Every text a student chose
(ids, names, messages) is written as spreadsheet text (:func:`autograder.outputs.render.text_cell`)."""

import csv

from ..seeds import SECRET_VARIABLE
from .render import number, text_cell
from .totals import of_student

GRADES_COLUMNS = ("student_id", "test", "score", "max_score", "status", "message")
TOTALS_COLUMNS = ("student_id", "name", "lms_id", "code", "code_max", "written", "written_max", "total", "total_max",
                  "late_percent", "late_penalty")
SEEDS_COLUMNS = ("student_id", "seed", "batch_seed", "secret", "submission")


def write(result, out):
    """Write ``grades.csv``, ``totals.csv`` and ``seeds.csv`` (students in the order of ``result.students``)."""
    with open(out / "grades.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(GRADES_COLUMNS)
        for student in result.students:
            for row in student.rows:
                writer.writerow([text_cell(student.student_id), row.name, number(row.score), number(row.max_score),
                                 row.verdict.status, text_cell(" ".join(row.verdict.message.split()))])
    with open(out / "totals.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(TOTALS_COLUMNS)
        for student in result.students:
            total = of_student(student)
            written = "" if total.written is None else number(total.written)
            writer.writerow([text_cell(student.student_id), text_cell(student.name), text_cell(student.lms_id),
                             number(total.code),
                             number(total.code_max), written, number(total.written_max), number(total.score),
                             number(total.max_score), number(total.late_percent),
                             number(round(total.late_penalty, 2))])
    with open(out / "seeds.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(SEEDS_COLUMNS)
        for student in result.students:
            writer.writerow((text_cell(student.student_id), student.seed, result.seed,
                             "public default" if result.default_secret else f"${SECRET_VARIABLE}", student.digest))
