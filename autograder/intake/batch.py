"""From SUBMITTED, a folder or an LMS download's zip, to one :class:`Submission` per student.

The top-level entries are grouped by student with the LMS naming conventions of :mod:`.layouts`, mapped
to the course's ids by an optional roster (:mod:`autograder.lms.roster`), and each student's files
searched for the assignment (:mod:`.locate`). Nothing under SUBMITTED is ever written: zips are unpacked
into a work folder: the download's own zip first, each student's zips as their files are walked, within that
student's allowance (:class:`.archive.Allowance`). Whatever fails while one student's files are read costs that
student only, with a note naming it as in the download; what belongs to no student is named in the batch's notes
for the instructor.
"""

import functools
import os
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

from .. import course
from ..lms.roster import RosterError, check_student_id
from ..outputs.text import clean
from . import layouts
from .archive import ArchiveError, Budget, is_zip, unpack_tree
from .files import capped_notes, ignored
from .locate import STUDENT_FILES, Node, Source, Walker, assignment_notebooks, choose, newest_notebooks
from .times import BLACKBOARD_ATTEMPT, NBGRADER_TIMESTAMP, nbgrader_timestamp

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
    #: The convention the download was read with (:mod:`.layouts`) and the student's id in the LMS ("" when only a
    #: folder's name, which is a course id, named the student).
    lms: str = ""
    lms_id: str = ""
    #: Notebooks of the assignment found outside ``folder``: ``{name: path}``.
    notebooks: dict = field(default_factory=dict)
    #: The copy that was chosen (:class:`autograder.intake.locate.Candidate`), None when there was none.
    candidate: object = None
    #: When the LMS says the submission was made (a Blackboard attempt), else None.
    attempt: datetime = None
    #: When the submission was made, as the route that delivered it records it (naive, in that route's clock:
    #: a Blackboard attempt's time, nbgrader's ``timestamp.txt``), None where nothing trustworthy says; and which
    #: record it was read from (for a late policy and its notes).
    submitted_at: datetime = None
    submitted_from: str = ""
    #: Canvas's LATE flag (True or False in a Canvas download; None where the LMS does not say).
    late: bool = None


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
    late: bool = None
    #: The student's folder in nbgrader's ``submitted/`` (where its ``timestamp.txt`` is), None otherwise.
    folder: Path = None


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
    roster_ids = None if roster is None else {student.lms_id for student in roster.students}
    budget = Budget()
    known = {}
    if submitted.is_file():
        if not is_zip(submitted.name):
            raise SubmissionsError(f"{submitted} is a file but not a .zip: give a folder of submissions or an LMS "
                                   "download (.zip).")
        download = workdir / "download"
        try:
            # The students' own zips are unpacked by their walkers, each within that student's allowance.
            problems = unpack_tree(submitted, download, budget, nested=False,
                                   owners=functools.partial(layouts.owner_keys, roster_ids=roster_ids))
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
    students, notes = _group(entries, known, workdir, budget, roster_ids)
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
    # Notes name the students' own files: an escape sequence there would act on the terminal they are printed
    # to (grade's stderr, zip_collect's log) before any page cleans it.
    notes = [clean(note) for note in notes]
    submissions = []
    for student_id in sorted(by_id):
        group = by_id[student_id]
        submissions.append(_submission(student_id, group, workdir / "students" / str(len(submissions))))
    return Batch(submissions, notes)


