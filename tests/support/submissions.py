"""Submissions for the autograder's own tests, built by the corpus builder like every corpus case.

A submission is ``SUBMITTED/<student_id>/loss_optimization/``: the release with the student modules completed
by the reference (``base="reference"``) or left as stubs (``base="stubs"``), optionally with code appended to
modules (a later ``def`` replaces a function) and files written. It is a corpus case made on the spot
(``tests/corpus/build.py``), so tests and corpus fabricate submissions one way.
"""

import atexit
import functools
import shutil
import sys
import tempfile
from pathlib import Path

from autograder import course
from corpus.build import Case, build_release_copy, build_submissions

REPO = course.COURSE_ROOT
#: The interpreter running the tests (the venv's, under make test) runs every command they start.
PYTHON = Path(sys.executable)


@functools.lru_cache(maxsize=None)
def _release():
    """One copy of the release per test process, the base of every submission (removed when the process ends)."""
    folder = Path(tempfile.mkdtemp(prefix="autograder-test-release-"))
    atexit.register(shutil.rmtree, folder, True)
    return build_release_copy(folder / "release")


def make_submission(submitted, student_id, base="reference", append=None, files=None):
    """Write a submission and return its assignment folder.

    Parameters
    ----------
    base : {"reference", "stubs"}
    append : dict or None
        ``{module file name: code}`` appended to that module of ``linear_classifier/``.
    files : dict or None
        ``{path relative to the assignment folder: text}`` written as is.
    """
    spec = {"base": "release" if base == "stubs" else "reference",
            "patch": [{"module": name, "append": code} for name, code in (append or {}).items()],
            "file": [{"path": relative, "text": text} for relative, text in (files or {}).items()]}
    build_submissions([Case(student_id, "alternative", REPO, spec)], submitted, Path(submitted).parent / "out",
                      "support", release_copy=_release())
    return Path(submitted).resolve() / student_id / course.ASSIGNMENT


def tree_snapshot(root):
    """Every path under ``root`` with its symlink target or bytes (symlinks not followed)."""
    snapshot = {}
    for path in sorted(Path(root).rglob("*")):
        if path.is_symlink():
            snapshot[str(path)] = ("link", str(path.readlink()))
        elif path.is_file():
            snapshot[str(path)] = ("file", path.read_bytes())
        else:
            snapshot[str(path)] = ("dir", None)
    return snapshot
