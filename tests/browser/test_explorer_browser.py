"""End to end: the loss explorer notebook in a real JupyterLab, driven by headless Chromium.

A JupyterLab server starts on 127.0.0.1 with fresh config, data, runtime and
settings directories and its own token, serving a temporary copy of the
explorer notebook beside the reference package (the release's stubs would only
show "implement ..." notices). Chromium (Debian's package; Playwright cannot
download browsers here) opens the notebook, runs all cells, drags a slider,
clicks a button, and checks that the readout changes, that the ipympl canvases
paint, and that no widget failed to display. A screenshot goes to
``test-artifacts/``.
"""

import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from autograder import course

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
NOTEBOOK = "05_loss_explorer.ipynb"
ARTIFACTS = course.COURSE_ROOT / "test-artifacts"
SERVER_START_SECONDS = 60
#: The explorer's panels, each with one figure: Playground, LandscapeExplorer, StepSizeLab, MomentumLab,
#: BatchSizeLab and ScoresComparison.
NUM_FIGURES = 6
#: User settings of the fresh JupyterLab: render every cell (not only those scrolled into view) and stay offline.
LAB_SETTINGS = {
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"checkForUpdates": False,
                                                                        "fetchNews": "false"},
}

KERNEL_IDLE = """() => {
    const panel = window.jupyterapp && window.jupyterapp.shell.currentWidget;
    const context = panel && panel.sessionContext;
    return !!(context && context.isReady && context.session && context.session.kernel
              && context.session.kernel.status === 'idle');
}"""
ALL_CELLS_RAN = """() => {
    const panel = window.jupyterapp.shell.currentWidget;
    const cells = panel.content.widgets.filter(cell => cell.model.type === 'code');
    return cells.length > 0 && cells.every(cell => cell.model.executionCount !== null)
        && panel.sessionContext.session.kernel.status === 'idle';
}"""
PAINTED_FIGURES = """(count) => {
    // ipympl draws each figure's PNG onto the first <canvas> of its canvas div: count those with ink.
    const painted = Array.from(document.querySelectorAll('.jupyter-matplotlib-canvas-div')).filter(div => {
        const canvas = div.querySelector('canvas');
        if (!canvas || canvas.width < 100 || canvas.height < 100) return false;
        const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
        for (let i = 0; i < data.length; i += 4 * 97) {
            if (data[i + 3] > 0 && (data[i] < 200 || data[i + 1] < 200 || data[i + 2] < 200)) return true;
        }
        return false;
    });
    return painted.length >= count;
}"""


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _signal_group(group, signum):
    try:
        os.killpg(group, signum)
    except ProcessLookupError:
        pass


def _tail(path, lines=40):
    text = path.read_text(encoding="utf-8", errors="replace") if path.exists() else "(no log)"
    return "\n".join(text.splitlines()[-lines:])


