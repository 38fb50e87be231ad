"""The instructor's tables: ``grades.csv`` (one row per student and test) and ``seeds.csv``."""

import csv

from ..seeds import SECRET_VARIABLE
from .render import number

GRADES_COLUMNS = ("student_id", "test", "score", "max_score", "status", "message")
SEEDS_COLUMNS = ("student_id", "seed", "batch_seed", "secret", "submission")


def write(result, out):
    """Write ``grades.csv`` and ``seeds.csv`` (students in the order of ``result.students``)."""
    with open(out / "grades.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(GRADES_COLUMNS)
        for student in result.students:
            for row in student.rows:
                writer.writerow([student.student_id, row.name, number(row.score), number(row.max_score),
                                 row.verdict.status, " ".join(row.verdict.message.split())])
    with open(out / "seeds.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(SEEDS_COLUMNS)
        for student in result.students:
            writer.writerow((student.student_id, student.seed, result.seed,
                             "public default" if result.default_secret else f"${SECRET_VARIABLE}", student.digest))
