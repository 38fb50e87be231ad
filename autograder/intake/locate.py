"""Within one student's files: find the assignment, choose among several copies, and say what was found.

A student's files come from one or more *sources* (a Moodle folder, a Canvas user's files, one Blackboard
attempt, a folder or zip of their own). They are walked without following links, zips unpacked on the
way (:mod:`.archive`). Each folder holding a ``linear_classifier/`` package is a *candidate*; so is a
folder holding some of the graded modules (``losses.py``...) without the package around them (they are
put into one). When there are several, the newest is graded: the latest Blackboard attempt, else the
copy whose graded files were modified last. The student is told, in notes, which copy was graded and
which were not, what could not be unpacked (named as in the download), and, when no assignment was
found, what the submission holds instead.
"""

import os
import stat
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from pathlib import Path

from .. import course
from .archive import Allowance, ArchiveError, is_zip, safe_member_path, unpack_tree
from .files import MAX_FILE_BYTES, copy_file_nofollow, ignored

#: The graded modules, by file name.
STUDENT_FILES = tuple(f"{module}.py" for module in course.STUDENT_MODULES)
#: How deep a student's files are walked to find the assignment, counted from the top of what they handed in (an
#: unpacked zip counts as a folder), and how many of them at most. Deeper than the package's own bound
#: (:data:`autograder.grading.submissions.MAX_PACKAGE_DEPTH`, counted from ``linear_classifier/``): the package
#: sits under the LMS's and the student's own folders and zips (``Downloads/hw3.zip/hw3/loss_optimization/``...).
MAX_WALK_DEPTH = 12
MAX_NODES = 5000
#: Names listed in a note before "and N more".
SHOWN = 8


@lru_cache(maxsize=None)
def assignment_notebooks():
    """The names of the assignment's notebooks (those of the instructor's source)."""
    return tuple(sorted(path.name for path in course.reference_dir().glob("*.ipynb")))


@dataclass
class Node:
    """A file or folder of a student's, by the name the student gave it and its path in the download."""

    name: str
    display: str
    path: Path
    kind: str  # "dir", "file", "link" or "other"
    mtime: float = 0.0
    children: list = field(default_factory=list)

    def child(self, name):
        return next((node for node in self.children if node.name == name), None)

    def walk(self):
        """This node and every node below it."""
        stack = [self]
        while stack:
            node = stack.pop()
            yield node
            stack.extend(reversed(node.children))


@dataclass
class Source:
    """One place a student's files came from, with the time the LMS gives it (a Blackboard attempt's)."""

    root: Node
    attempt: datetime = None


class Walker:
    """Walks a student's files into :class:`Node` trees, unpacking zips into ``workdir`` as it goes.

    ``known_problems`` maps paths (zips unpacking the whole download already failed on) to their reason,
    so that they are reported once and not unpacked again. Every zip of the student's draws on one
    :class:`~autograder.intake.archive.Allowance`, nested zips included.
    """

    def __init__(self, workdir, budget, known_problems=None):
        self.workdir = Path(workdir)
        self.budget = budget
        self.known_problems = dict(known_problems or {})
        self.problems = []
        self.nodes = 0
        self.truncated = False
        self.allowance = Allowance()
        self._unpacked = 0

    def node(self, name, display, path, depth=0):
        """The tree of ``path`` (None once :data:`MAX_NODES` nodes were walked)."""
        self.nodes += 1
        if self.nodes > MAX_NODES:
            self.truncated = True
            return None
        path = Path(path)
        try:
            info = os.lstat(path)
        except OSError:
            return Node(name, display, path, "other")
        if stat.S_ISLNK(info.st_mode):
            return Node(name, display, path, "link")
        if stat.S_ISREG(info.st_mode):
            if is_zip(name):
                return self._zip(name, display, path, depth, info.st_mtime)
            return Node(name, display, path, "file", info.st_mtime)
        if not stat.S_ISDIR(info.st_mode):
            return Node(name, display, path, "other")
        node = Node(name, display, path, "dir", info.st_mtime)
        if depth >= MAX_WALK_DEPTH:
            self.truncated = True
            return node
        try:
            entries = sorted(os.scandir(path), key=lambda entry: entry.name)
        except OSError:
            return node
        for entry in entries:
            if not ignored(entry.name):
                child = self.node(entry.name, f"{display}/{entry.name}" if display else entry.name, entry.path,
                                  depth + 1)
                if child is not None:
                    node.children.append(child)
        return node

    def _zip(self, name, display, path, depth, mtime):
        if path in self.known_problems:
            self.problems.append((display, self.known_problems[path]))
            return Node(name, display, path, "file", mtime)
        self._unpacked += 1
        # Named as the zip was, as the download's own unpacking names it.
        target = self.workdir / f"unpacked-{self._unpacked}" / name
        try:
            problems = unpack_tree(path, target, self.budget, allowance=self.allowance)
        except ArchiveError as error:
            self.problems.append((display, str(error)))
            return Node(name, display, path, "file", mtime)
        self.problems += [(f"{display}/{inner}", reason) for inner, reason in problems]
        node = self.node(name, display, target, depth)
        if node is not None:
            node.mtime = mtime
        return node


