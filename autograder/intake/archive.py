"""Unpacking zip files safely, zips inside zips included.

An LMS download is a zip of the students' uploads, which are often zips themselves (and a student's zip
may hold another). :func:`unpack_tree` unpacks one zip into a folder and every zip inside it into a
folder of the same name (``loss_optimization.zip`` becomes the folder ``loss_optimization.zip/``), so a
path in the unpacked tree reads as the file's name in the download. What it refuses:

- members with an absolute path, a drive letter or ``..`` (they would land outside the folder);
- symbolic links (they would point anywhere on the grading machine);
- more than :data:`MAX_MEMBERS` members, or members over :data:`MAX_MEMBER_BYTES`;
- members more than :data:`MAX_PATH_PARTS` folders deep (no walk of the tree can then exhaust Python's stack);
- zips that inflate more than :data:`MAX_RATIO` times (zip bombs), or past what is left of the batch's
  :class:`Budget`, or nested more than :data:`MAX_NESTING` deep;
- zips whose members, or bytes, exceed what is left of their student's :class:`Allowance`: every zip of one
  student, nested ones included, draws on one allowance, so a small zip of many zips is refused as soon as the
  count is read from its directory, before anything is written. In a download, every top-level entry of one
  student (a Canvas user's files, a Moodle participant's folders) draws on one allowance too (``owners``), and a
  student whose entries would pass what is left of the batch's budget is refused alone, never the download.

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
#: Members (files and folders) one student's zips may unpack, nested zips included (creating a file costs about
#: 1 ms on a busy machine: bench/intake.py).
MAX_STUDENT_MEMBERS = 1_000
#: Bytes one student's zips may unpack, nested zips included.
MAX_STUDENT_BYTES = 256 * 2 ** 20
ZIP_SUFFIX = ".zip"
#: What a student's zip is unpacked first when it holds more than their allowance: the package's folder, notebooks
#: and zips, then other Python files, then the rest.
PACKAGE_FOLDER = "linear_classifier"
FIRST_SUFFIXES = (ZIP_SUFFIX, ".ipynb")
#: Members of a whole LMS download (its students' own zips are counted in their allowances).
MAX_DOWNLOAD_MEMBERS = 200_000
#: A member more than this many folders deep is skipped.
MAX_PATH_PARTS = 32


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


class Allowance:
    """What one student's zips may still unpack (members and bytes), shared by every zip of that student."""

    def __init__(self, members=MAX_STUDENT_MEMBERS, size=MAX_STUDENT_BYTES):
        self.members = members
        self.bytes = size

    def check_count(self, members):
        """Refuse a zip of ``members`` members before its directory is parsed: too many for any zip, or nothing left."""
        if members > MAX_MEMBERS:
            raise ArchiveError(f"has {members} members, more than the {MAX_MEMBERS} a submission may have: not unpacked")
        if members and (self.members <= 0 or self.bytes <= 0):
            raise ArchiveError(f"holds {members} members, and nothing is left of what one student's zips may unpack "
                               f"({self.described()}): not unpacked")

    def described(self):
        return f"{MAX_STUDENT_MEMBERS} members and {MAX_STUDENT_BYTES // 2 ** 20} MB, all their zips together"

    def choose(self, members):
        """The members to unpack within what is left, what may be graded first; the others (skipped)."""
        ordered = sorted(members, key=_unpacking_order)
        chosen, skipped = [], []
        for member in ordered:
            size = _unpacked_size(member)
            if self.members >= 1 and size <= self.bytes:
                self.members -= 1
                self.bytes -= size
                chosen.append(member)
            else:
                skipped.append(member)
        order = {id(member): index for index, member in enumerate(members)}
        return sorted(chosen, key=lambda m: order[id(m)]), skipped

    def take(self, members, size):
        """Take ``members`` and ``size`` bytes at once (a student's entry of a download), or raise."""
        if members > self.members or size > self.bytes:
            raise ArchiveError(f"holds {members} members of {size / 2 ** 20:.0f} MB, more than one student's files "
                               f"may unpack ({self.described()}): not unpacked")
        self.members -= members
        self.bytes -= size


def _unpacking_order(member):
    name = member.filename.replace("\\", "/").lower()
    if f"/{PACKAGE_FOLDER}/" in f"/{name}" or name.endswith(FIRST_SUFFIXES):
        return 0
    return 1 if name.endswith(".py") else 2


def _unpacked_size(member):
    return member.file_size if not member.is_dir() and member.file_size <= MAX_MEMBER_BYTES else 0