def read_student(folder, student_id, workdir):
    """The :class:`Submission` of one student whose files are ``folder`` (e.g. Gradescope's ``/autograder/submission``)."""
    walker = Walker(Path(workdir), Budget())
    student = _Student(layouts.FOLDER, student_id, walker=walker)
    _add_source(student, lambda: walker.node("", "", Path(folder)))
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
    """``(name, path, display, lms)`` of the batch's top-level entries, ``lms`` the LMS that wrote them (None for a
    folder per student).

    Which layout the batch is, is decided once, from its top: an LMS writes every top-level entry of its download,
    so a folder there that holds only LMS entries is a second download beside the first; where the top holds no LMS
    entry, every folder and zip is a student's and whatever is inside is that student's content, never a download
    (unless every top-level folder holds only LMS entries: several downloads side by side).
    """
    top = _listing(root)
    lms = layouts.download_lms([(entry.name, is_dir) for entry, is_dir in top])
    if lms is None:
        wrappers = [_download_inside(entry) for entry, is_dir in top if is_dir]
        if not top or len(wrappers) != len(top) or not all(wrappers):
            return [(entry.name, Path(entry.path), entry.name, None) for entry, _ in top]
        return [found for inner in wrappers for found in inner]
    found = []
    for entry, is_dir in top:
        inner = _download_inside(entry) if is_dir and not layouts.is_lms_entry(entry.name, True) else None
        found += inner or [(entry.name, Path(entry.path), entry.name, lms)]
    return found


def _listing(folder):
    """``(entry, is_dir)`` of ``folder``'s entries that are not leftovers, sorted by name."""
    return [(entry, entry.is_dir(follow_symlinks=False)) for entry in sorted(os.scandir(folder), key=lambda e: e.name)
            if not ignored(entry.name)]


def _download_inside(entry):
    """The entries of the folder ``entry`` when it is a download (every entry an LMS's), else None."""
    try:
        inner = _listing(entry.path)
    except OSError:
        return None
    lms = layouts.download_lms([(e.name, is_dir) for e, is_dir in inner])
    if lms is None or not all(_named_by(lms, e.name, is_dir) for e, is_dir in inner):
        return None
    return [(e.name, Path(e.path), f"{entry.name}/{e.name}", lms) for e, _ in inner]


def _named_by(lms, name, is_dir):
    owner = layouts.classify(name, is_dir, lms)
    return owner is not None and owner.lms == lms


def _entry_owners(entries, roster_ids=None):
    """``[(owner, path, display)]`` for the entries (None for those no convention names); Blackboard's prefixes
    split into assignment and user name."""
    owned = []
    for name, path, display, lms in entries:
        is_dir = path.is_dir() and not path.is_symlink()
        owned.append((layouts.classify(name, is_dir, lms) if lms else _plain(name, is_dir), path, display))
    owned = [(settled, path, display) for settled, (_, path, display)
             in zip(layouts.settle_canvas([owner for owner, _, _ in owned], roster_ids), owned)]
    heads = [owner.lms_id for owner, _, _ in owned if owner and owner.lms == layouts.BLACKBOARD]
    if heads:
        receipts = {owner.lms_id: _receipt(path)[1] for owner, path, _ in owned
                    if owner and owner.lms == layouts.BLACKBOARD and owner.not_upload}
        users = layouts.blackboard_users(heads, receipts)
        owned = [(replace(owner, lms_id=users[owner.lms_id]) if owner and owner.lms == layouts.BLACKBOARD else owner,
                  path, display) for owner, path, display in owned]
    return owned


def _plain(name, is_dir):
    """A folder per student: a folder or zip is a student, whatever its name looks like."""
    if is_dir:
        return layouts.Owner(layouts.FOLDER, name[:-len(".zip")] if is_zip(name) else name)
    if is_zip(name):
        return layouts.Owner(layouts.FOLDER, name[:-len(".zip")], file_name=name)
    return None