@dataclass
class Candidate:
    """A copy of the assignment in a student's files: a folder holding the package, or loose graded modules."""

    node: Node
    source: Source
    #: "folder" (``node`` holds ``linear_classifier/``) or "loose" (``node`` holds graded modules, no package).
    kind: str
    #: Notebooks of the assignment found outside ``node`` (name to node), filled in for the chosen candidate.
    notebooks_elsewhere: dict = field(default_factory=dict)

    def graded_nodes(self):
        """The files whose modification times date this copy: the graded modules and the notebooks."""
        notebooks = [n for n in self.node.children if n.kind == "file" and n.name in assignment_notebooks()]
        if self.kind == "loose":
            return [n for n in self.node.children if n.kind == "file" and n.name in STUDENT_FILES] + notebooks
        package = self.node.child(course.PACKAGE)
        modules = [n for n in package.walk() if n.kind == "file" and n.name in STUDENT_FILES] if package else []
        return modules + notebooks

    @property
    def modified(self):
        return max((node.mtime for node in self.graded_nodes()), default=0.0)

    def sort_key(self):
        attempt = self.source.attempt.timestamp() if self.source.attempt else self.modified
        return attempt, self.modified, self.node.display

    def file_nodes(self):
        """``{path inside the assignment folder: node}`` for every file this copy hands in."""
        files = {}
        for node in self.node.children:
            if node.kind == "file" and node.name.endswith(".ipynb"):
                files[node.name] = node
        if self.kind == "loose":
            for node in self.node.children:
                if node.kind == "file" and node.name.endswith(".py"):
                    files[f"{course.PACKAGE}/{node.name}"] = node
        else:
            package = self.node.child(course.PACKAGE)
            start = len(package.display) - len(course.PACKAGE)
            files.update({node.display[start:]: node for node in package.walk() if node.kind == "file"})
        files.update(self.notebooks_elsewhere)
        return files

    def files(self):
        """``{path inside the assignment folder: file on disk}`` for every file this copy hands in."""
        return {relative: node.path for relative, node in self.file_nodes().items()}


def candidates(sources):
    """Every copy of the assignment in ``sources``."""
    found = []
    for source in sources:
        inside_packages = set()
        for node in source.root.walk():
            if node.kind != "dir" or id(node) in inside_packages:
                continue
            package = node.child(course.PACKAGE)
            if package is not None and package.kind in ("dir", "link") and node.path is not None:
                found.append(Candidate(node, source, "folder"))
                # The package's own modules (and any copies kept inside it) belong to this copy.
                inside_packages.update(id(inner) for inner in package.walk())
            elif any(child.kind == "file" and child.name in STUDENT_FILES for child in node.children):
                found.append(Candidate(node, source, "loose"))
    return found


def choose(sources, workdir):
    """The copy to grade (None when there is none), its assignment folder on disk, and the notes for the student.

    A loose copy is assembled in ``workdir`` (its modules into a ``linear_classifier/`` folder). Notebooks missing
    from the chosen copy are looked for everywhere else in the student's files.
    """
    found = sorted(candidates(sources), key=Candidate.sort_key)
    if not found:
        return None, None, [nothing_found(sources)]
    chosen = found[-1]
    notes = []
    if len(found) > 1:
        notes.append(several_copies(chosen, found[:-1]))
    elif chosen.kind == "folder" and not _usual_place(chosen):
        notes.append(f"Your assignment was found at {_shown(chosen.node)} and graded there.")
    _find_notebooks(chosen, sources, notes)
    if chosen.kind == "folder":
        package = chosen.node.child(course.PACKAGE)
        beside = [n.name for n in chosen.node.children if n.kind == "file" and n.name in STUDENT_FILES]
        if beside and package.kind == "dir":
            notes.append(f"{', '.join(beside)} next to {course.PACKAGE}/ in {_shown(chosen.node)} "
                         f"{'was' if len(beside) == 1 else 'were'} not graded: the copies inside {course.PACKAGE}/ were.")
        return chosen, chosen.node.path, notes
    return chosen, _assemble(chosen, Path(workdir), notes), notes


