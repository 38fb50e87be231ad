"""Nothing lost: outputs are written into a new folder beside OUT and moved into place only when complete.

:func:`stage` checks OUT before any grading starts (a file, a folder that already holds something, a
folder that holds the submissions are refused, each saying what to do), and reserves the new folder, so
that a run that cannot write its outputs stops before it has graded anyone or touched the gradebook.
:meth:`Staging.commit` then swaps the complete outputs in: an earlier OUT is replaced whole (``--force``),
never mixed with the new outputs, so no stale student folder survives to be sent out.
"""

import os
import secrets
import shutil
from pathlib import Path

#: The file every output folder of ``grade`` and ``merge`` holds: what ``--force`` may replace.
MARKER = "grades.csv"
#: Entries of OUT shown when it is refused for holding files.
SHOWN = 4


class OutputError(ValueError):
    """OUT cannot receive the outputs; the message says why and what to do."""


class Staging:
    """A new folder beside ``out`` that receives the outputs, and the move that puts it in place."""

    def __init__(self, out, folder):
        self.out = out
        self.folder = folder

    def commit(self):
        """Put the complete outputs at ``out``, replacing whatever was there as a whole."""
        replaced = None
        if self.out.exists():
            replaced = self.out.with_name(f".{self.out.name}.replaced-{secrets.token_hex(4)}")
            os.rename(self.out, replaced)
        os.rename(self.folder, self.out)
        if replaced is not None:
            shutil.rmtree(replaced, ignore_errors=True)

    def discard(self):
        """Remove the unfinished outputs (OUT is left as it was)."""
        shutil.rmtree(self.folder, ignore_errors=True)


def stage(out, force=False, protected=()):
    """Check that ``out`` may receive the outputs and reserve the folder they are written to.

    Parameters
    ----------
    out : path
        The output folder: new, empty, or (with ``force``) an earlier output of the autograder.
    force : bool
        Replace an earlier output folder whole.
    protected : iterable of path
        Folders the outputs must never replace nor be written into (the submissions).

    Returns
    -------
    Staging

    Raises
    ------
    OutputError
        When ``out`` is a file, holds or is inside a protected folder, already holds files (without
        ``force``), or is not an output folder of the autograder (even with ``force``).
    """
    out = Path(out).resolve()
    for folder in (Path(p).resolve() for p in protected):
        if out == folder or folder in out.parents:
            raise OutputError(f"--out {out} is inside {folder}: nothing under the submissions may be written; choose "
                              "an output folder elsewhere.")
        if out in folder.parents:
            raise OutputError(f"--out {out} holds the submissions {folder}: replacing it would delete them; choose an "
                              "output folder of its own.")
    if out.exists() and not out.is_dir():
        raise OutputError(f"--out {out} is a file, not a folder: give a new folder for the outputs (it is created).")
    if out.is_dir() and any(out.iterdir()):
        if not (out / MARKER).is_file():
            raise OutputError(f"--out {out} holds files that are not an output of the autograder (it has no "
                              f"{MARKER}): nothing is written there, even with --force. Choose a new folder.")
        if not force:
            shown = sorted(entry.name for entry in out.iterdir())
            listed = ", ".join(shown[:SHOWN]) + (", ..." if len(shown) > SHOWN else "")
            raise OutputError(f"--out {out} already holds the outputs of an earlier run ({listed}): pass --force to "
                              "replace them whole, or choose a new folder. Nothing was graded.")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        folder = out.with_name(f".{out.name}.partial-{secrets.token_hex(4)}")
        folder.mkdir()
    except OSError as error:
        raise OutputError(f"--out {out} cannot be written ({error.strerror or error}): choose a folder you can "
                          "write to.") from None
    return Staging(out, folder)
