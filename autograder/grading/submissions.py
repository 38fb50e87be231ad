"""Find submissions, copy what is graded into scratch folders, and read notebooks safely.

Layouts accepted by ``python -m autograder grade SUBMITTED``:

- ``SUBMITTED/<student_id>/loss_optimization/...``: what ``nbgrader collect`` and
  ``nbgrader zip_collect`` produce in the course's ``submitted/`` folder;
- a ``.zip`` file (e.g. downloaded from an LMS) holding that same layout, either at
  its top level or inside one top folder (``submitted/<student_id>/loss_optimization/...``);
  ``<student_id>.zip`` files inside it are unpacked into ``<student_id>/`` first.

When ``<student_id>/loss_optimization/`` is missing, the shallowest folder of the
student's that holds a ``linear_classifier`` package is graded instead, with a note.

Nothing under SUBMITTED is ever written. Only the ``linear_classifier`` package
is copied into the sandbox's scratch folder, without following symbolic links,
skipping compiled bytecode and files over the size limits.
"""

import json
import os
import shutil
import stat
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from .. import course

#: Copy limits for one submission's package.
MAX_FILE_BYTES = 8 * 2 ** 20
MAX_TOTAL_BYTES = 64 * 2 ** 20
MAX_FILES = 2000
MAX_DEPTH = 8
#: Zip extraction limits (a zip bomb must not fill the disk).
MAX_ZIP_MEMBER_BYTES = 256 * 2 ** 20
MAX_ZIP_TOTAL_BYTES = 4 * 2 ** 30
#: Given folders of the package that graded code must not use, left out of the sandbox's copy: the notebook
#: checks hold a finished centered-difference gradient and the tolerances, so a graded module that imported
#: them would be graded on given code (or on a student's edited copy of it).
NOT_COPIED = ("checks",)
#: Notebooks larger than this, or with more cells or JSON objects, are not parsed.
MAX_NOTEBOOK_BYTES = 50 * 2 ** 20
MAX_NOTEBOOK_CELLS = 5000
MAX_NOTEBOOK_OBJECTS = 200_000


class SubmissionsError(RuntimeError):
    """SUBMITTED cannot be read as a batch of submissions."""


@dataclass
class Submission:
    """One student's submission: where the assignment folder is, and what was odd about it."""

    student_id: str
    folder: Path = None
    notes: list = field(default_factory=list)


def discover(submitted, assignment=course.ASSIGNMENT):
    """The submissions under ``submitted`` (a folder of ``<student_id>/`` folders), sorted by student id."""
    submitted = Path(submitted)
    if not submitted.is_dir():
        raise SubmissionsError(f"{submitted} is not a folder of submissions (nor a .zip file).")
    result = []
    for entry in sorted(os.scandir(submitted), key=lambda e: e.name):
        if entry.name.startswith((".", "__MACOSX")):
            continue
        if entry.is_symlink():
            result.append(Submission(entry.name, None, [f"{entry.name} is a symbolic link: not followed"]))
            continue
        if not entry.is_dir(follow_symlinks=False):
            continue
        result.append(_find_assignment(Path(entry.path), entry.name, assignment))
    if not result:
        raise SubmissionsError(
            f"No submissions in {submitted}: expected one folder per student, "
            f"{submitted}/<student_id>/{assignment}/ (as nbgrader collect lays them out).")
    return result


def _find_assignment(student_dir, student_id, assignment):
    expected = student_dir / assignment
    if expected.is_dir() and not expected.is_symlink():
        return Submission(student_id, expected)
    # Shallowest folder holding the package, without following links.
    frontier = [student_dir]
    for _ in range(4):
        found = sorted(f for f in frontier if (f / course.PACKAGE).is_dir() and not (f / course.PACKAGE).is_symlink())
        if found:
            relative = found[0].relative_to(student_dir.parent).as_posix()
            return Submission(student_id, found[0], [f"no {assignment}/ folder: graded {relative}/ instead"])
        frontier = [Path(e.path) for f in frontier for e in os.scandir(f)
                    if e.is_dir(follow_symlinks=False) and not e.name.startswith(".")]
    return Submission(student_id, None, [f"no {assignment}/ folder with a {course.PACKAGE}/ package was submitted"])


