"""The explorer imported from the reference package under ipympl's backend, and the panels the tests drive.

The panels run without a kernel: controls are set and buttons clicked as a user would, and the numbers in
the readouts and the data of the plotted artists are checked against the reference solution
(``solutions/``) and against definitions written out in ``explore_readouts.py``.
"""

import importlib
import sys
from pathlib import Path

import matplotlib.pyplot as plt
import pytest

from autograder import course

REFERENCE = course.reference_dir()
PACKAGE = course.PACKAGE
IPYMPL = "module://ipympl.backend_nbagg"


def _package_modules():
    return {name: module for name, module in sys.modules.items()
            if name == PACKAGE or name.startswith(PACKAGE + ".")}


@pytest.fixture(scope="module")
def explore():
    """``linear_classifier.explore`` imported from the reference package, under ipympl's backend.

    Whatever ``linear_classifier`` (or backend) another test module loaded is put back afterwards.
    """
    saved = _package_modules()
    for name in saved:
        del sys.modules[name]
    sys.path.insert(0, str(REFERENCE))
    backend = plt.get_backend()
    plt.switch_backend(IPYMPL)
    try:
        module = importlib.import_module(f"{PACKAGE}.explore")
        for name in ("losses", "gradients", "regularization", "optim"):
            importlib.import_module(f"{PACKAGE}.{name}")
        assert Path(module.__file__).resolve().is_relative_to(REFERENCE.resolve())
        yield module
    finally:
        plt.switch_backend(backend)
        sys.path.remove(str(REFERENCE))
        for name in _package_modules():
            del sys.modules[name]
        sys.modules.update(saved)


@pytest.fixture(scope="module")
def lc(explore):
    """The reference ``linear_classifier`` package the explorer calls (its student modules imported)."""
    return sys.modules[PACKAGE]


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def digits(explore):
    return explore.given.get_digits_data()


@pytest.fixture
def playground(explore):
    return explore.Playground()


@pytest.fixture
def landscape_state(explore, digits):
    state = explore.LandscapeState(data=digits)
    state.resolution = 11  # a coarser grid than the panel's default keeps the tests quick
    return state


@pytest.fixture
def landscape(explore, landscape_state):
    return explore.LandscapeExplorer(landscape_state)
