"""From SUBMITTED, a folder or an LMS download's zip, to one :class:`Submission` per student.

The top-level entries are grouped by student with the LMS naming conventions of :mod:`.layouts`, mapped
to the course's ids by an optional roster (:mod:`autograder.lms.roster`), and each student's files
searched for the assignment (:mod:`.locate`). Nothing under SUBMITTED is ever written: zips are unpacked
into a work folder. One student's unreadable zip costs that student only, and is named as in the
download; what belongs to no student is named in the batch's notes for the instructor.
"""

import os
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from .. import course
from ..lms.roster import RosterError, check_student_id
from . import layouts
from .archive import ArchiveError, Budget, is_zip, unpack_tree
from .files import capped_notes, ignored
from .locate import STUDENT_FILES, Node, Source, Walker, assignment_notebooks, choose, newest_notebooks

#: Ids listed in a batch note before "and N more".
SHOWN = 10


class SubmissionsError(RuntimeError):
    """SUBMITTED cannot be read as a batch of submissions."""


@dataclass
class Submission:
    """One student's submission: the assignment folder to grade, and what the student should know about it."""

    student_id: str
    #: The assignment folder to grade (None when no copy of the assignment was found).
    folder: Path = None
    notes: list = field(default_factory=list)
    #: The student's name, from the roster or the LMS download ("" when neither gives one).
    name: str = ""
    #: The convention the download was read with (:mod:`.layouts`) and the student's id in it.
    lms: str = ""
    lms_id: str = ""
    #: Notebooks of the assignment found outside ``folder``: ``{name: path}``.
    notebooks: dict = field(default_factory=dict)
    #: The copy that was chosen (:class:`autograder.intake.locate.Candidate`), None when there was none.
    candidate: object = None
    #: When the LMS says the submission was made (a Blackboard attempt), else None.
    attempt: datetime = None


@dataclass
class Batch:
    """The submissions of a batch, sorted by student id, and notes for the instructor about the batch."""

    submissions: list
    notes: list = field(default_factory=list)


@dataclass
class _Student:
    lms: str
    lms_id: str
    name: str = ""
    sources: list = field(default_factory=list)
    problems: list = field(default_factory=list)
    walker: object = None


def read_batch(submitted, workdir, roster=None):
    """Every student's :class:`Submission` in ``submitted``, a folder or a ``.zip`` file.

    Parameters
    ----------
    submitted : path
        nbgrader's ``submitted/`` folder, a folder of one folder (or zip) per student, or an LMS download
        (a ``.zip`` file, or the folder it was unpacked to).
    workdir : path
        An empty folder for what is unpacked and assembled (a temporary folder: nothing is kept).
    roster : autograder.lms.roster.Roster or None
        Maps the LMS's ids to the course's.

    Raises
    ------
    SubmissionsError
        When ``submitted`` cannot be read as a batch at all (not a folder nor a readable zip, no submissions).
    """
    submitted, workdir = Path(submitted), Path(workdir)
    budget = Budget()
    known = {}
    if submitted.is_file():
        if not is_zip(submitted.name):
            raise SubmissionsError(f"{submitted} is a file but not a .zip: give a folder of submissions or an LMS "
                                   "download (.zip).")
        download = workdir / "download"
        try:
            problems = unpack_tree(submitted, download, budget)
        except ArchiveError as error:
            raise SubmissionsError(f"{submitted} {error}.") from None
        known = {download / path: reason for path, reason in problems}
        root = download
    elif submitted.is_dir():
        root = submitted
    else:
        raise SubmissionsError(f"{submitted} is not a folder of submissions (nor a .zip file).")
    root = _descend(root)
    entries = _entries(root)
    students, notes = _group(entries, known, workdir, budget)
    if not students:
        raise SubmissionsError(
            f"No submissions in {submitted}: expected one folder per student ({submitted}/<student_id>/"
            f"{course.ASSIGNMENT}/, as nbgrader collect lays them out), or an LMS download (Moodle, Canvas or "
            "Blackboard).")
    by_id = _apply_roster(students, roster, notes)
    read_as = Counter(student.lms for student in students.values() if student.lms != layouts.FOLDER)
    if read_as:
        notes.insert(0, "Read as an LMS download: " + ", ".join(f"{count} student{'s' if count > 1 else ''} named "
                                                                   f"as {lms.capitalize()} names them"
                                                                   for lms, count in sorted(read_as.items())) + ".")
    submissions = []
    for student_id in sorted(by_id):
        group = by_id[student_id]
        submissions.append(_submission(student_id, group, workdir / "students" / str(len(submissions))))
    return Batch(submissions, notes)


