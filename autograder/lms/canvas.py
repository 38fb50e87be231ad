"""Canvas's Grades > Import, as ``GradebookImporter`` (``app/models/gradebook_importer.rb``) reads a CSV file.

What the importer does with each part of the file, and so what this module writes:

- The header (``process_header``/``header?``): ``Student`` and ``ID`` first, then ``SIS User ID``, ``SIS Login ID``
  and ``Section``, then one column per assignment. A column is an existing assignment only when its title is
  ``Name (id)`` with that assignment's id (``parse_assignments`` through ``Assignment.title_and_id``,
  ``app/models/assignment.rb``) or exactly an existing assignment's title; any other title *creates a new
  assignment*, and the real one stays ungraded. So the column is named explicitly: ``--assignment "Name (id)"``,
  or read from a gradebook the instructor exported from Canvas (:func:`read_gradebook`).
- A row starting ``Points Possible`` (``process_pp``) sets the assignment's points to its cell: none is written,
  so an import never changes an existing assignment's points; they are checked against Canvas's instead.
- Each student row (``process_student``): ``row[1].to_i`` is looked up as a Canvas user id (so ``1001-ana``
  would be user 1001), then the SIS user id, the SIS login id, and last the *name*. Only real Canvas user ids
  are written (never an id from a folder name), and a row with none of them is refused rather than left to the
  name match, which can credit a namesake.
"""

import csv
import re
from dataclasses import dataclass, field
from pathlib import Path

from ..outputs.render import number, text_cell

COLUMNS = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")
#: ``Assignment.title_and_id`` (app/models/assignment.rb): ``/\A(.*)\s\((\d+)\)\z/``.
TITLE_AND_ID = re.compile(r"\A(.*)\s\((\d+)\)\Z", re.DOTALL)
#: Columns of a Canvas export that are no assignment (``NON_ASSIGNMENT_COLUMN_HEADERS``, gradebook_importer.rb),
#: also with "Unposted " before them.
NOT_ASSIGNMENTS = re.compile("Current Score|Current Points|Current Grade|Final Score|Final Points|Final Grade|"
                             "Override Score|Override Grade|Override Status")
#: Its student columns (``GRADEBOOK_IMPORTER_RESERVED_NAMES``).
RESERVED = {"Student", "LastName", "FirstName", "ID", "SIS User ID", "SIS Login ID", "Section", "Integration ID",
            "Root Account"}


class CanvasError(ValueError):
    """The Canvas column or gradebook cannot be used; the message says what to do."""


@dataclass(frozen=True)
class Column:
    """The assignment's column in Canvas: its header, and what a gradebook export says about it."""

    header: str
    #: The assignment's points in Canvas (None when no gradebook was read).
    points_possible: float = None
    #: The Canvas user ids of the course's students, from the gradebook (empty when none was read).
    user_ids: frozenset = field(default_factory=frozenset)
    source: str = ""


def title_and_id(header):
    """``(title, id)`` as Canvas reads a column header (``id`` None when the header names no assignment id)."""
    match = TITLE_AND_ID.match(header)
    return (match[1], match[2]) if match else (header, None)


def named_column(assignment):
    """The :class:`Column` of ``--assignment "Name (id)"``; CanvasError for a name without the id."""
    if title_and_id(assignment)[1] is None:
        raise CanvasError(f"--assignment {assignment!r} names no Canvas assignment id, so Canvas would create a new "
                          "assignment of that name and leave the real one ungraded. Give the column as Canvas's own "
                          "gradebook export heads it, 'Name (id)' (e.g. --assignment \"Loss optimization (1234)\"), "
                          "or --canvas-gradebook with that export.")
    return Column(assignment)


