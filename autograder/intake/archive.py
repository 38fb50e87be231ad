"""Unpacking zip files safely, zips inside zips included.

An LMS download is a zip of the students' uploads, which are often zips themselves (and a student's zip
may hold another). :func:`unpack_tree` unpacks one zip into a folder and every zip inside it into a
folder of the same name (``loss_optimization.zip`` becomes the folder ``loss_optimization.zip/``), so a
path in the unpacked tree reads as the file's name in the download. What it refuses:

- members with an absolute path, a drive letter or ``..`` (they would land outside the folder);
- symbolic links (they would point anywhere on the grading machine);
- more than :data:`MAX_MEMBERS` members, or members over :data:`MAX_MEMBER_BYTES`;
- zips that inflate more than :data:`MAX_RATIO` times (zip bombs), or past what is left of the batch's
  :class:`Budget`, or nested more than :data:`MAX_NESTING` deep.

A zip that cannot be read is reported, never raised past the student it belongs to: the caller gets
a list of problems, each with the path (in the download) of what could not be unpacked and why.
"""

import os
import shutil
import stat
import time
import zipfile
from pathlib import Path, PurePosixPath

#: One member of a zip larger than this (uncompressed) is not unpacked.
MAX_MEMBER_BYTES = 256 * 2 ** 20
#: What a whole batch may unpack to, zips inside zips included.
MAX_BATCH_BYTES = 4 * 2 ** 30
#: What one zip and the zips inside it may unpack to (one student's upload, or a whole download at the top).
MAX_ZIP_BYTES = 1 * 2 ** 30
#: Members of one zip.
MAX_MEMBERS = 20_000
#: A member that inflates more than this many times, and to more than :data:`RATIO_FLOOR_BYTES`, is a zip bomb.
MAX_RATIO = 200
RATIO_FLOOR_BYTES = 16 * 2 ** 20
#: Zips inside zips inside ... this deep are unpacked; deeper ones are reported.
MAX_NESTING = 4
ZIP_SUFFIX = ".zip"


class ArchiveError(RuntimeError):
    """A zip cannot be unpacked; the message says why, in words for a note."""


class Budget:
    """Bytes a batch may still unpack, shared by every zip of the batch."""

    def __init__(self, total=MAX_BATCH_BYTES):
        self.left = total

    def take(self, size, what):
        if size > self.left:
            raise ArchiveError(f"{what} would unpack to more than the {MAX_BATCH_BYTES // 2 ** 30} GB this batch may "
                               "use: not unpacked")
        self.left -= size


def is_zip(name):
    """Whether a file called ``name`` is a zip (by its name, as LMSs name them)."""
    return name.lower().endswith(ZIP_SUFFIX)


def unpack_tree(zip_path, destination, budget=None, depth=0):
    """Unpack ``zip_path`` into the new folder ``destination``, and every zip inside into a folder of its name.

    Parameters
    ----------
    zip_path : path
        The zip file.
    destination : path
        A folder that does not exist yet.
    budget : Budget or None
        What the batch may still unpack (a budget of its own when None).
    depth : int
        How many zips ``zip_path`` is inside of.

    Returns
    -------
    list of (str, str)
        ``(path, reason)`` for each member or inner zip that was not unpacked, the path relative to
        ``destination`` (``""`` for ``zip_path`` itself never occurs: that raises).

    Raises
    ------
    ArchiveError
        When ``zip_path`` itself cannot be read or is refused as a whole (too large, a zip bomb).
    """
    budget = budget if budget is not None else Budget()
    destination = Path(destination)
    problems = []
    try:
        archive = zipfile.ZipFile(zip_path)
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        raise ArchiveError(f"is not a readable zip file ({error})") from None
    with archive:
        members = _checked_members(archive, budget)
        destination.mkdir(parents=True)
        for member in members:
            problem = _unpack_member(archive, member, destination)
            if problem:
                problems.append(problem)
    for inner in sorted(p for p in destination.rglob("*") if p.is_file() and not p.is_symlink() and is_zip(p.name)):
        relative = inner.relative_to(destination).as_posix()
        if depth + 1 > MAX_NESTING:
            problems.append((relative, f"is a zip inside {MAX_NESTING} other zips: not unpacked"))
            continue
        unpacking = inner.with_name(inner.name + ".unpacking")
        try:
            inner_problems = unpack_tree(inner, unpacking, budget, depth + 1)
        except ArchiveError as error:
            shutil.rmtree(unpacking, ignore_errors=True)
            problems.append((relative, str(error)))
            continue
        inner.unlink()
        unpacking.rename(inner)
        problems += [(f"{relative}/{path}", reason) for path, reason in inner_problems]
    return problems


