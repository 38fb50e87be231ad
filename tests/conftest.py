"""Shared fixtures: the reference and release packages, loaded side by side."""

import importlib
import sys

import pytest

from autograder import paths
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
    monkeypatch.syspath_prepend(str(paths.reference_dir()))
    for name in _imported_package_modules():
        monkeypatch.delitem(sys.modules, name)
    package = importlib.import_module(paths.PACKAGE)
    for module in NOTEBOOK_MODULES:
        importlib.import_module(f"{paths.PACKAGE}.{module}")
    assert package.__file__.startswith(str(paths.reference_dir())), package.__file__
    yield package
    # Forget this copy; monkeypatch then restores the modules it removed.
    for name in _imported_package_modules():
        del sys.modules[name]


def _imported_package_modules():
    return [name for name in sys.modules if name == paths.PACKAGE or name.startswith(f"{paths.PACKAGE}.")]
