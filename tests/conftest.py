"""Shared fixtures: the reference and release packages, loaded side by side; the ``slow`` marker.

The folders say what a test is about: ``course/`` the student package, notebooks' checks and release,
``autograder/`` the grader's library and commands, ``end_to_end/`` whole workflows (nbgrader, PostgreSQL,
the corpora, notebooks run by a kernel), ``browser/`` JupyterLab in Chromium. ``support/`` helps them all.
``make test-fast`` runs everything but ``end_to_end/`` and ``browser/``, which are marked ``slow`` here.
"""

import importlib
import sys
from pathlib import Path

import pytest

from autograder import course
from autograder.packages import reference_package, release_package

#: Submodules the notebooks import (``explore`` is left out: it pulls in ipywidgets and is tested on its own).
NOTEBOOK_MODULES = ("data", "validation", "losses", "gradients", "regularization", "optim", "models", "plotting",
                    "checks.report", "checks.tolerances", "checks.losses", "checks.gradients",
                    "checks.regularization", "checks.optim", "checks.models")


@pytest.fixture(scope="session")
def reference():
    """The instructor's reference package from solutions/."""
    return reference_package()


@pytest.fixture(scope="session")
def release():
    """The generated student release package from assignments/ (stubs raise NotImplementedError)."""
    return release_package()


@pytest.fixture
def reference_as_notebooks_import_it(monkeypatch):
    """The reference imported from solutions/ under its own name, ``linear_classifier``, as a notebook does.

    The visible checks name modules and functions in their messages, which the alias of ``reference`` would
    change. Whatever another test imported as ``linear_classifier`` is put back afterwards.
    """
    monkeypatch.syspath_prepend(str(course.reference_dir()))
    for name in _imported_package_modules():
        monkeypatch.delitem(sys.modules, name)
    package = importlib.import_module(course.PACKAGE)
    for module in NOTEBOOK_MODULES:
        importlib.import_module(f"{course.PACKAGE}.{module}")
    assert package.__file__.startswith(str(course.reference_dir())), package.__file__
    yield package
    # Forget this copy; monkeypatch then restores the modules it removed.
    for name in _imported_package_modules():
        del sys.modules[name]


def _imported_package_modules():
    return [name for name in sys.modules if name == course.PACKAGE or name.startswith(f"{course.PACKAGE}.")]


#: Folders whose tests start whole workflows (servers, kernels, batches of submissions): ``make test-fast`` skips them.
SLOW_FOLDERS = ("end_to_end", "browser")


def pytest_collection_modifyitems(config, items):
    tests = Path(__file__).resolve().parent
    for item in items:
        relative = Path(item.fspath).resolve().relative_to(tests)
        if relative.parts[0] in SLOW_FOLDERS:
            item.add_marker(pytest.mark.slow)


def pytest_configure(config):
    """Register this session as one that may open folders for the normal user (in the controlling process, before
    xdist starts the workers, which inherit its id)."""
    if not hasattr(config, "workerinput"):
        from support.users import register_session

        register_session()


def pytest_sessionfinish(session):
    """Close what tests opened for the normal user they grade as (once, in the controlling process)."""
    if not hasattr(session.config, "workerinput"):
        from support.users import restore_traversal

        restore_traversal()