def read_student(folder, student_id, workdir):
    """The :class:`Submission` of one student whose files are ``folder`` (e.g. Gradescope's ``/autograder/submission``)."""
    walker = Walker(Path(workdir), Budget())
    root = walker.node("", "", Path(folder))
    student = _Student(layouts.FOLDER, student_id, sources=[Source(root)], walker=walker)
    return _submission(student_id, student, Path(workdir) / "student")


def _holds_work(folder):
    """Whether ``folder`` directly holds a student's work (so it is a student's folder, not a wrapper)."""
    names = assignment_notebooks() + STUDENT_FILES
    try:
        return any(entry.name.startswith((course.ASSIGNMENT, course.PACKAGE)) or entry.name in names
                   for entry in os.scandir(folder))
    except OSError:
        return False


def _descend(root):
    """Below the folders that only wrap the batch (a download's single top folder, ``submitted/``)."""
    while True:
        entries = [entry for entry in os.scandir(root) if not ignored(entry.name)]
        if (len(entries) != 1 or not entries[0].is_dir(follow_symlinks=False) or _holds_work(entries[0].path)
                or layouts.is_lms_entry(entries[0].name, True)):
            return Path(root)
        root = entries[0].path


def _entries(root):
    """``(name, path, display)`` of the batch's top-level entries; a folder of LMS entries (a second download
    beside the first) is opened."""
    found = []
    for entry in sorted(os.scandir(root), key=lambda e: e.name):
        if ignored(entry.name):
            continue
        is_dir = entry.is_dir(follow_symlinks=False)
        if is_dir and not layouts.is_lms_entry(entry.name, True):
            inner = [e for e in os.scandir(entry.path) if not ignored(e.name)]
            if any(layouts.is_lms_entry(e.name, e.is_dir(follow_symlinks=False)) for e in inner):
                found += [(e.name, Path(e.path), f"{entry.name}/{e.name}") for e in sorted(inner, key=lambda e: e.name)]
                continue
        found.append((entry.name, Path(entry.path), entry.name))
    return found


def _group(entries, known, workdir, budget):
    """The students of ``entries`` keyed by (LMS, id), with their sources walked; the batch's notes."""
    students, notes, ignored_names, receipts, attributed = {}, [], [], {}, set()
    # A student's flat files (Canvas, Moodle's flat layout) were handed in together; Blackboard's, per attempt.
    flat, attempts = defaultdict(list), defaultdict(list)
    for name, path, display in entries:
        is_dir = path.is_dir() and not path.is_symlink()
        owner = layouts.classify(name, is_dir)
        if owner is None:
            ignored_names.append(display)
            continue
        key = (owner.lms, owner.lms_id)
        student = students.get(key)
        if student is None:
            student = students[key] = _Student(owner.lms, owner.lms_id, owner.name,
                                               walker=Walker(workdir / "unpacked" / str(len(students)), budget, known))
        if owner.lms == layouts.BLACKBOARD:
            if owner.not_upload:
                receipts[(key, owner.attempt)] = path
            else:
                attempts[(key, owner.attempt)].append((owner.file_name, path, display))
        elif owner.file_name and owner.lms != layouts.FOLDER:
            flat[key].append((owner.file_name, path, display))
        else:
            node = student.walker.node(name, display, path)
            if node is not None:
                student.sources.append(Source(node))
        for problem, reason in known.items():
            if _under(problem, path):
                attributed.add(problem)
                if not problem.is_file():  # a zip that stayed a file is reported by the walker when it reaches it
                    student.problems.append((_relative(problem, path, display), reason))
    for key, files in flat.items():
        students[key].sources.append(Source(_virtual(students[key].walker, files)))
    _blackboard_sources(students, attempts, receipts)
    unattributed = [f"{path.name} {reason}" for path, reason in known.items() if path not in attributed]
    if unattributed:
        notes.append(f"In the download, outside every student's files: {_some(unattributed)}.")
    if ignored_names:
        notes.append(f"Not a student's submission, ignored: {_some(ignored_names)} (files at the top of the batch that "
                     "no LMS naming convention attributes to a student).")
    return students, notes