def _group(entries, known, workdir, budget, roster_ids=None):
    """The students of ``entries`` keyed by (LMS, id), with their sources walked; the batch's notes."""
    students, notes, ignored_names, receipts, attributed, unattributed, ambiguous = {}, [], [], {}, set(), [], []
    # A student's flat files (Canvas, Moodle's flat layout) were handed in together; Blackboard's, per attempt.
    flat, attempts = defaultdict(list), defaultdict(list)
    for owner, path, display in _entry_owners(entries, roster_ids):
        if owner is None:
            ignored_names.append(display)
            continue
        if owner.unattributed or not owner.lms_id:
            unattributed.append(f"{display} ({owner.unattributed or 'no id in its name'})")
            continue
        if owner.other_readings:
            others = " or ".join(f"{other.lms_id}'s" for other in owner.other_readings)
            ambiguous.append(f"{display} (read as {owner.lms_id}'s; it also reads as {others})")
        key = (owner.lms, owner.lms_id)
        student = students.get(key)
        if student is None:
            student = students[key] = _Student(owner.lms, owner.lms_id, owner.name,
                                               walker=Walker(workdir / "unpacked" / str(len(students)), budget, known))
        if owner.late is not None:
            student.late = bool(student.late) or owner.late
        if owner.lms == layouts.BLACKBOARD:
            if owner.not_upload:
                receipts[(key, owner.attempt)] = path
            else:
                attempts[(key, owner.attempt)].append((owner.file_name, path, display))
        elif owner.file_name and owner.lms != layouts.FOLDER:
            flat[key].append((owner.file_name, path, display))
        else:
            if owner.lms == layouts.FOLDER and path.is_dir() and not is_zip(path.name):
                student.folder = path
            _add_source(student, lambda: student.walker.node(path.name, display, path))
        for problem, reason in known.items():
            if _under(problem, path):
                attributed.add(problem)
                # A zip that stayed a file is reported by the walker when it reaches it; another file left empty (an
                # entry refused whole) is reported here.
                if not (problem.is_file() and is_zip(problem.name)):
                    student.problems.append((_relative(problem, path, display), reason))
    for key, files in flat.items():
        _add_source(students[key], lambda: _virtual(students[key].walker, files))
    _blackboard_sources(students, attempts, receipts)
    _batch_notes(notes, known, attributed, unattributed, ignored_names)
    if ambiguous:
        notes.append(f"Entries whose Canvas name can be read as more than one id's (a sortable name that ends in "
                     f"_<digits>, or a file name that starts with <digits>_), none of them a student's in the roster; "
                     f"read as Canvas's own import reads them (the first id), check whose they are: {_some(ambiguous)}.")
    return students, notes


def _add_source(student, make_root, attempt=None):
    """Walk one source of ``student`` (``make_root()``); a failure costs this student only, with a note."""
    try:
        root = make_root()
    except Exception as error:  # noqa: BLE001 -- whatever a student's files make the walk raise, it is theirs alone
        student.problems.append(("Your files", f"could not be read ({type(error).__name__}): nothing of this part "
                                               "was graded"))
        return
    if root is not None:
        student.sources.append(Source(root, attempt))


def _batch_notes(notes, known, attributed, unattributed, ignored_names):
    outside = [f"{path.name} {reason}" for path, reason in known.items() if path not in attributed]
    if outside:
        notes.append(f"In the download, outside every student's files: {_some(outside)}.")
    if unattributed:
        notes.append(f"Not attributed to any student (the LMS's name for it holds no id; grade them by hand): "
                     f"{_some(unattributed)}.")
    if ignored_names:
        notes.append(f"Not a student's submission, ignored: {_some(ignored_names)} (files at the top of the batch that "
                     "no LMS naming convention attributes to a student).")


def _blackboard_sources(students, attempts, receipts):
    """One source per Blackboard attempt, its files under their original names; names from the receipts."""
    for (key, attempt), files in sorted(attempts.items(), key=lambda item: item[0][1]):
        student = students[key]
        originals = {}
        if (key, attempt) in receipts:
            stored = [display.rsplit("/", 1)[-1] for _, _, display in files]
            name, _, originals = _receipt(receipts.pop((key, attempt)), stored)
            student.name = student.name or name
        files = [(originals.get(display.rsplit("/", 1)[-1], file_name), path, display)
                 for file_name, path, display in files]
        _add_source(student, lambda: _virtual(student.walker, files), attempt)
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


#: A receipt longer than this is read only this far (Blackboard's own lines come first).
RECEIPT_BYTES = 256 * 1024