def is_zip(name):
    """Whether a file called ``name`` is a zip (by its name, as LMSs name them)."""
    return name.lower().endswith(ZIP_SUFFIX)


def unpack_tree(zip_path, destination, budget=None, depth=0, allowance=None, nested=True, owners=None):
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
    allowance : Allowance or None
        What the student whose zip this is may still unpack. None: ``zip_path`` is a whole download, each of whose
        top-level entries is a student's (up to :data:`MAX_DOWNLOAD_MEMBERS` members; each top-level entry's
        members and nested zips draw on an allowance of their own).
    nested : bool
        Whether zips inside are unpacked too (False leaves them as files, for the caller to unpack).
    owners : callable or None
        For a download: ``owners([(name, is_dir)])`` gives each top-level entry the key of the student it is
        (:func:`autograder.intake.layouts.owner_keys`), so that the entries of one student share one allowance.
        None: each entry is a student of its own.

    Returns
    -------
    list of (str, str)
        ``(path, reason)`` for each member or inner zip that was not unpacked, the path relative to
        ``destination``.

    Raises
    ------
    ArchiveError
        When ``zip_path`` itself cannot be read or is refused as a whole (too large, a zip bomb, too many members).
    """
    budget = budget if budget is not None else Budget()
    allowances = _Allowances(allowance, owners)
    destination = Path(destination)
    problems = []
    if allowance is not None:
        # Refused before its directory is parsed (zipfile builds an object per member: 0.3 s for 20,000).
        allowance.check_count(_counted_members(zip_path))
    try:
        archive = zipfile.ZipFile(zip_path)
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        raise ArchiveError(f"is not a readable zip file ({error})") from None
    with archive:
        members = _checked_members(archive, budget, allowances)
        if allowance is not None:
            members, skipped = allowance.choose(members)
            if skipped:
                problems.append((skipped[0].filename, f"and {len(skipped) - 1} more members were not unpacked: more "
                                 f"than one student's zips may unpack ({allowance.described()}; what may be graded "
                                 "was unpacked first)"))
        destination.mkdir(parents=True)
        for entry, reason in allowances.refused.items():
            # The student is still found, with the reason: a folder stays a folder, a file an empty file.
            if allowances.is_dir[entry]:
                (destination / entry).mkdir(exist_ok=True)
            else:
                (destination / entry).touch()
            problems.append((entry, reason))
        for member in members:
            if (safe_member_path(member.filename) or [""])[0] in allowances.withheld:
                continue
            problem = _unpack_member(archive, member, destination)
            if problem:
                problems.append(problem)
    if nested:
        problems += _unpack_inner(destination, budget, depth, allowances)
    return problems


class _Allowances:
    """The allowance of each top-level entry of a zip: one for all (a student's zip) or one per student (a
    download, whose entries ``owners`` groups by student; one per entry without it)."""

    def __init__(self, allowance, owners=None):
        self.shared = allowance
        self.owners = owners
        #: ``{top-level entry: its student's key}`` and ``{entry: whether it is a folder}`` (:meth:`know`).
        self.keys, self.is_dir = {}, {}
        self.by_key = {}
        #: Top-level entries of a download refused as a whole: the first entry of each refused student, ``{entry:
        #: reason}`` (left in the download, empty, so that the student is found with the reason), and all of them.
        self.refused, self.withheld = {}, set()

    def know(self, entries):
        """Learn a download's top-level entries, ``{name: is_dir}``, and whose each one is."""
        self.is_dir = dict(entries)
        self.keys = self.owners(list(entries.items())) if self.owners else {name: name for name in entries}

    def key(self, entry):
        return self.keys.get(entry, entry)

    def of(self, relative):
        if self.shared is not None:
            return self.shared
        return self.by_key.setdefault(self.key(relative.split("/", 1)[0]), Allowance())


def _unpack_inner(destination, budget, depth, allowances):
    """Unpack each zip found below ``destination`` into a folder of its name; the problems."""
    problems = []
    for inner in _zips_below(destination):
        relative = inner.relative_to(destination).as_posix()
        if depth + 1 > MAX_NESTING:
            problems.append((relative, f"is a zip inside {MAX_NESTING} other zips: not unpacked"))
            continue
        unpacking = inner.with_name(inner.name + ".unpacking")
        try:
            inner_problems = unpack_tree(inner, unpacking, budget, depth + 1, allowances.of(relative))
        except ArchiveError as error:
            shutil.rmtree(unpacking, ignore_errors=True)
            problems.append((relative, str(error)))
            continue
        inner.unlink()
        unpacking.rename(inner)
        problems += [(f"{relative}/{path}", reason) for path, reason in inner_problems]
    return problems


