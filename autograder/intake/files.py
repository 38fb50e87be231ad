"""Reading a student's files safely: size limits, no symbolic links followed, and names that are safe to show.

Everything a student hands in is untrusted. The intake and the grader's copy of the package
(:func:`autograder.grading.submissions.copy_package`) read files through these helpers, so the limits
are set in one place.
"""

import os
import shutil

#: A single file of a submission larger than this is not copied.
MAX_FILE_BYTES = 8 * 2 ** 20
#: Notes about skipped entries kept for one student; the others are counted in one note, so that a submission of
#: countless bad entries cannot swell its feedback.
MAX_SKIP_NOTES = 10
#: Names the intake never looks into: operating systems' and editors' leftovers, and hidden files.
IGNORED_NAMES = ("__MACOSX", "__pycache__", ".ipynb_checkpoints", ".DS_Store", "Thumbs.db", "desktop.ini")


def ignored(name):
    """Whether ``name`` is a leftover of an operating system or editor, or hidden (never a student's work)."""
    return name.startswith(".") or name in IGNORED_NAMES


def copy_file_nofollow(source, destination):
    """Copy the regular file ``source`` to ``destination`` without following a symbolic link (OSError if it is one)."""
    descriptor = os.open(source, os.O_RDONLY | os.O_NOFOLLOW)
    with os.fdopen(descriptor, "rb") as reader, open(destination, "wb") as writer:
        shutil.copyfileobj(reader, writer, MAX_FILE_BYTES)
    os.chmod(destination, 0o644)


def capped_notes(notes):
    """``notes``, those beyond :data:`MAX_SKIP_NOTES` counted in a last one."""
    if len(notes) <= MAX_SKIP_NOTES:
        return list(notes)
    return notes[:MAX_SKIP_NOTES] + [f"... and {len(notes) - MAX_SKIP_NOTES} more entries skipped in the same way."]