def _receipt(path, stored_names=()):
    try:
        with open(path, "rb") as handle:
            text = handle.read(RECEIPT_BYTES).decode("utf-8", errors="replace")
    except OSError:
        return "", "", {}
    return layouts.read_receipt(text, stored_names)


def _under(path, folder):
    try:
        return Path(path).is_relative_to(folder)
    except ValueError:
        return False


def _relative(path, entry_path, entry_display):
    inside = Path(path).relative_to(entry_path).as_posix()
    return entry_display if inside == "." else f"{entry_display}/{inside}"


def _apply_roster(students, roster, notes):
    """``{course student id: _Student}``: each entry of the download graded for every student it is; entries of one
    student merged (with a note); nobody merged or left out without a note."""
    reserved = {entry.student_id for entry in roster.students} if roster is not None else set()
    by_id, kinds, unknown, renamed, both, prefixed = {}, defaultdict(list), [], [], [], []
    teams = _moodle_teams(students.values(), roster)
    for student in students.values():
        group_first = student.lms == layouts.MOODLE and _moodle_entry_is_a_team(student, roster, teams)
        owners, known = _owners(student, roster, group_first)
        if roster is not None and student.lms != layouts.FOLDER and roster.by_lms_id(student.lms_id) \
                and roster.group(student.lms_id):
            both.append(f"{student.lms_id} (read as {'the team' if group_first else 'the student'})")
        for student_id, owner in owners:
            if not known and roster is not None:
                unknown.append(student.lms_id)
                if student_id in reserved:  # another student's course id: never graded as theirs
                    student_id = f"{student.lms}-{student.lms_id}"
                    prefixed.append(student_id)
            student_id = _folder_safe(student_id, renamed)
            kinds[student_id].append(f"{_KIND[student.lms]} {student.lms_id}")
            if student_id in by_id:
                _merge(by_id[student_id], owner)
            else:
                by_id[student_id] = owner
    if unknown:
        notes.append(f"{len(unknown)} LMS id{'s are' if len(unknown) > 1 else ' is'} not in the roster "
                     f"{roster.source}, graded under the LMS id: {_some(sorted(unknown))}.")
    if prefixed:
        notes.append(f"LMS ids not in the roster that are another student's course id there, graded under the LMS's "
                     f"name and the id so as not to be taken for theirs: {_some(sorted(prefixed))}.")
    if both:
        notes.append(f"Ids that are both a student's LMS id and a team's group_id in {roster.source} (Moodle files a "
                     "team's submission under the group's id, the other LMSs under a member's): "
                     f"{_some(sorted(both))}.")
    merged = [f"{student_id} ({' and '.join(found)})" for student_id, found in sorted(kinds.items()) if len(found) > 1]
    if merged:
        notes.append(f"Entries graded as one student (the newest copy graded): {_some(merged)}.")
    if roster is not None:
        absent = sorted(s.student_id for s in roster.students if s.student_id not in by_id)
        if absent:
            notes.append(f"{len(absent)} student{'s' if len(absent) > 1 else ''} of the roster handed in nothing: "
                         f"{_some(absent)}.")
    if renamed:
        notes.append(f"Ids that cannot name a folder were graded as: {_some(renamed)}.")
    return by_id


#: How a note names an id of each convention.
_KIND = {layouts.FOLDER: "the folder", layouts.MOODLE: "Moodle's", layouts.CANVAS: "Canvas's",
         layouts.BLACKBOARD: "Blackboard's"}


def _moodle_teams(students, roster):
    """Whether the Moodle entries of a download are teams' (True), students' (False), or cannot say (None).

    A Moodle assignment files all its entries one way: under group ids for team submissions, participant ids
    otherwise (``mod/assign/classes/downloader.php``, ``get_student_prefix``). The entries whose id is only one of
    the two kinds say which; an id that is both is read the same way.
    """
    if roster is None:
        return None
    kinds = set()
    for student in students:
        if student.lms == layouts.MOODLE:
            is_student, is_team = roster.by_lms_id(student.lms_id) is not None, bool(roster.group(student.lms_id))
            if is_student != is_team:
                kinds.add(is_team)
    return kinds.pop() if len(kinds) == 1 else None


