"""What the class got wrong: each named mistake, how many students made it, where, and what it cost.

Every failed test's verdict names the mistakes (stable ids of ``checks/mistakes.py``) its diagnosis
recognised (:attr:`autograder.catalogue.Verdict.mistakes`). This module counts them over a batch for
``summary.html`` and ``OUT/mistakes.csv``, and ranks the graded functions by the points the class lost
in them. It reads only the students' rows, so a merged batch (whose rows come back from the shards'
records unchanged) shows the same view as one ``grade`` run.

A test whose verdict names two mistakes costs its lost points to each of them: the diagnosis could not
tell them apart, and either is worth a lecture. Points lost in tests naming no mistake (an exception, a
stub not implemented, a wrong value the diagnosis could not explain) count for their function only.
"""

import csv
import re
from dataclasses import dataclass, field
from functools import lru_cache

from .render import number, text_cell

MISTAKES_CSV = "mistakes.csv"
MISTAKES_COLUMNS = ("mistake", "function", "students", "points_lost", "student_ids", "description")


@lru_cache(maxsize=None)
def sentences():
    """``{mistake id: its sentence}`` from the reference's ``checks/mistakes.py``, fields shown as ``…``."""
    from ..packages import load_reference  # only pages and CSVs need the reference's sentences

    raw = load_reference().module("checks.mistakes").MISTAKES
    return {key: re.sub(r"\{[^{}]*\}", "…", text) for key, text in raw.items()}


def lost(row):
    """The points a row did not earn."""
    return max(row.max_score - row.score, 0.0)


@dataclass
class MistakeCount:
    """One named mistake in one function (group) over a batch."""

    mistake: str
    function: str
    #: Student ids, in batch order, each once.
    students: list = field(default_factory=list)
    points_lost: float = 0.0

    @property
    def description(self):
        return sentences().get(self.mistake, "")


@dataclass
class FunctionLoss:
    """The points the class lost in one graded function (a group of tests)."""

    function: str
    points_lost: float = 0.0
    points_possible: float = 0.0
    students: list = field(default_factory=list)
    #: Points lost in tests whose diagnosis named no mistake.
    unnamed: float = 0.0


def mistake_counts(result):
    """Every (mistake, function) of the batch, most students first, then most points lost, then by id."""
    counts = {}
    for student in result.students:
        for row in student.rows:
            verdict = row.verdict
            if verdict.passed:
                continue
            for mistake in dict.fromkeys(verdict.mistakes):
                entry = counts.setdefault((mistake, verdict.group), MistakeCount(mistake, verdict.group))
                if student.student_id not in entry.students:
                    entry.students.append(student.student_id)
                entry.points_lost += lost(row)
    return sorted(counts.values(), key=lambda m: (-len(m.students), -m.points_lost, m.mistake, m.function))


def function_losses(result):
    """Every graded function of the batch, most points lost first (then in catalogue order)."""
    losses = {}
    for student in result.students:
        for row in student.rows:
            group = row.verdict.group
            entry = losses.setdefault(group, FunctionLoss(group))
            entry.points_possible += row.max_score
            if lost(row) > 0:
                entry.points_lost += lost(row)
                if not row.verdict.mistakes:
                    entry.unnamed += lost(row)
                if student.student_id not in entry.students:
                    entry.students.append(student.student_id)
    order = list(losses)
    return sorted(losses.values(), key=lambda f: (-f.points_lost, order.index(f.function)))


def write(result, out):
    """Write ``mistakes.csv``: one row per mistake and function (students' ids separated by ``;``)."""
    with open(out / MISTAKES_CSV, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(MISTAKES_COLUMNS)
        for entry in mistake_counts(result):
            writer.writerow([entry.mistake, entry.function, len(entry.students), number(entry.points_lost),
                             text_cell(";".join(entry.students)), text_cell(entry.description)])
