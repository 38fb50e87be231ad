"""The course roster: which course student each LMS id is, with the names an LMS import needs.

``--roster roster.csv`` is a CSV file with a header. Two columns are required:

- ``student_id``: the id the course uses (nbgrader's student id, the folder names of ``submitted/``);
- ``lms_id``: the id the LMS download gives the student: the Canvas user id, the Moodle participant id
  (the number in ``Bob Jones_1002_assignsubmission_file_``), or the Blackboard user name.

Optional columns fill in the exported grades files: ``name``, ``email``, ``section``, ``sis_user_id``,
``sis_login_id``; ``group_id`` names the student's team in a group assignment (the Moodle group id of a team
submission's download, or any name shared by the team's rows for Canvas, whose group downloads are filed under one
member's user id): a team's submission is graded, and exported, for every member. Column names are matched
without regard to case, spaces or hyphens (``Student ID``, ``student-id``). Every other column is ignored.

The two kinds of id are never looked up in each other's place: :meth:`Roster.by_lms_id` reads an id an LMS
download gave, :meth:`Roster.by_course_id` a course id (a folder of ``submitted/``, a row of ``totals.csv``).
A course id equal to another student's LMS id (Ana's course id ``1001``, Bob's Moodle id ``1001``) therefore
finds Ana by one and Bob by the other.
"""

import csv
from dataclasses import dataclass
from pathlib import Path

REQUIRED = ("student_id", "lms_id")
OPTIONAL = ("name", "email", "section", "sis_user_id", "sis_login_id", "group_id")
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
    #: The student's team in a group assignment ("" for none).
    group_id: str = ""


class Roster:
    """The roster's students, found by LMS id, by course id, or as the members of a team."""

    def __init__(self, students, source="the roster"):
        self.source = source
        self.students = list(students)
        self._by_lms_id = {student.lms_id: student for student in self.students}
        self._by_course_id = {student.student_id: student for student in self.students}
        self._groups = {}
        for student in self.students:
            if student.group_id:
                self._groups.setdefault(student.group_id, []).append(student)

    def by_lms_id(self, lms_id):
        """The student whose id in the LMS (the download's, the import's) is ``lms_id``; None when nobody's is."""
        return self._by_lms_id.get(lms_id)

    def by_course_id(self, student_id):
        """The student whose course id (nbgrader's, the folder of outputs) is ``student_id``; None when nobody's is."""
        return self._by_course_id.get(student_id)

    def group(self, group_id):
        """The members of the team ``group_id``, in roster order ([] when no row names it)."""
        return list(self._groups.get(group_id, ()))

    @property
    def has_groups(self):
        """Whether the roster names teams (a ``group_id`` column with a value)."""
        return bool(self._groups)

    def members_for_lms_id(self, lms_id, group_first=False):
        """Whom a download's entry under ``lms_id`` belongs to: ``(students, how)``.

        ``how`` is ``"student"`` (the student of that LMS id, with the other members of their team),
        ``"group"`` (the members of the team of that group id) or ``""`` (nobody: ``students`` is empty).
        ``group_first`` reads the id as a group id before a student's: Moodle files a team submission under
        the group's id, Canvas under one member's user id.
        """
        student = self.by_lms_id(lms_id)
        team = self.group(lms_id)
        if team and (group_first or student is None):
            return team, "group"
        if student is None:
            return [], ""
        return (self.group(student.group_id) if student.group_id else [student]), "student"


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
