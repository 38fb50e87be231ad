"""The student's JupyterLab, started by ``make lab`` as a student starts it, and headless Chromium to drive it.

One Lab server (per xdist worker) serves a workspace with two copies of the assignment:
``release/``, the release as students get it (stubs that raise ``NotImplementedError``), and
``explorer/``, the explorer notebook beside the reference package, so that its panels have numbers to
show. The server runs with fresh config, data, runtime and settings directories and its own token;
``make lab`` adds the student's configuration (``student-lab/``) and, as root, ``--allow-root``. The
only user setting the tests add renders every cell, not only those scrolled into view, so that outputs
can be found. Chromium is Debian's (Playwright cannot download browsers here). Screenshots go to
``test-artifacts/``.
"""

import os

import pytest

from autograder import course
from lab_session import CHROMIUM, CHROMIUM_ARGS, copy_assignment, new_page, start_student_lab


@pytest.fixture(scope="session")
def workspace(tmp_path_factory):
    """``release/``: the release as students get it; ``explorer/``: the release with the reference package."""
    root = tmp_path_factory.mktemp("lab-workspace")
    copy_assignment(course.release_dir(), root / "release")
    copy_assignment(course.release_dir(), root / "explorer", package_from=course.reference_dir())
    return root


@pytest.fixture(scope="session")
def student_lab(workspace, tmp_path_factory):
    """``make lab`` serving the workspace on 127.0.0.1: its URL, token, log, command and workspace."""
    with start_student_lab(workspace, tmp_path_factory.mktemp("lab-home")) as lab:
        yield lab


@pytest.fixture(scope="session")
def browser():
    """Headless Chromium (Debian's package) under Playwright."""
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium package (`make setup` does, "
                    "`apt-get install chromium` by hand). Playwright cannot download a browser here.")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        try:
            chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        except Exception as error:  # noqa: BLE001 (reported as a failure with the reason)
            pytest.fail(f"Chromium at {CHROMIUM} did not start under Playwright: {error}")
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser):
    page = new_page(browser)
    yield page
    page.close()