def read_gradebook(path, assignment):
    """The :class:`Column` of the assignment in a gradebook exported from Canvas (Grades > Export > CSV).

    ``assignment`` is the assignment's title (or its whole header ``Name (id)``): exactly one column must match.
    """
    path = Path(path)
    try:
        rows = list(csv.reader(path.read_text(encoding="utf-8-sig").splitlines()))
    except (OSError, UnicodeDecodeError) as error:
        raise CanvasError(f"Cannot read the Canvas gradebook {path}: {error}.") from None
    if not rows or len(rows[0]) < 2 or "Student" not in rows[0][0] or "ID" not in rows[0][1]:
        raise CanvasError(f"{path} is not a gradebook exported from Canvas (its first columns must be Student and "
                          "ID): export it from Grades > Export > Export Entire Gradebook.")
    header = rows[0]
    columns = [(index, name) for index, name in enumerate(header) if name not in RESERVED
               and not NOT_ASSIGNMENTS.search(name) and title_and_id(name)[1] is not None]
    chosen = [(index, name) for index, name in columns if assignment in (name, title_and_id(name)[0])]
    if len(chosen) != 1:
        found = ", ".join(repr(name) for _, name in columns) or "none"
        raise CanvasError(f"{path} has {'no' if not chosen else len(chosen)} assignment column{'s' if chosen else ''} "
                          f"named {assignment!r} (its assignments: {found}): give --assignment with the one to fill, "
                          "as 'Name (id)'.")
    index, name = chosen[0]
    points = None
    user_ids = set()
    for row in rows[1:]:
        if row and "Points Possible" in row[0]:
            points = _points(row[index] if index < len(row) else "", path, name)
        elif len(row) > 1 and row[1].strip().isdigit():
            user_ids.add(row[1].strip())
    return Column(name, points, frozenset(user_ids), str(path))


def _points(cell, path, name):
    cell = cell.strip()
    if re.search(r"read\s+only", cell):  # readonly_assignment?: Canvas drops the whole column from the import
        raise CanvasError(f"{path}: Canvas marks {name!r} read only (Points Possible {cell!r}), so it imports no grade "
                          "into it (a moderated or anonymous assignment whose grades are not posted?). Post or "
                          "release its grades in Canvas, export the gradebook again, and retry.")
    try:
        return float(cell) if cell else None
    except ValueError:
        raise CanvasError(f"{path}: the Points Possible of {name!r} is {cell!r}, not a number.") from None


def canvas_id(row):
    """The Canvas user id to write for ``row`` ("" under anonymous grading or when the id is no user id)."""
    return row.lms_id if row.lms_id.isdigit() else ""


def check(rows, column, max_grade):
    """Refuse what Canvas would misread: a student it could find only by name, an id given twice, a student not
    in the course's gradebook, or points that differ from the assignment's."""
    lacking = [row.student_id for row in rows if not (canvas_id(row) or row.sis_user_id or row.sis_login_id)]
    if lacking:
        raise CanvasError(f"{_count(lacking)} no Canvas user id nor SIS id, so Canvas could find "
                          "them only by name, perhaps as a namesake: "
                          f"{', '.join(lacking)}. Give --roster with their lms_id (see autograder/GRADING.md).")
    seen = {}
    for row in rows:
        if canvas_id(row) and seen.setdefault(canvas_id(row), row.student_id) != row.student_id:
            raise CanvasError(f"{seen[canvas_id(row)]} and {row.student_id} have the same Canvas user id "
                              f"{canvas_id(row)}: one would overwrite the other's grade. Fix the roster.")
    if column.user_ids:
        unknown = [row.student_id for row in rows if canvas_id(row) and canvas_id(row) not in column.user_ids]
        if unknown:
            raise CanvasError(f"{_count(unknown)} a Canvas user id that is no student of {column.source}: "
                              f"{', '.join(unknown)}. Check the roster's lms_id against the gradebook's ID column.")
    if column.points_possible is not None and abs(column.points_possible - max_grade) > 1e-9:
        raise CanvasError(f"{column.header!r} is worth {number(column.points_possible)} points in Canvas "
                          f"({column.source}), the export {number(max_grade)}: give --max-grade "
                          f"{number(column.points_possible)} to scale the scores to it, or set the assignment's "
                          f"points to {number(max_grade)} in Canvas and export its gradebook again.")


def write(writer, rows, column, scores):
    """The import file's rows: the header and one row per student (no Points Possible row, see above)."""
    writer.writerow(COLUMNS + (column.header,))
    for row in rows:
        writer.writerow([*map(text_cell, (row.name, canvas_id(row), row.sis_user_id, row.sis_login_id, row.section)),
                         number(scores[row.student_id])])


def _count(items):
    return f"{len(items)} student{'s have' if len(items) > 1 else ' has'}"
