"""Grades an LMS imports: ``python -m autograder export GRADED --format canvas|moodle|plain --out FILE``.

One row per student with the assignment's total, read from ``GRADED/totals.csv`` (written by ``grade``
and ``merge``), the written answers' scores taken fresh from nbgrader's gradebook (graded by hand in
formgrader after ``grade`` ran), names and ids from the roster. The formats are the LMSs' own import
formats, as their importers read them:

- **Canvas**, Grades > Import (:mod:`.canvas`): ``Student,ID,SIS User ID,SIS Login ID,Section,<Name (id)>``;
  the column is the existing assignment's, named explicitly (``--assignment "Name (id)"``, or read from a
  gradebook exported from Canvas, ``--canvas-gradebook``, which also checks its points and students).
- **Moodle**, the assignment's "Upload grading worksheet" (:mod:`.moodle`): ``Identifier`` (``Participant
  <participant id>``), ``Grade`` and ``Last modified (grade)`` in the instructor's Moodle language
  (``--language``), the scores checked against or scaled to the assignment's maximum grade (``--max-grade``).
- **plain**: every part of the total, for a spreadsheet or any other LMS.

The total is the code's points plus the written answers' (:mod:`autograder.outputs.totals`), less the late
penalty that ``grade --late-policy`` recorded (a percentage of those points, so fresh written scores are
penalized alike): every format exports the score after the penalty; the plain one also shows the penalty. A student whose
written answers are not all graded cannot get a total yet: an LMS export refuses, naming them, unless asked for
the code's points alone (``--part code``); the plain format leaves their total empty.
"""

import csv
import io
import os
import secrets
from dataclasses import dataclass, field, replace
from pathlib import Path

from .. import course
from ..outputs.render import from_text_cell, number, text_cell
from ..outputs.totals import Total
from . import canvas, moodle

#: The export formats, each with where its LMS reads it (``export --help`` lists them from here).
FORMATS = {"canvas": "Grades > Import", "moodle": "the assignment's Upload grading worksheet",
           "plain": "every part of the total, for a spreadsheet or any other LMS"}
#: What a row's score holds, each with what it counts (``export --part``).
PARTS = {"total": "code and written answers", "code": "the code's points alone (out of the code's maximum)"}
TOTALS_FILE = "totals.csv"
PLAIN_COLUMNS = ("student_id", "name", "email", "lms_id", "code", "code_max", "written", "written_max", "total",
                 "total_max", "late_percent", "late_penalty")
SHOWN = 10


class ExportError(ValueError):
    """The grades cannot be exported as asked; the message says why and what to do."""


@dataclass(frozen=True)
class Exported:
    """What :func:`export` wrote."""

    #: How many students were written.
    count: int
    #: The roster's students who had no grade (not written, so the LMS keeps what it has for them).
    absent: list
    #: What the instructor should know: scores scaled, ids the roster did not know.
    notes: list = field(default_factory=list)


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
                # A totals.csv written before late policies has no late_percent: nothing was taken off.
                total = Total(float(line["code"]), float(line["code_max"]), written, float(line["written_max"]),
                              float(line.get("late_percent") or 0.0))
                rows.append(Row(*(from_text_cell(line[name]) for name in ("student_id", "name", "lms_id")), total))
            except (KeyError, TypeError, ValueError) as error:
                raise ExportError(f"{path} is not a totals file of the autograder ({type(error).__name__}: {error}): "
                                  "grade the batch again.") from None
    return rows


def with_roster(rows, roster):
    """``rows`` with the names and ids of the roster, the roster's students who have no row, and the graded
    students the roster does not name.

    A row is looked up by its course id alone (:meth:`~autograder.lms.roster.Roster.by_course_id`): its
    ``lms_id`` is the download's, never matched against the roster's course ids.
    """
    if roster is None:
        return rows, [], []
    merged, unknown = [], []
    for row in rows:
        entry = roster.by_course_id(row.student_id)
        if entry is None:
            unknown.append(row.student_id)
        else:
            row = replace(row, name=entry.name or row.name, lms_id=entry.lms_id, email=entry.email,
                          section=entry.section, sis_user_id=entry.sis_user_id, sis_login_id=entry.sis_login_id)
        merged.append(row)
    graded = {row.student_id for row in merged}
    absent = [entry.student_id for entry in roster.students if entry.student_id not in graded]
    return merged, absent, unknown


def with_written(rows, scores):
    """``rows`` with the written answers' scores of ``scores`` (``{student id: score or None}``) where known."""
    return [replace(row, total=replace(row.total, written=scores.get(row.student_id, row.total.written)))
            for row in rows]


