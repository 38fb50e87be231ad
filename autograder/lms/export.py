"""Grades an LMS imports: ``python -m autograder export GRADED --format canvas|moodle|plain --out FILE``.

One row per student with the assignment's total, read from ``GRADED/totals.csv`` (written by ``grade``
and ``merge``), the written answers' scores taken fresh from nbgrader's gradebook (graded by hand in
formgrader after ``grade`` ran), names and ids from the roster. The formats are the LMSs' own import
formats, as their importers read them:

- **Canvas**, Grades > Import: ``Student,ID,SIS User ID,SIS Login ID,Section,<assignment>``, a second row
  ``Points Possible``; Canvas finds each student by ``ID`` (the Canvas user id of the download, or the
  roster's ``lms_id``) or, failing that, by the SIS ids. A column named like no assignment creates one;
  to fill an existing assignment, give its name as Canvas exports it (``--assignment "Name (1234)"``).
- **Moodle**, the assignment's "Upload grading worksheet" (``assignfeedback_offline``): the importer needs
  the columns ``Identifier`` (``Participant <participant id>``), ``Grade`` and ``Last modified (grade)``,
  named in English (switch Moodle's language to English for the upload). The assignment's maximum grade
  must be the exported total's.
- **plain**: every part of the total, for a spreadsheet or any other LMS.

The total is the code's points plus the written answers' (:mod:`autograder.outputs.totals`). A student whose
written answers are not all graded cannot get a total yet: an LMS export refuses, naming them, unless asked for
the code's points alone (``--part code``); the plain format leaves their total empty.
"""

import csv
import io
import os
import secrets
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

from .. import course
from ..outputs.render import from_text_cell, number, text_cell
from ..outputs.totals import Total

FORMATS = ("canvas", "moodle", "plain")
PARTS = ("total", "code")
TOTALS_FILE = "totals.csv"
CANVAS_COLUMNS = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")
MOODLE_COLUMNS = ("Identifier", "Full name", "Email address", "Grade", "Maximum Grade", "Last modified (grade)")
#: How Moodle's importer recognises a participant (``get_string('hiddenuser', 'assign')`` in English).
MOODLE_PARTICIPANT = "Participant "
#: Moodle's English date format (``strftimedatetime``), which its importer reads back with strtotime.
MOODLE_TIME = "%A, %d %B %Y, %I:%M %p"
PLAIN_COLUMNS = ("student_id", "name", "email", "lms_id", "code", "code_max", "written", "written_max", "total",
                 "total_max")
SHOWN = 10


class ExportError(ValueError):
    """The grades cannot be exported as asked; the message says why and what to do."""


@dataclass(frozen=True)
class Row:
    """One student's exported grade, with what the LMS needs to find the student."""

    student_id: str
    name: str
    lms_id: str
    total: Total
    email: str = ""
    section: str = ""
    sis_user_id: str = ""
    sis_login_id: str = ""


def read_totals(graded):
    """The :class:`Row` of every student in ``graded/totals.csv``."""
    path = Path(graded) / TOTALS_FILE
    if not path.is_file():
        raise ExportError(f"{graded} has no {TOTALS_FILE}: give the --out folder of `python -m autograder grade` "
                          "(or merge) to export.")
    rows = []
    with open(path, newline="", encoding="utf-8") as handle:
        for line in csv.DictReader(handle):
            try:
                written = float(line["written"]) if line["written"] else None
                total = Total(float(line["code"]), float(line["code_max"]), written, float(line["written_max"]))
                rows.append(Row(*(from_text_cell(line[name]) for name in ("student_id", "name", "lms_id")), total))
            except (KeyError, TypeError, ValueError) as error:
                raise ExportError(f"{path} is not a totals file of the autograder ({type(error).__name__}: {error}): "
                                  "grade the batch again.") from None
    return rows


def with_roster(rows, roster):
    """``rows`` with the names and ids of the roster, and the roster's students who have no row."""
    if roster is None:
        return rows, []
    merged = []
    for row in rows:
        entry = roster.find(row.student_id) or (roster.find(row.lms_id) if row.lms_id else None)
        if entry is not None:
            row = replace(row, name=entry.name or row.name, lms_id=entry.lms_id or row.lms_id, email=entry.email,
                          section=entry.section, sis_user_id=entry.sis_user_id, sis_login_id=entry.sis_login_id)
        merged.append(row)
    graded = {row.student_id for row in merged}
    absent = [entry.student_id for entry in roster.students if entry.student_id not in graded]
    return merged, absent


def with_written(rows, scores):
    """``rows`` with the written answers' scores of ``scores`` (``{student id: score or None}``) where known."""
    return [replace(row, total=replace(row.total, written=scores.get(row.student_id, row.total.written)))
            for row in rows]


def exported(rows, part, form):
    """``rows`` with the score to export: the total, or the code's points alone. An LMS cannot be given a total
    while written answers are ungraded (the plain format shows the total empty then)."""
    if part == "code":
        return [replace(row, total=Total(row.total.code, row.total.code_max)) for row in rows]
    pending = [row.student_id for row in rows if not row.total.complete]
    if pending and form != "plain":
        raise ExportError(f"The written answers of {len(pending)} student{'s are' if len(pending) > 1 else ' is'} not "
                          f"graded yet ({_some(pending)}), so their total is not known. Grade them in formgrader (the "
                          "export reads them from the gradebook, --gradebook), or export the code's points alone with "
                          "--part code.")
    return rows


