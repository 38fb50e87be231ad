"""Submissions for the autograder's own tests, made from the reference solution.

A submission is ``SUBMITTED/<student_id>/loss_optimization/linear_classifier/``:
the reference package, its release stubs (solution regions replaced by
``raise NotImplementedError`` exactly as ``python -m autograder release`` does),
or either with code appended to a module (a later ``def`` replaces a function).
"""

import shutil
import sys
import textwrap
from pathlib import Path

from autograder import course
from autograder.release import BEGIN_SOLUTION, strip_module

REPO = course.COURSE_ROOT
#: The interpreter running the tests (the venv's, under make test) runs every command they start.
PYTHON = Path(sys.executable)


def make_submission(submitted, student_id, base="reference", append=None, files=None):
    """Write a submission and return its assignment folder.

    Parameters
    ----------
    base : {"reference", "stubs"}
    append : dict or None
        ``{module file name: code}`` appended to that module.
    files : dict or None
        ``{path relative to the assignment folder: text}`` written as is.
    """
    folder = Path(submitted) / student_id / course.ASSIGNMENT
    package = folder / course.PACKAGE
    shutil.copytree(course.reference_dir() / course.PACKAGE, package,
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    if base == "stubs":
        for module in package.rglob("*.py"):
            text = module.read_text(encoding="utf-8")
            if BEGIN_SOLUTION in text:
                module.write_text(strip_module(text, module.relative_to(folder).as_posix()), encoding="utf-8")
    for name, code in (append or {}).items():
        module = package / name
        module.write_text(module.read_text(encoding="utf-8") + "\n\n" + textwrap.dedent(code), encoding="utf-8")
    for relative, text in (files or {}).items():
        path = folder / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return folder


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