def exported(rows, part, form):
    """``rows`` with the score to export: the total, or the code's points alone. An LMS cannot be given a total
    while written answers are ungraded (the plain format shows the total empty then)."""
    if part == "code":
        return [replace(row, total=Total(row.total.code, row.total.code_max, late_percent=row.total.late_percent))
                for row in rows]
    pending = [row.student_id for row in rows if not row.total.complete]
    if pending and form != "plain":
        raise ExportError(f"The written answers of {len(pending)} student{'s are' if len(pending) > 1 else ' is'} not "
                          f"graded yet ({_some(pending)}), so their total is not known. Grade them in formgrader (the "
                          "export reads them from the gradebook, --gradebook), or export the code's points alone with "
                          "--part code.")
    return rows


def scores_of(rows, max_grade=None):
    """``({student id: score to export}, maximum)``: the scores as graded, or scaled to ``max_grade`` (rounded
    to 2 decimals, the precision Canvas compares and shows)."""
    maximum = _max(rows)
    if max_grade is None or abs(max_grade - maximum) < 1e-9:
        # A late penalty's percentage leaves float noise (8.400000000000002): 2 decimals, as Canvas shows.
        return {row.student_id: round(row.total.score, 2) if row.total.late_percent else row.total.score
                for row in rows}, maximum
    return {row.student_id: round(row.total.score * max_grade / maximum, 2) for row in rows}, max_grade


def render(rows, form, column=None, max_grade=None, language="en", now=None, worksheet=None):
    """The CSV text of ``rows`` in the format ``form``.

    ``column`` is the Canvas :class:`~autograder.lms.canvas.Column`; ``max_grade`` the LMS's maximum for the
    assignment (required for Moodle, whose importer skips every grade above it); ``language`` Moodle's;
    ``worksheet`` the :class:`~autograder.lms.moodle.Worksheet` downloaded from Moodle (None: not checked).
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    if form == "plain":
        writer.writerow(PLAIN_COLUMNS)
        for row in rows:
            total = row.total
            writer.writerow([*map(text_cell, (row.student_id, row.name, row.email, row.lms_id)), number(total.code),
                             number(total.code_max), "" if total.written is None else number(total.written),
                             number(total.written_max), number(round(total.score, 2)) if total.complete else "",
                             number(total.max_score), number(total.late_percent),
                             number(round(total.late_penalty, 2)) if total.complete else ""])
        return buffer.getvalue()
    scores, maximum = scores_of(rows, max_grade)
    try:
        if form == "canvas":
            canvas.check(rows, column, maximum)
            canvas.write(writer, rows, column, scores)
        else:
            moodle.check(rows, scores, maximum, worksheet.participants if worksheet else None)
            moodle.write(writer, rows, scores, maximum, language, now, worksheet.prefix if worksheet else None)
    except (canvas.CanvasError, moodle.MoodleError) as error:
        raise ExportError(str(error)) from None
    return buffer.getvalue()


def _max(rows):
    maxima = {row.total.max_score for row in rows}
    if len(maxima) > 1:
        raise ExportError(f"The students' totals are out of different maxima ({', '.join(map(number, sorted(maxima)))}): "
                          "grade them with the same points.toml before exporting.")
    return maxima.pop() if maxima else 0.0


def written_from(gradebook, rows):
    """``{student id: written answers' score or None}`` of ``rows`` from the gradebook at the URL ``gradebook``."""
    from ..nbgrader_hooks.gradebook import display_url, written_scores

    try:
        return written_scores(gradebook, [row.student_id for row in rows])
    except Exception as error:  # noqa: BLE001 (any database or driver error)
        raise ExportError(f"Cannot read the written answers' scores from the gradebook {display_url(gradebook)}: "
                          f"{type(error).__name__}: {error}. Pass --gradebook URL, or --gradebook none with "
                          "--part code.") from None


def export(graded, form, out, roster=None, gradebook=None, part="total", assignment=None, force=False, *,
           canvas_gradebook=None, max_grade=None, language="en", now=None, moodle_worksheet=None):
    """Write the grades of ``graded`` (an output folder of ``grade``) in the format ``form`` to the file ``out``.

    Parameters
    ----------
    graded : path
        The ``--out`` folder of ``python -m autograder grade`` or ``merge``.
    form : str
        A key of :data:`FORMATS`.
    out : path
        The CSV file to write (an existing one only with ``force``).
    roster : autograder.lms.roster.Roster or None
        Names and LMS ids of the students.
    gradebook : str or None
        URL of nbgrader's gradebook, where the written answers' scores are read (fresher than ``totals.csv``).
    part : str
        A key of :data:`PARTS`: the total (code and written answers) or the code's points alone.
    assignment : str or None
        Canvas: the assignment's column, ``Name (id)`` (or, with ``canvas_gradebook``, its name).
    canvas_gradebook : path or None
        Canvas: a gradebook exported from Canvas, where the column, its points and the students are read.
    max_grade : float or None
        The assignment's maximum grade in the LMS: the scores are scaled to it (required for Moodle).
    language : str
        Moodle: the language of the instructor's Moodle interface (:data:`autograder.lms.moodle.LANGUAGES`).
    now : datetime or None
        Moodle: the worksheet's time stamp (default: the present).
    moodle_worksheet : path or None
        Moodle: a grading worksheet downloaded from the assignment, whose header and participants are checked.

    Returns
    -------
    Exported
    """
    _check_request(form, part, out, force, max_grade)
    column = _canvas_column(assignment, canvas_gradebook) if form == "canvas" else None
    worksheet = _moodle_request(max_grade, language, moodle_worksheet) if form == "moodle" else None
    rows, absent, unknown = with_roster(read_totals(graded), roster)
    if gradebook and part == "total":
        rows = with_written(rows, written_from(gradebook, rows))
    rows = exported(rows, part, form)
    text = render(rows, form, column, max_grade, language, now, worksheet)
    out = Path(out)
    partial = out.with_name(f".{out.name}.partial-{secrets.token_hex(4)}")
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, out)
    notes = []
    if unknown:
        notes.append(f"{len(unknown)} graded student{'s are' if len(unknown) > 1 else ' is'} not in the roster, "
                     f"exported under the LMS id of the download: {_some(unknown)}.")
    if form != "plain" and rows and max_grade is not None and abs(max_grade - _max(rows)) > 1e-9:
        notes.append(f"Scores scaled from {number(_max(rows))} to the LMS's maximum grade {number(max_grade)}.")
    return Exported(len(rows), absent, notes)