def render(rows, form, assignment=course.ASSIGNMENT, now=None):
    """The CSV text of ``rows`` in the format ``form``."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    if form == "plain":
        writer.writerow(PLAIN_COLUMNS)
        for row in rows:
            total = row.total
            writer.writerow([*map(text_cell, (row.student_id, row.name, row.email, row.lms_id)), number(total.code),
                             number(total.code_max), "" if total.written is None else number(total.written),
                             number(total.written_max), number(total.score) if total.complete else "",
                             number(total.max_score)])
    elif form == "canvas":
        _need(rows, lambda row: (row.lms_id and not row.lms_id.startswith("anon_")) or row.sis_user_id
              or row.sis_login_id, "a Canvas user id (the roster's lms_id) or an SIS id")
        writer.writerow(CANVAS_COLUMNS + (assignment,))
        writer.writerow(["Points Possible", "", "", "", ""] + [number(_max(rows))])
        for row in rows:
            canvas_id = "" if row.lms_id.startswith("anon_") else row.lms_id
            writer.writerow([*map(text_cell, (row.name, canvas_id, row.sis_user_id, row.sis_login_id, row.section)),
                             number(row.total.score)])
    else:
        _need(rows, lambda row: row.lms_id.isdigit(), "a Moodle participant id (the roster's lms_id)")
        writer.writerow(MOODLE_COLUMNS)
        stamp = (now or datetime.now()).strftime(MOODLE_TIME)
        for row in rows:
            writer.writerow([f"{MOODLE_PARTICIPANT}{row.lms_id}", text_cell(row.name), text_cell(row.email),
                             number(row.total.score), number(row.total.max_score), stamp])
    return buffer.getvalue()


def _max(rows):
    maxima = {row.total.max_score for row in rows}
    if len(maxima) > 1:
        raise ExportError(f"The students' totals are out of different maxima ({', '.join(map(number, sorted(maxima)))}): "
                          "grade them with the same points.toml before exporting.")
    return maxima.pop() if maxima else 0.0


def _need(rows, has, what):
    lacking = [row.student_id for row in rows if not has(row)]
    if lacking:
        raise ExportError(f"{len(lacking)} student{'s have' if len(lacking) > 1 else ' has'} no {what}, so the LMS "
                          f"could not find {'them' if len(lacking) > 1 else 'it'}: {_some(lacking)}. Give --roster "
                          "with their lms_id (see autograder/GRADING.md).")


def written_from(gradebook, rows):
    """``{student id: written answers' score or None}`` of ``rows`` from the gradebook at the URL ``gradebook``."""
    from ..nbgrader_hooks.gradebook import display_url, written_scores

    try:
        return written_scores(gradebook, [row.student_id for row in rows])
    except Exception as error:  # noqa: BLE001 (any database or driver error)
        raise ExportError(f"Cannot read the written answers' scores from the gradebook {display_url(gradebook)}: "
                          f"{type(error).__name__}: {error}. Pass --gradebook URL, or --gradebook none with "
                          "--part code.") from None


def export(graded, form, out, roster=None, gradebook=None, part="total", assignment=course.ASSIGNMENT, force=False):
    """Write the grades of ``graded`` (an output folder of ``grade``) in the format ``form`` to the file ``out``.

    Parameters
    ----------
    graded : path
        The ``--out`` folder of ``python -m autograder grade`` or ``merge``.
    form : {"canvas", "moodle", "plain"}
    out : path
        The CSV file to write (an existing one only with ``force``).
    roster : autograder.lms.roster.Roster or None
        Names and LMS ids of the students.
    gradebook : str or None
        URL of nbgrader's gradebook, where the written answers' scores are read (fresher than ``totals.csv``).
    part : {"total", "code"}
        Export the total (code and written answers) or the code's points alone.
    assignment : str
        The name of the assignment's column in Canvas.

    Returns
    -------
    (int, list of str)
        How many students were written, and the roster's students who had no grade (not written).
    """
    if form not in FORMATS:
        raise ExportError(f"--format must be one of {', '.join(FORMATS)}, got {form!r}.")
    if part not in PARTS:
        raise ExportError(f"--part must be one of {', '.join(PARTS)}, got {part!r}.")
    out = Path(out)
    if out.is_dir():
        raise ExportError(f"--out {out} is a folder: give the name of the CSV file to write.")
    if out.exists() and not force:
        raise ExportError(f"--out {out} exists: pass --force to replace it, or choose another name.")
    rows, absent = with_roster(read_totals(graded), roster)
    if gradebook and part == "total":
        rows = with_written(rows, written_from(gradebook, rows))
    rows = exported(rows, part, form)
    text = render(rows, form, assignment)
    partial = out.with_name(f".{out.name}.partial-{secrets.token_hex(4)}")
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, out)
    return len(rows), absent


def _some(items):
    items = list(items)
    return ", ".join(items[:SHOWN]) + (f" and {len(items) - SHOWN} more" if len(items) > SHOWN else "")