def _blackboard_sources(students, attempts, receipts):
    """One source per Blackboard attempt, its files under their original names; names from the receipts."""
    for (key, attempt), files in sorted(attempts.items(), key=lambda item: item[0][1]):
        student = students[key]
        originals = {}
        if (key, attempt) in receipts:
            name, user, originals = _receipt(receipts.pop((key, attempt)))
            student.name = student.name or name
            if user.endswith(f"_{student.lms_id}"):
                # A user name with an underscore: the file names cannot tell where the assignment's name ends.
                student.lms_id = user
        files = [(originals.get(display.rsplit("/", 1)[-1], file_name), path, display)
                 for file_name, path, display in files]
        student.sources.append(Source(_virtual(student.walker, files), attempt))
    for (key, _), path in receipts.items():
        students[key].name = students[key].name or _receipt(path)[0]


def _virtual(walker, files):
    """A folder that holds ``files`` (``(name, path, display)``) under the names students gave them."""
    root = Node("", "", None, "dir")
    for name, path, display in files:
        node = walker.node(name, display, path)
        if node is not None:
            root.children.append(node)
    return root


def _receipt(path):
    try:
        return layouts.read_receipt(Path(path).read_text(encoding="utf-8", errors="replace"))
    except OSError:
        return "", "", {}


def _under(path, folder):
    try:
        return Path(path).is_relative_to(folder)
    except ValueError:
        return False


def _relative(path, entry_path, entry_display):
    return f"{entry_display}/{Path(path).relative_to(entry_path).as_posix()}"


def _apply_roster(students, roster, notes):
    """``{course student id: _Student}``: LMS ids mapped through the roster; students of one id merged."""
    by_id, unknown, renamed = {}, [], []
    for student in students.values():
        entry = roster.find(student.lms_id) if roster is not None else None
        student_id = entry.student_id if entry else student.lms_id
        if roster is not None and entry is None:
            unknown.append(student.lms_id)
        try:
            check_student_id(student_id, "id")
        except RosterError:
            safe = "".join(c if c.isprintable() and c not in "/\\" else "_" for c in student_id).lstrip(".") or "_"
            renamed.append(f"{student_id!r} as {safe}")
            student_id = safe
        if entry and entry.name:
            student.name = entry.name
        if student_id in by_id:
            by_id[student_id].sources += student.sources
            by_id[student_id].problems += student.problems
            by_id[student_id].walker.problems += student.walker.problems
        else:
            by_id[student_id] = student
    if unknown:
        notes.append(f"{len(unknown)} LMS id{'s are' if len(unknown) > 1 else ' is'} not in the roster "
                     f"{roster.source}, graded under the LMS id: {_some(sorted(unknown))}.")
    if roster is not None:
        absent = sorted(s.student_id for s in roster.students if s.student_id not in by_id)
        if absent:
            notes.append(f"{len(absent)} student{'s' if len(absent) > 1 else ''} of the roster handed in nothing: "
                         f"{_some(absent)}.")
    if renamed:
        notes.append(f"Ids that cannot name a folder were graded as: {_some(renamed)}.")
    return by_id


def _submission(student_id, student, workdir):
    candidate, folder, notes = choose(student.sources, workdir)
    problems = student.walker.problems + student.problems
    notes = capped_notes([f"{display} {reason}." for display, reason in problems]) + notes
    if student.walker.truncated:
        notes.append("Your submission holds too many files, or folders nested too deep: only part of it was looked at.")
    attempt = candidate.source.attempt if candidate is not None else None
    # A student who handed in notebooks only still has written answers to grade.
    found = candidate.notebooks_elsewhere if candidate else newest_notebooks(student.sources)
    notebooks = {name: node.path for name, node in found.items()}
    if candidate is not None and candidate.kind == "loose":
        notebooks = {}
    return Submission(student_id, folder, notes, student.name, student.lms, student.lms_id, notebooks, candidate,
                      attempt)


def _some(items):
    items = list(items)
    shown = ", ".join(items[:SHOWN])
    return shown + (f" and {len(items) - SHOWN} more" if len(items) > SHOWN else "")