def _moodle_entry_is_a_team(student, roster, teams):
    """Read a Moodle entry's id as a group's: by the download's other entries (``teams``), else by its name (a
    participant's entry is named after them, a team's after the group), else as a group's, Moodle's team form."""
    if teams is not None:
        return teams
    entry = roster.by_lms_id(student.lms_id) if roster is not None else None
    return not (entry is not None and entry.name and _same_name(entry.name, student.name))


def _same_name(roster_name, entry_name):
    """Whether a roster's name is the one Moodle wrote into an entry (it writes ``_`` as a space)."""
    def plain(name):
        return " ".join(unicodedata.normalize("NFC", name).replace("_", " ").casefold().split())
    return plain(roster_name) == plain(entry_name)


def _owners(student, roster, group_first=False):
    """``([(course id, _Student)], known)``: whom the entry ``student`` is graded for, each with their own LMS id.

    A folder is named by a course id (nbgrader's ``submitted/<student id>``), an LMS's entry by an LMS id: each is
    looked up as what it is, never as the other kind (issue 18). A folder's name is never taken for an LMS id.
    """
    entries = []
    if roster is not None and student.lms == layouts.FOLDER:
        entries = [entry] if (entry := roster.by_course_id(student.lms_id)) else []
    elif roster is not None:
        entries, _ = roster.members_for_lms_id(student.lms_id, group_first=group_first)
    if not entries:
        lms_id = "" if student.lms == layouts.FOLDER else student.lms_id
        return [(student.lms_id, replace(student, lms_id=lms_id))], False
    return [(entry.student_id, replace(student, lms_id=entry.lms_id, name=entry.name or student.name,
                                       sources=list(student.sources), problems=list(student.problems)))
            for entry in entries], True


def _folder_safe(student_id, renamed):
    try:
        check_student_id(student_id, "id")
    except RosterError:
        safe = "".join(c if c.isprintable() and c not in "/\\" else "_" for c in student_id).lstrip(".") or "_"
        renamed.append(f"{student_id!r} as {safe}")
        return safe
    return student_id


def _merge(into, student):
    into.sources += student.sources
    into.problems += student.problems
    if into.walker is not student.walker:
        into.walker.problems += student.walker.problems


def _submission(student_id, student, workdir):
    try:
        candidate, folder, notes = choose(student.sources, workdir)
    except Exception as error:  # noqa: BLE001 -- whatever a student's files make the search raise, it is theirs alone
        candidate, folder, notes = None, None, [f"Your files could not be read ({type(error).__name__}): nothing was "
                                                "graded. Hand in the loss_optimization/ folder (or a zip of it)."]
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
    submitted_at, submitted_from = _submitted_at(student, candidate, attempt)
    notes = [clean(note) for note in notes]  # they name the student's files (see read_batch)
    return Submission(student_id, folder, notes, student.name, student.lms, student.lms_id, notebooks, candidate,
                      attempt, submitted_at, submitted_from, student.late)


def _submitted_at(student, candidate, attempt):
    """When the graded copy was handed in, and the record that says so (None, "" when none does)."""
    if attempt is not None:
        return attempt, BLACKBOARD_ATTEMPT
    if (student.folder is not None and candidate is not None and candidate.kind == "folder"
            and candidate.node.path is not None and candidate.node.path.parent == student.folder
            and candidate.node.name == course.ASSIGNMENT):
        stamp = nbgrader_timestamp(candidate.node.path)
        if stamp is not None:
            return stamp, NBGRADER_TIMESTAMP
    return None, ""


def _some(items):
    items = list(items)
    shown = ", ".join(items[:SHOWN])
    return shown + (f" and {len(items) - SHOWN} more" if len(items) > SHOWN else "")
