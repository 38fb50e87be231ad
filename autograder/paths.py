"""Where things are in the course repository: the one place for these names."""

import contextlib
import os
import sys
from pathlib import Path

#: The repository root, which is also the nbgrader course root.
COURSE_ROOT = Path(__file__).resolve().parent.parent
#: The nbgrader assignment this course ships.
ASSIGNMENT = "loss_optimization"
#: Instructor source (nbgrader's source_directory), relative to the course root.
SOURCE_DIR = "solutions"
#: Student release (nbgrader's release_directory), relative to the course root.
RELEASE_DIR = "assignments"
#: The package students complete, inside the assignment folder.
PACKAGE = "linear_classifier"


def reference_dir(course_root=COURSE_ROOT):
    """The instructor's assignment folder, which holds the reference package."""
    return Path(course_root) / SOURCE_DIR / ASSIGNMENT


def release_dir(course_root=COURSE_ROOT):
    """The generated student release of the assignment."""
    return Path(course_root) / RELEASE_DIR / ASSIGNMENT


@contextlib.contextmanager
def tools_on_path():
    """Put this interpreter's scripts folder on PATH while the block runs.

    nbgrader's gradebook runs the ``alembic`` command by name; when the venv's
    python is called directly (without activating the venv), that command
    would not be found.
    """
    saved = os.environ.get("PATH", "")
    os.environ["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), saved])
    try:
        yield
    finally:
        os.environ["PATH"] = saved
