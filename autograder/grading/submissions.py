"""Copy what is graded into a scratch folder, and read a submission's notebooks safely.

Which folder of a student's is graded is the intake's to say (:mod:`autograder.intake`). From that
assignment folder only the ``linear_classifier`` package is copied into the sandbox's scratch folder,
without following symbolic links, skipping compiled bytecode and files over the size limits; the notebooks
are only checked for being readable (their written answers are graded by hand, in nbgrader).
"""

import json
import os
import stat
from pathlib import Path

from .. import course
from ..intake.files import MAX_FILE_BYTES, capped_notes, copy_file_nofollow

#: Copy limits for one submission's package (one file's: :data:`autograder.intake.files.MAX_FILE_BYTES`).
MAX_TOTAL_BYTES = 64 * 2 ** 20
MAX_FILES = 2000
#: Folders below ``linear_classifier/`` that are copied into the sandbox, counted from the package (the course's
#: own go one deep: ``explore/``, ``checks/``). Not the intake's :data:`autograder.intake.locate.MAX_WALK_DEPTH`,
#: which counts from the top of a student's download, to find the package: this bounds what is copied of it.
MAX_PACKAGE_DEPTH = 8
#: Entries of a package looked at, at most.
MAX_ENTRIES = 4 * MAX_FILES
#: The files copied before any other, whatever else the package holds: its own and the graded modules.
FIRST = ("__init__.py", *(f"{module}.py" for module in course.STUDENT_MODULES))
#: Given folders of the package that graded code must not use, left out of the sandbox's copy: the notebook
#: checks hold a finished centered-difference gradient and the tolerances, so a graded module that imported
#: them would be graded on given code (or on a student's edited copy of it).
NOT_COPIED = ("checks",)
#: Notebooks larger than this, or with more cells or JSON objects, are not parsed.
MAX_NOTEBOOK_BYTES = 50 * 2 ** 20
MAX_NOTEBOOK_CELLS = 5000
MAX_NOTEBOOK_OBJECTS = 200_000


def copy_package(assignment_folder, destination):
    """Copy ``assignment_folder/linear_classifier`` into ``destination``; return the notes about what was skipped.

    The graded modules are copied first, then the package's other files, then its folders, so nothing else a
    student keeps in the package (a dataset, a virtual environment) can use up the limits before them.
    Symbolic links are never followed (nor recreated); ``__pycache__``, ``.pyc`` files, special files, files
    over the limits and the folders of :data:`NOT_COPIED` are skipped; at most :data:`MAX_ENTRIES` entries
    are looked at, and notes about skipped entries are capped (:func:`autograder.intake.files.capped_notes`).
    """
    source = Path(assignment_folder) / course.PACKAGE
    target = Path(destination) / course.PACKAGE
    if source.is_symlink():
        return [f"{course.PACKAGE}/ is a symbolic link: not followed; submit the folder itself"]
    if not source.is_dir():
        return [f"{course.PACKAGE}/ is missing from the submission"]
    copy = _PackageCopy()
    notes = []
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        copy.tree(source, target, course.PACKAGE)
    except _ScanLimit:
        notes.append(f"{course.PACKAGE}/ holds more than {MAX_ENTRIES} files and folders: the rest was not looked at")
    except OSError as error:
        notes.append(f"{course.PACKAGE}/ could not be copied completely ({error.strerror or error}): "
                     "what was copied is graded")
    return capped_notes(copy.skipped) + notes


class _ScanLimit(Exception):
    pass


class _PackageCopy:
    """One package's copy within the limits: what was copied so far and the notes about what was not."""

    def __init__(self):
        self.skipped = []
        self.files = self.bytes = self.entries = 0

    def tree(self, src, dst, relative, depth=0):
        dst.mkdir(mode=0o755)
        if depth > MAX_PACKAGE_DEPTH:
            self.skipped.append(f"{relative}/ is nested more than {MAX_PACKAGE_DEPTH} folders deep: not copied")
            return
        first = FIRST if depth == 0 else ()
        for name in first:
            if os.path.lexists(src / name):
                self.entry(src / name, dst, f"{relative}/{name}", depth)
        names = []
        for entry in os.scandir(src):
            self.entries += 1
            if self.entries > MAX_ENTRIES:
                raise _ScanLimit
            if entry.name not in first:
                names.append((entry.is_dir(follow_symlinks=False), entry.name))
        for _, name in sorted(names):
            self.entry(src / name, dst, f"{relative}/{name}", depth)

    def entry(self, path, dst, name, depth):
        status = os.lstat(path)
        if stat.S_ISLNK(status.st_mode):
            try:
                link = os.readlink(path)
            except OSError:
                link = "?"
            self.skipped.append(f"{name} is a symbolic link (to {link}): not followed; submit the file itself")
        elif stat.S_ISDIR(status.st_mode):
            if path.name != "__pycache__" and not (depth == 0 and path.name in NOT_COPIED):
                self.tree(path, dst / path.name, name, depth + 1)
        elif stat.S_ISREG(status.st_mode):
            if path.name.endswith((".pyc", ".pyo")):
                return
            if status.st_size > MAX_FILE_BYTES:
                self.skipped.append(f"{name} is {status.st_size / 2 ** 20:.0f} MB, over the {MAX_FILE_BYTES // 2 ** 20} MB "
                          "limit: not copied")
            elif self.files >= MAX_FILES or self.bytes + status.st_size > MAX_TOTAL_BYTES:
                self.skipped.append(f"{name}: the package is over the limit of {MAX_FILES} files or "
                          f"{MAX_TOTAL_BYTES // 2 ** 20} MB: not copied")
            else:
                copy_file_nofollow(path, dst / path.name)
                self.files += 1
                self.bytes += status.st_size
        else:
            self.skipped.append(f"{name} is not a regular file: not copied")