def copy_package(assignment_folder, destination):
    """Copy ``assignment_folder/linear_classifier`` into ``destination``; return the notes about what was skipped.

    Symbolic links are never followed (nor recreated); ``__pycache__``, ``.pyc``
    files, special files, files over the limits and the folders of :data:`NOT_COPIED` are skipped.
    """
    notes = []
    source = Path(assignment_folder) / course.PACKAGE
    target = Path(destination) / course.PACKAGE
    if source.is_symlink():
        notes.append(f"{course.PACKAGE}/ is a symbolic link: not followed; submit the folder itself")
        return notes
    if not source.is_dir():
        notes.append(f"{course.PACKAGE}/ is missing from the submission")
        return notes
    budget = {"bytes": 0, "files": 0}

    def copy_tree(src, dst, relative, depth=0):
        dst.mkdir(mode=0o755)
        if depth > MAX_DEPTH:
            notes.append(f"{relative}/ is nested more than {MAX_DEPTH} folders deep: not copied")
            return
        for entry in sorted(os.scandir(src), key=lambda e: e.name):
            name = f"{relative}/{entry.name}"
            if entry.is_symlink():
                try:
                    link = os.readlink(entry.path)
                except OSError:
                    link = "?"
                notes.append(f"{name} is a symbolic link (to {link}): not followed; submit the file itself")
            elif entry.is_dir(follow_symlinks=False):
                if entry.name == "__pycache__" or (depth == 0 and entry.name in NOT_COPIED):
                    continue
                copy_tree(Path(entry.path), dst / entry.name, name, depth + 1)
            elif entry.is_file(follow_symlinks=False):
                if entry.name.endswith((".pyc", ".pyo")):
                    continue
                size = entry.stat(follow_symlinks=False).st_size
                if size > MAX_FILE_BYTES:
                    notes.append(f"{name} is {size / 2 ** 20:.0f} MB, over the {MAX_FILE_BYTES // 2 ** 20} MB limit: "
                                 "not copied")
                    continue
                if budget["files"] >= MAX_FILES or budget["bytes"] + size > MAX_TOTAL_BYTES:
                    notes.append(f"{name}: the package is over the limit of {MAX_FILES} files or "
                                 f"{MAX_TOTAL_BYTES // 2 ** 20} MB: not copied")
                    continue
                _copy_file_nofollow(entry.path, dst / entry.name)
                budget["files"] += 1
                budget["bytes"] += size
            else:
                notes.append(f"{name} is not a regular file: not copied")

    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        copy_tree(source, target, course.PACKAGE)
    except OSError as error:
        notes.append(f"{course.PACKAGE}/ could not be copied completely ({error.strerror or error}): "
                     "what was copied is graded")
    return notes


def _copy_file_nofollow(source, destination):
    descriptor = os.open(source, os.O_RDONLY | os.O_NOFOLLOW)
    with os.fdopen(descriptor, "rb") as reader, open(destination, "wb") as writer:
        shutil.copyfileobj(reader, writer, MAX_FILE_BYTES)
    os.chmod(destination, 0o644)


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


def notebook_notes(assignment_folder, expected_names):
    """Notes about notebooks that are missing, unreadable or not notebooks (their written answers cannot be graded)."""
    notes = []
    folder = Path(assignment_folder)
    for name in expected_names:
        path = folder / name
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


# -- LMS zip files -----------------------------------------------------------------


def extract_zip(zip_path, destination, assignment=course.ASSIGNMENT):
    """Unpack an LMS download safely into ``destination``; return the folder of ``<student_id>/`` folders.

    Rejects members with absolute paths or ``..``, skips symbolic links, and
    stops at the size limits.
    """
    destination = Path(destination)
    _safe_extract(zip_path, destination)
    root = destination
    while True:
        entries = [e for e in os.scandir(root) if not e.name.startswith((".", "__MACOSX"))]
        folders = [e for e in entries if e.is_dir(follow_symlinks=False)]
        if len(entries) == 1 and len(folders) == 1 and not _looks_like_student(Path(folders[0].path), assignment):
            root = Path(folders[0].path)
            continue
        break
    for entry in sorted(os.scandir(root), key=lambda e: e.name):
        if entry.is_file(follow_symlinks=False) and entry.name.lower().endswith(".zip"):
            student = root / entry.name[:-4]
            if not student.exists():
                _safe_extract(entry.path, student)
            os.unlink(entry.path)
    return root


def _looks_like_student(folder, assignment):
    return (folder / assignment).is_dir() or (folder / course.PACKAGE).is_dir()


def _safe_extract(zip_path, destination):
    destination = Path(destination)
    destination.mkdir(parents=True, exist_ok=True)
    total = 0
    try:
        archive = zipfile.ZipFile(zip_path)
    except (zipfile.BadZipFile, OSError) as error:
        raise SubmissionsError(f"{zip_path} is not a readable zip file: {error}") from None
    with archive:
        for member in archive.infolist():
            name = PurePosixPath(member.filename.replace("\\", "/"))
            if name.is_absolute() or ".." in name.parts or (name.parts and ":" in name.parts[0]):
                continue
            if stat.S_ISLNK(member.external_attr >> 16):
                continue
            target = destination.joinpath(*name.parts)
            if member.is_dir():
                target.mkdir(parents=True, exist_ok=True)
                continue
            if member.file_size > MAX_ZIP_MEMBER_BYTES:
                continue
            total += member.file_size
            if total > MAX_ZIP_TOTAL_BYTES:
                raise SubmissionsError(f"{zip_path} unpacks to more than {MAX_ZIP_TOTAL_BYTES // 2 ** 30} GB.")
            target.parent.mkdir(parents=True, exist_ok=True)
            with archive.open(member) as reader, open(target, "wb") as writer:
                shutil.copyfileobj(reader, writer, 1 << 20)
