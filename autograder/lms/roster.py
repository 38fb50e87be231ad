"""The course roster: which course student each LMS id is, with the names an LMS import needs.

``--roster roster.csv`` is a CSV file with a header. Two columns are required:

- ``student_id``: the id the course uses (nbgrader's student id, the folder names of ``submitted/``);
- ``lms_id``: the id the LMS download gives the student: the Canvas user id, the Moodle participant id
  (the number in ``Bob Jones_1002_assignsubmission_file_``), or the Blackboard user name.

Optional columns fill in the exported grades files: ``name``, ``email``, ``section``, ``sis_user_id``,
``sis_login_id``. Column names are matched without regard to case, spaces or hyphens (``Student ID``,
``student-id``). Every other column is ignored.
"""

import csv
from dataclasses import dataclass
from pathlib import Path

REQUIRED = ("student_id", "lms_id")
OPTIONAL = ("name", "email", "section", "sis_user_id", "sis_login_id")
#: Characters a student id may not hold: it names the student's folder of outputs.
#: Path separators; every character that is not printable (control, bidirectional, ...) is refused too.
_UNSAFE = set('/\\')


class RosterError(ValueError):
    """The roster cannot be used; the message says where and what to fix."""


@dataclass(frozen=True)
class Student:
    """One row of the roster."""

    student_id: str
    lms_id: str
    name: str = ""
    email: str = ""
    section: str = ""
    sis_user_id: str = ""
    sis_login_id: str = ""


class Roster:
    """The roster's students, found by LMS id or by course id."""

    def __init__(self, students, source="the roster"):
        self.source = source
        self.students = list(students)
        self.by_lms_id = {student.lms_id: student for student in self.students}
        self.by_student_id = {student.student_id: student for student in self.students}

    def find(self, some_id):
        """The student whose LMS id, or else course id, is ``some_id`` (None when neither is)."""
        return self.by_lms_id.get(some_id) or self.by_student_id.get(some_id)


def _column(name):
    return "_".join(name.strip().lower().replace("-", " ").replace("_", " ").split())


def check_student_id(student_id, where):
    """Raise RosterError when ``student_id`` cannot name a folder of outputs."""
    if (student_id in (".", "..") or student_id.startswith(".") or _UNSAFE & set(student_id)
            or not student_id.isprintable()):
        raise RosterError(f"{where}: the student id {student_id!r} cannot name a folder (no '/', '\\', control "
                          "characters, nor a leading '.'): use the course's plain ids.")


def read_roster(path):
    """The :class:`Roster` in the CSV file ``path``; RosterError saying what to fix when it is unusable."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as error:
        raise RosterError(f"Cannot read the roster {path}: {error.strerror or error}.") from None
    except UnicodeDecodeError:
        raise RosterError(f"The roster {path} is not UTF-8 text: save it as CSV UTF-8.") from None
    rows = list(csv.reader(text.splitlines()))
    if not rows:
        raise RosterError(f"The roster {path} is empty: it needs a header naming the columns student_id and lms_id, "
                          "then one line per student.")
    header = [_column(name) for name in rows[0]]
    missing = [name for name in REQUIRED if name not in header]
    if missing:
        raise RosterError(f"The roster {path} has no {' and no '.join(missing)} column (its header names: "
                          f"{', '.join(rows[0]) or 'nothing'}). Its first line must name the columns student_id (the "
                          "course's id) and lms_id (the id in the LMS download).")
    index = {name: header.index(name) for name in REQUIRED + OPTIONAL if name in header}
    students, seen = [], {"student_id": {}, "lms_id": {}}
    for line, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        values = {name: (row[i].strip() if i < len(row) else "") for name, i in index.items()}
        for name in REQUIRED:
            if not values[name]:
                raise RosterError(f"{path}, line {line}: the {name} is empty: every student needs both ids.")
            if values[name] in seen[name]:
                raise RosterError(f"{path}, lines {seen[name][values[name]]} and {line}: the {name} "
                                  f"{values[name]!r} is given twice: each student must appear once.")
            seen[name][values[name]] = line
        check_student_id(values["student_id"], f"{path}, line {line}")
        students.append(Student(**values))
    return Roster(students, str(path))