@pytest.fixture
def lab_server(tmp_path):
    """A JupyterLab server on 127.0.0.1 serving a copy of the explorer and the reference package."""
    work = tmp_path / "work"
    work.mkdir()
    shutil.copy(course.reference_dir() / NOTEBOOK, work / NOTEBOOK)
    shutil.copytree(course.reference_dir() / course.PACKAGE, work / course.PACKAGE,
                    ignore=shutil.ignore_patterns("__pycache__"))
    settings = tmp_path / "lab-settings"
    for name, values in LAB_SETTINGS.items():
        (settings / name).parent.mkdir(parents=True, exist_ok=True)
        (settings / name).write_text(json.dumps(values), encoding="utf-8")
    env = {key: value for key, value in os.environ.items() if not key.startswith(("JUPYTER", "MPL"))}
    env.update(
        JUPYTER_CONFIG_DIR=str(tmp_path / "config"), JUPYTER_DATA_DIR=str(tmp_path / "data"),
        JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"), IPYTHONDIR=str(tmp_path / "ipython"),
        JUPYTERLAB_SETTINGS_DIR=str(settings), JUPYTERLAB_WORKSPACES_DIR=str(tmp_path / "workspaces"),
        LOSS_OPTIMIZATION_DATA=str(course.COURSE_ROOT / "data"),
    )
    port, token = _free_port(), secrets.token_hex(16)
    log = tmp_path / "jupyterlab.log"
    command = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ServerApp.ip=127.0.0.1",
               f"--ServerApp.port={port}", "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}",
               f"--ServerApp.root_dir={work}", "--LabApp.expose_app_in_browser=True",
               "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
    if os.geteuid() == 0:
        command.append("--allow-root")  # containers and CI runners often run as root
    with open(log, "wb") as output:
        server = subprocess.Popen(command, cwd=work, env=env, stdout=output, stderr=subprocess.STDOUT,
                                  start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + SERVER_START_SECONDS
        while True:
            if server.poll() is not None:
                pytest.fail(f"JupyterLab exited with code {server.returncode} before serving:\n{_tail(log)}")
            try:
                with urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"JupyterLab did not answer on {url} within {SERVER_START_SECONDS} s:\n{_tail(log)}")
            time.sleep(0.3)
        yield {"url": url, "token": token, "log": log}
    finally:
        # The server runs in its own process group, with the kernels it started.
        _signal_group(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            _signal_group(server.pid, signal.SIGKILL)
            server.wait(timeout=5)


@pytest.fixture
def page():
    """A page of headless Chromium driven by Playwright."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium package (`make setup` does, "
                    "`apt-get install chromium` by hand). Playwright cannot download a browser here.")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        try:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        except Exception as error:  # noqa: BLE001 (reported as a failure with the reason)
            pytest.fail(f"Chromium at {CHROMIUM} did not start under Playwright: {error}")
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1100})
            page.console_messages = []
            page.on("console", lambda message: page.console_messages.append(message.text))
            yield page
        finally:
            browser.close()


def _readout(page, css_class):
    return page.locator(f".{css_class}").first.inner_text()


@contextlib.contextmanager
def _step(page, what):
    """Name the step that failed and keep a screenshot of the page at that moment."""
    try:
        yield
    except Exception as error:  # noqa: BLE001 (re-raised with context)
        ARTIFACTS.mkdir(exist_ok=True)
        shot = ARTIFACTS / "explorer_failure.png"
        page.screenshot(path=str(shot))
        raise AssertionError(f"{what} failed ({type(error).__name__}: {error}); screenshot: {shot}") from error


def test_explorer_runs_in_jupyterlab_and_reacts_to_controls(lab_server, page):
    page.set_default_timeout(45_000)
    with _step(page, "opening the notebook and starting its kernel"):
        page.goto(f"{lab_server['url']}/lab/tree/{NOTEBOOK}?token={lab_server['token']}")
        page.wait_for_function(KERNEL_IDLE, timeout=60_000)
    with _step(page, "running all cells"):
        page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
        page.wait_for_function(ALL_CELLS_RAN, timeout=60_000)
    with _step(page, "rendering the widgets and the ipympl canvases"):
        page.wait_for_selector(".lx-total-loss")
        page.wait_for_function(PAINTED_FIGURES, arg=NUM_FIGURES)

    playground = page.locator(".lx-readout").first
    playground.scroll_into_view_if_needed()
    before = _readout(page, "lx-total-loss")
    assert before != "—", "the playground shows no loss: the reference package was not used"

    with _step(page, "dragging the regularization slider"):
        handle = page.locator(".lx-reg .noUi-handle").first
        box = handle.bounding_box()
        page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        page.mouse.down()
        page.mouse.move(box["x"] + box["width"] / 2 + 30, box["y"] + box["height"] / 2, steps=6)
        page.mouse.up()
        page.wait_for_function("(old) => document.querySelector('.lx-total-loss').textContent !== old", arg=before)
    after_slider = _readout(page, "lx-total-loss")
    assert _readout(page, "lx-iteration") == "0"

    with _step(page, "clicking Single update"):
        page.locator("button.lx-step").first.click()
        page.wait_for_function("() => document.querySelector('.lx-iteration').textContent === '1'")
    assert _readout(page, "lx-total-loss") != after_slider

    # Let the figure's redraw after the update reach the page before the screenshot (not asserted).
    page.wait_for_function(KERNEL_IDLE)
    page.wait_for_timeout(1000)
    page.wait_for_function(KERNEL_IDLE)
    ARTIFACTS.mkdir(exist_ok=True)
    page.evaluate("() => document.querySelector('.jupyter-matplotlib-figure').scrollIntoView({block: 'start'})")
    page.screenshot(path=str(ARTIFACTS / "explorer_playground.png"))
    outputs = "\n".join(page.locator(".jp-OutputArea-output").all_inner_texts())
    assert "Error displaying widget" not in outputs
    # A widget view that failed to set its state (e.g. an ipympl canvas with a broken image) logs this.
    assert not [m for m in page.console_messages if "Error setting state" in m or "Error displaying widget" in m]
    assert page.locator(".jupyter-matplotlib-figure").count() == NUM_FIGURES
    assert page.locator(".lx-error").count() == 0, page.locator(".lx-error").first.inner_text()
    assert page.locator(".lx-stub").count() == 0, page.locator(".lx-stub").first.inner_text()