def _check_request(form, part, out, force, max_grade):
    if form not in FORMATS:
        raise ExportError(f"--format must be one of {', '.join(FORMATS)}, got {form!r}.")
    if part not in PARTS:
        raise ExportError(f"--part must be one of {', '.join(PARTS)}, got {part!r}.")
    if max_grade is not None and not max_grade > 0:
        raise ExportError(f"--max-grade must be above 0, got {max_grade:g}.")
    out = Path(out)
    if out.is_dir():
        raise ExportError(f"--out {out} is a folder: give the name of the CSV file to write.")
    if out.exists() and not force:
        raise ExportError(f"--out {out} exists: pass --force to replace it, or choose another name.")


def _canvas_column(assignment, canvas_gradebook):
    try:
        if canvas_gradebook:
            return canvas.read_gradebook(canvas_gradebook, assignment or course.ASSIGNMENT)
        if not assignment:
            raise ExportError("Canvas needs the assignment's column named explicitly, or it creates a new "
                              "assignment and leaves the real one ungraded: give --assignment \"Name (id)\" as "
                              "Canvas's gradebook export heads the column, or --canvas-gradebook with a gradebook "
                              "exported from Canvas (Grades > Export).")
        return canvas.named_column(assignment)
    except canvas.CanvasError as error:
        raise ExportError(str(error)) from None


def _moodle_request(max_grade, language, worksheet):
    """The :class:`~autograder.lms.moodle.Worksheet` of ``worksheet`` (None without one), once the request can be
    written at all."""
    try:
        moodle.strings(language)
        read = moodle.read_worksheet(worksheet, language) if worksheet else None
    except moodle.MoodleError as error:
        raise ExportError(str(error)) from None
    if language != "en" and worksheet is None:
        raise ExportError(f"--language {language} needs --moodle-worksheet, a grading worksheet downloaded from the "
                          "assignment: Moodle cuts exactly the length of its language pack's \"Participant\" off each "
                          "identifier, packs of other versions differ, and a prefix of the wrong length credits other "
                          "participants. The worksheet holds the site's own.")
    if max_grade is None:
        raise ExportError("Moodle ignores the worksheet's Maximum Grade and skips, without a word, every grade above "
                          "the assignment's own maximum grade: give --max-grade with the assignment's maximum grade "
                          "(Settings > Grade > Maximum grade; Moodle's default is 100). The scores are scaled to it.")
    return read


def _some(items):
    items = list(items)
    return ", ".join(items[:SHOWN]) + (f" and {len(items) - SHOWN} more" if len(items) > SHOWN else "")