def _usual_place(candidate):
    """Whether the copy is where students are asked to put it: the submission itself is the assignment folder,
    or holds it (``loss_optimization/``), or is the zip it was uploaded as (``x.zip/`` or ``x.zip/loss_optimization/``)."""
    root = candidate.source.root
    relative = candidate.node.display[len(root.display):].strip("/")
    parts = relative.split("/") if relative else []
    if len(parts) > 2:
        return False
    if len(parts) == 2:
        return is_zip(parts[0]) and parts[1] == course.ASSIGNMENT
    return not parts or parts[0] == course.ASSIGNMENT or is_zip(parts[0])


def _shown(node):
    return f"{node.display}/" if node.display else "the top of your submission"


def several_copies(chosen, others):
    """The note that says which of several copies was graded, and why."""
    def when(candidate):
        if candidate.source.attempt:
            return f"attempt of {candidate.source.attempt:%Y-%m-%d %H:%M}"
        stamp = datetime.fromtimestamp(candidate.modified).strftime("%Y-%m-%d %H:%M") if candidate.modified else "?"
        return f"files modified {stamp}"

    listed = "; ".join(f"{_shown(c.node)} ({when(c)})" for c in reversed(others))
    return (f"{len(others) + 1} copies of the assignment were found in your submission: graded the newest, "
            f"{_shown(chosen.node)} ({when(chosen)}); not graded: {listed}.")


def nothing_found(sources):
    """The note for a student in whose files no copy of the assignment was found: what the files are."""
    files = [node for source in sources for node in source.root.walk() if node.kind != "dir" and node.display]
    wanted = f"no {course.PACKAGE}/ package and none of {', '.join(STUDENT_FILES)}"
    if not files:
        return f"No assignment was found in your submission ({wanted}): it holds no files."
    shown = ", ".join(node.display for node in files[:SHOWN])
    more = f" and {len(files) - SHOWN} more" if len(files) > SHOWN else ""
    notebooks = newest_notebooks(sources)
    if notebooks:  # the written answers are graded from these; the code scores 0
        return (f"Only notebooks were handed in ({', '.join(notebooks)}), no code ({wanted}): the code scores 0, "
                f"the written answers are graded. It holds: {shown}{more}.")
    return f"No assignment was found in your submission ({wanted}). It holds: {shown}{more}."


def newest_notebooks(sources, skip=()):
    """``{name: node}``: the newest file of each of the assignment's notebooks (but ``skip``) in the student's files."""
    found = {}
    for name in assignment_notebooks():
        elsewhere = [node for source in sources for node in source.root.walk() if node.kind == "file"
                     and node.name == name] if name not in skip else []
        if elsewhere:
            found[name] = max(elsewhere, key=lambda n: (n.mtime, n.display))
    return found


def _find_notebooks(chosen, sources, notes):
    present = {n.name for n in chosen.node.children if n.kind == "file"}
    for name, node in newest_notebooks(sources, present).items():
        chosen.notebooks_elsewhere[name] = node
        notes.append(f"{name} was not in the assignment folder: read from {node.display}.")


def _assemble(chosen, workdir, notes):
    """Put a loose copy's modules into ``linear_classifier/`` (and its notebooks beside it) in a new folder."""
    workdir.mkdir(parents=True, exist_ok=True)
    folder = workdir / f"assembled-{len(list(workdir.glob('assembled-*')))}"
    (folder / course.PACKAGE).mkdir(parents=True)
    modules = []
    for relative, node in chosen.file_nodes().items():
        if safe_member_path(relative) != relative.split("/"):
            # A name no folder walk gives (a receipt's "original" name holding ../): never a path out of the copy.
            notes.append(f"{node.display}, named {node.name!r}, is not a plain file name: not graded.")
            continue
        if node.path.stat().st_size > MAX_FILE_BYTES:
            notes.append(f"{node.display} is over the {MAX_FILE_BYTES // 2 ** 20} MB limit: not graded.")
            continue
        copy_file_nofollow(node.path, folder / relative)
        if relative.startswith(f"{course.PACKAGE}/"):
            modules.append(node.name)
    notes.append(f"{', '.join(modules)} {'was' if len(modules) == 1 else 'were'} not in a {course.PACKAGE}/ folder "
                 f"(found at {_shown(chosen.node)}): graded as the {course.PACKAGE}/ package.")
    links = [n.display for n in chosen.node.children if n.kind == "link" and n.name.endswith(".py")]
    if links:
        notes.append(f"{', '.join(links)}: symbolic link{'s' if len(links) > 1 else ''}, not followed; hand in the "
                     "files themselves.")
    return folder
