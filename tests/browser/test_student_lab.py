"""The Lab a student works in, started by ``make lab``: no instructor tools, no news pop-up, and at each
release notebook's first stub a short message that says what to implement (no frames of the checks)."""

import os
import re
import runpy
from pathlib import Path

import pytest
from traitlets.config import Config

from autograder import course
from lab_session import ERROR_OUTPUT, KERNEL_IDLE, open_notebook, run_all, screenshot, step

pytestmark = pytest.mark.browser

STUDENT_LAB_CONFIG = course.COURSE_ROOT / "student-lab" / "jupyter_server_config.py"
GRADED_NOTEBOOKS = ["01_loss_functions.ipynb", "02_gradients.ipynb", "03_regularization.ipynb",
                    "04_optimization.ipynb"]
#: nbgrader's commands for instructors; a student's Lab must not offer them.
INSTRUCTOR_COMMANDS = ["nbgrader:open-formgrader", "nbgrader:open-formgrader-local", "nbgrader:open-create-assignment",
                       "nbgrader:open-course-list"]
#: What the issue counts as short enough to read without scrolling.
MAX_ERROR_LINES = 12
FIRST_ERROR_SHOWN = f"""() => {{
    const error = document.querySelector("{ERROR_OUTPUT}");
    const panel = window.jupyterapp.shell.currentWidget;
    return !!error && panel.sessionContext.session.kernel.status === 'idle';
}}"""


def _command_line(pid):
    return Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")


def _lab_processes(make_pid):
    """The command lines of the processes in make's process group that run JupyterLab."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if os.getpgid(int(entry.name)) == make_pid:
                line = _command_line(entry.name)
                if any(part.endswith(b"jupyter-lab") or part in (b"lab", b"jupyterlab") for part in line[:3]):
                    found.append([part.decode() for part in line if part])
        except (ProcessLookupError, FileNotFoundError, PermissionError):
            continue
    return found


def test_make_lab_serves_the_folder_it_is_given_and_allows_root_when_run_as_root(student_lab):
    labs = _lab_processes(student_lab["make"].pid)
    assert labs, f"no JupyterLab process under make lab:\n{student_lab['log'].read_text()[-2000:]}"
    assert str(student_lab["workspace"]) in labs[0]
    assert ("--allow-root" in labs[0]) == (os.geteuid() == 0), labs[0]


def test_the_students_lab_offers_no_instructor_tools_and_no_news_pop_up(student_lab, page):
    open_notebook(page, student_lab, "release/01_loss_functions.ipynb")
    with step(page, "looking at the menus", "student_lab_menus"):
        menus = page.locator(".lm-MenuBar-itemLabel").all_inner_texts()
        assert "File" in menus and "Kernel" in menus, menus
        assert "Nbgrader" not in menus, menus
        registered = page.evaluate("(ids) => ids.filter(id => window.jupyterapp.commands.hasCommand(id))",
                                   INSTRUCTOR_COMMANDS)
        assert registered == []
        # nbgrader's Validate button is a student's tool: it stays.
        assert page.locator(".validate-button").count() == 1
    page.wait_for_timeout(3000)  # the news question used to appear a moment after the Lab started
    screenshot(page, "student_lab")
    assert "Jupyter news" not in page.locator("body").inner_text()
    assert "formgrader" not in student_lab["log"].read_text().lower()


def assert_opened_unchanged(page, name):
    """Once its kernel has started, the Lab writes the kernel's metadata into the notebook: if the file's differ,
    the notebook opens marked unsaved, as if the student had changed something."""
    page.wait_for_timeout(2000)  # the kernel's info reply, and with it the metadata, arrive after it is idle
    dirty = page.evaluate("() => window.jupyterapp.shell.currentWidget.context.model.dirty")
    if dirty:
        screenshot(page, f"opened_unsaved_{Path(name).stem}")
    assert not dirty, f"{name} opened marked unsaved"


# One test per notebook for both: each kernel start costs seconds of the suite.
@pytest.mark.parametrize("name", GRADED_NOTEBOOKS)
def test_each_release_notebook_opens_unchanged_and_stops_at_its_first_stub_with_a_short_message(
        student_lab, page, name):
    open_notebook(page, student_lab, f"release/{name}")
    assert_opened_unchanged(page, name)
    run_all(page, until=FIRST_ERROR_SHOWN)
    error = page.locator(ERROR_OUTPUT).first
    with step(page, "reading the first error", f"first_failure_{name[:2]}"):
        error.scroll_into_view_if_needed()
        page.wait_for_function(KERNEL_IDLE)
        screenshot(page, f"first_failure_{Path(name).stem}")
        text = error.inner_text().strip()
        lines = text.splitlines()
        assert len(lines) <= MAX_ERROR_LINES, text
        assert lines[0].startswith("NotImplementedError: ") and "is not implemented yet" in lines[0], text
        assert re.search(r"in linear_classifier/\w+\.py, line \d+", text), text
        assert "checks/" not in text and "Traceback" not in text, text


def test_saving_a_notebook_keeps_a_widgets_text_and_drops_its_reference_to_the_live_widget():
    hook = runpy.run_path(str(STUDENT_LAB_CONFIG), init_globals={"get_config": Config})["widget_views_as_notes"]
    view = "application/vnd.jupyter.widget-view+json"
    model = {"type": "notebook", "content": {"metadata": {"widgets": {"state": {}}}, "cells": [
        {"cell_type": "code", "outputs": [
            {"output_type": "execute_result", "data": {view: {"model_id": "1"}, "text/plain": "[a panel: run it]"}},
            {"output_type": "display_data", "data": {view: {"model_id": "2"}}},
            {"output_type": "stream", "text": "kept"}]},
        {"cell_type": "markdown", "source": "kept"}]}}
    hook(model=model, path="05_loss_explorer.ipynb", contents_manager=None)
    outputs = model["content"]["cells"][0]["outputs"]
    assert outputs[0]["data"] == {"text/plain": "[a panel: run it]"}
    assert outputs[1]["data"] == {"text/plain": "[An interactive widget: run this cell again to show it.]"}
    assert outputs[2] == {"output_type": "stream", "text": "kept"}
    assert "widgets" not in model["content"]["metadata"]


def test_the_explorer_notebook_opens_unchanged(student_lab, page):
    open_notebook(page, student_lab, "release/05_loss_explorer.ipynb")
    assert_opened_unchanged(page, "05_loss_explorer.ipynb")