def module_problems(package_parent, notes):
    """For each graded module missing from the copy, the reason (from the copy notes when there is one)."""
    package = Path(package_parent) / course.PACKAGE
    problems = {}
    for module in course.STUDENT_MODULES:
        if (package / f"{module}.py").is_file() or (package / module / "__init__.py").is_file():
            continue
        prefix = f"{course.PACKAGE}/{module}.py"
        reason = next((note for note in notes if note.startswith((prefix, f"{course.PACKAGE}/ "))), None)
        problems[module] = reason or f"{prefix} is missing from the submission"
    return problems


def notebook_notes(assignment_folder, expected_names, elsewhere=None):
    """Notes about notebooks that are missing, unreadable or not notebooks (their written answers cannot be graded).

    ``elsewhere``: ``{name: path}`` of notebooks the intake found outside the assignment folder.
    """
    notes = []
    folder = Path(assignment_folder)
    for name in expected_names:
        path = Path((elsewhere or {}).get(name, folder / name))
        if path.is_symlink():
            notes.append(f"{name} is a symbolic link: not read")
        elif not path.is_file():
            notes.append(f"{name} is missing: its written answers cannot be graded")
        else:
            problem = notebook_problem(path)
            if problem:
                notes.append(f"{name} {problem}: its written answers cannot be graded; the code in "
                             f"{course.PACKAGE}/ was graded as usual")
    return notes


def notebook_problem(path):
    """Why ``path`` is not a notebook nbgrader can read, or "" when it is one.

    A student's file is read within bounds: its size, then (counted in the raw bytes, before parsing) its
    cells and JSON objects, so that no notebook costs the grader more than a bounded parse. Only the
    structure nbgrader relies on is checked (nbformat 4, cells of a known type with their source), not
    nbformat's whole schema, whose validation takes seconds for a large notebook.
    """
    size = path.stat().st_size
    if size > MAX_NOTEBOOK_BYTES:
        return f"is larger than {MAX_NOTEBOOK_BYTES // 2 ** 20} MB: not read"
    data = path.read_bytes()
    if data.count(b'"cell_type"') > MAX_NOTEBOOK_CELLS or data.count(b"{") > MAX_NOTEBOOK_OBJECTS:
        return (f"has more than {MAX_NOTEBOOK_CELLS} cells or {MAX_NOTEBOOK_OBJECTS} JSON objects: not read "
                "(a notebook of this assignment has about a hundred cells)")
    try:
        notebook = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as error:
        return f"is not a readable notebook (not JSON: {type(error).__name__})"
    if not isinstance(notebook, dict) or notebook.get("nbformat") != 4 or not isinstance(notebook.get("cells"), list):
        return "is not a readable notebook (not in nbformat 4)"
    for index, cell in enumerate(notebook["cells"]):
        source = cell.get("source") if isinstance(cell, dict) else None
        if (not isinstance(cell, dict) or cell.get("cell_type") not in ("code", "markdown", "raw")
                or not (isinstance(source, str) or (isinstance(source, list)
                                                    and all(isinstance(line, str) for line in source)))):
            return f"is not a readable notebook (cell {index} is malformed)"
    return ""


def expected_notebooks(assignment=course.ASSIGNMENT):
    """Names of the assignment's notebooks that have graded cells, from the instructor source."""
    source = course.reference_dir().parent / assignment
    names = []
    for path in sorted(source.glob("*.ipynb")):
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        if any(cell.get("metadata", {}).get("nbgrader", {}).get("grade") for cell in cells):
            names.append(path.name)
    return names
