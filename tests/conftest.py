"""Shared fixtures: the reference and release packages, loaded side by side."""

import pytest

from autograder.packages import reference_package, release_package


@pytest.fixture(scope="session")
def reference():
    """The instructor's reference package from solutions/."""
    return reference_package()


@pytest.fixture(scope="session")
def release():
    """The generated student release package from assignments/ (stubs raise NotImplementedError)."""
    return release_package()