def _zips_below(folder):
    """The zip files below ``folder``, in order, found without following links (its depth is bounded on unpacking)."""
    found = []
    for parent, folders, files in os.walk(folder):
        folders.sort()
        found += [Path(parent) / name for name in files if is_zip(name) and not os.path.islink(Path(parent) / name)]
    return sorted(found)


def _counted_members(zip_path):
    """How many members the zip's directory holds, read without parsing it (0 when it cannot be read: the zip is
    then refused by zipfile itself).

    The larger of the count the end record states and the member headers (``PK\\1\\2``) in the directory: a
    forged count cannot hide members. zipfile's own reader of the end record is used (private, but in every Python 3).
    """
    try:
        with open(zip_path, "rb") as handle:
            end = zipfile._EndRecData(handle)
            if not end:
                return 0
            size = min(end[zipfile._ECD_SIZE], end[zipfile._ECD_LOCATION])
            handle.seek(max(end[zipfile._ECD_LOCATION] - size - 128, 0))
            directory = handle.read(size + 128)
    except (OSError, AttributeError, IndexError, ValueError, OverflowError):
        return 0
    return max(end[zipfile._ECD_ENTRIES_TOTAL], directory.count(b"PK\x01\x02"))


def _checked_members(archive, budget, allowances):
    """The members of ``archive``, after the checks that refuse it as a whole (count, bombs, sizes, allowance).

    For a download, a student (all their top-level entries) that fails a check, or would pass what is left of the
    batch's budget, is refused alone (``allowances.refused``); the smallest students take from the budget first.
    """
    members = archive.infolist()
    download = allowances.shared is None
    limit, what = (MAX_DOWNLOAD_MEMBERS, "a download") if download else (MAX_MEMBERS, "a submission")
    if len(members) > limit:
        raise ArchiveError(f"has {len(members)} members, more than the {limit} {what} may have: not unpacked")
    if download:
        allowances.know(_top_entries(members))
    students = {}
    for member in members:
        entry = (safe_member_path(member.filename) or [""])[0] if download else ""
        key = allowances.key(entry) if download else ""
        count, size, bomb, entries = students.get(key, (0, 0, "", set()))
        unpacked = _unpacked_size(member)
        if unpacked > RATIO_FLOOR_BYTES and unpacked > MAX_RATIO * max(member.compress_size, 1):
            bomb = bomb or (f"holds {member.filename}, which inflates {unpacked // max(member.compress_size, 1)} "
                            "times (a zip bomb?): not unpacked")
        students[key] = count + 1, size + unpacked, bomb, entries | {entry}
    if not download:
        _check_zip(*students.get("", (0, 0, "", set()))[:3], budget)
        return members
    for key, (count, size, bomb, entries) in sorted(students.items(), key=lambda item: (item[1][1], str(item[0]))):
        try:
            if bomb:
                raise ArchiveError(bomb)
            allowances.of(next(iter(entries))).take(count, size)
            budget.take(size, "(with your other files)")
        except ArchiveError as error:
            # One student's entries of a download, never the download (nor the students after them).
            named = sorted(entry for entry in entries if entry)
            allowances.withheld.update(named)
            if named:  # one note per student, however many entries (a Canvas user's 5,000 files)
                allowances.refused[named[0]] = str(error)
    return members


def _check_zip(count, size, bomb, budget):
    """Refuse a student's zip as a whole: a bomb, too large for a zip, or past what is left of the batch's budget."""
    if bomb:
        raise ArchiveError(bomb)
    if size > MAX_ZIP_BYTES:
        raise ArchiveError(f"unpacks to {size / 2 ** 30:.1f} GB, more than the {MAX_ZIP_BYTES // 2 ** 30} GB "
                           "a zip may: not unpacked")
    budget.take(size, "it")


def _top_entries(members):
    """``{name: is_dir}`` of a download's top-level entries (a name with members below it is a folder)."""
    entries = {}
    for member in members:
        parts = safe_member_path(member.filename)
        if parts:
            entries[parts[0]] = entries.get(parts[0], False) or len(parts) > 1 or member.is_dir()
    return entries


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
    if len(parts) > MAX_PATH_PARTS:
        return "/".join(parts[:3]) + "/...", f"is more than {MAX_PATH_PARTS} folders deep: skipped"
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
