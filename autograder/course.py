"""The course's vocabulary: its folders, the modules students write, and the graded groups.

The one place for these names (the groups: those of the declarations in :mod:`autograder.graded`);
``nbgrader_config.py``, the grader, the release, the benchmarks and the tests all read them from here.
"""

import contextlib
import os
import sys
from pathlib import Path

from .graded import FUNCTIONS

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
#: The modules of the package that students write (each holds solution regions in solutions/), in notebook order.
STUDENT_MODULES = ("losses", "gradients", "regularization", "optim", "models")
#: The graded groups, ``module.function``, in the order of the notebooks: one per declaration of
#: :mod:`autograder.graded`. Every test name starts with its group, and each group has one nbgrader test cell
#: (see :func:`grade_id`).
GROUPS = tuple(function.group for function in FUNCTIONS)


def student_files():
    """The student modules as paths inside the assignment folder (``linear_classifier/losses.py``, ...)."""
    return tuple(f"{PACKAGE}/{module}.py" for module in STUDENT_MODULES)


def group_of(test_name):
    """The group of a test: its first two dotted parts (``losses.svm_loss_naive.loss.shapes`` -> ``losses.svm_loss_naive``)."""
    return ".".join(test_name.split(".")[:2])


def grade_id(group):
    """The nbgrader grade_id of a group's test cell: ``test_`` + the group with ``_`` for ``.``."""
    return "test_" + group.replace(".", "_")


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