def _checked_members(archive, budget):
    """The members of ``archive``, after the checks that refuse it as a whole (count, bombs, sizes)."""
    members = archive.infolist()
    if len(members) > MAX_MEMBERS:
        raise ArchiveError(f"has {len(members)} members, more than the {MAX_MEMBERS} a submission may have: "
                           "not unpacked")
    total = 0
    for member in members:
        if member.is_dir() or member.file_size > MAX_MEMBER_BYTES:
            continue
        if member.file_size > RATIO_FLOOR_BYTES and member.file_size > MAX_RATIO * max(member.compress_size, 1):
            raise ArchiveError(f"holds {member.filename}, which inflates {member.file_size // max(member.compress_size, 1)} "
                               "times (a zip bomb?): not unpacked")
        total += member.file_size
    if total > MAX_ZIP_BYTES:
        raise ArchiveError(f"unpacks to {total / 2 ** 30:.1f} GB, more than the {MAX_ZIP_BYTES // 2 ** 30} GB a zip "
                           "may: not unpacked")
    budget.take(total, "it")
    return members


def safe_member_path(name):
    """The parts of a member's path, or None when it would land outside the folder (absolute, a drive, ``..``)."""
    path = PurePosixPath(name.replace("\\", "/"))
    parts = [part for part in path.parts if part not in ("", ".")]
    if path.is_absolute() or not parts or ".." in parts or ":" in parts[0] or any("\0" in part for part in parts):
        return None
    return parts


def _unpack_member(archive, member, destination):
    """Unpack one member; a ``(path, reason)`` problem when it was skipped."""
    parts = safe_member_path(member.filename)
    if parts is None:
        return member.filename, "has a path outside the zip (absolute, or with '..'): skipped"
    relative = "/".join(parts)
    if stat.S_ISLNK(member.external_attr >> 16):
        return relative, "is a symbolic link: skipped"
    target = destination.joinpath(*parts)
    try:
        if member.is_dir():
            target.mkdir(parents=True, exist_ok=True)
            return None
        if member.file_size > MAX_MEMBER_BYTES:
            return relative, f"is larger than {MAX_MEMBER_BYTES // 2 ** 20} MB: skipped"
        target.parent.mkdir(parents=True, exist_ok=True)
        with archive.open(member) as reader, open(target, "wb") as writer:
            shutil.copyfileobj(reader, writer, 1 << 20)
    except (OSError, zipfile.BadZipFile, EOFError, RuntimeError, NotImplementedError, ValueError) as error:
        # A damaged member (bad CRC, unknown compression, encrypted) or one that clashes with a folder.
        if target.is_file():
            target.unlink()
        return relative, f"could not be unpacked ({type(error).__name__}: {error})"
    _keep_timestamp(target, member)
    return None


def _keep_timestamp(path, member):
    """Give ``path`` the modification time the zip recorded (which copy is newest is decided by it)."""
    try:
        seconds = time.mktime(member.date_time + (0, 0, -1))
        os.utime(path, (seconds, seconds), follow_symlinks=False)
    except (OverflowError, ValueError, OSError):
        pass
