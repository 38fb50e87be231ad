"""Helpers of the browser tests: start and stop ``make lab``, drive JupyterLab in Chromium, keep screenshots.

See ``conftest.py`` for the Lab and the browser the tests share.
"""

import contextlib
import json
import os
import secrets
import shutil
import signal
import subprocess
import time
import urllib.request

import pytest

from autograder import course
from support.ports import free_port

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ARTIFACTS = course.COURSE_ROOT / "test-artifacts"
SERVER_START_SECONDS = 90
#: The test's own user setting: render every cell (JupyterLab 4 leaves cells out of view unrendered).
LAB_SETTINGS = {"@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"}}
#: Environment variables of an outer make that would confuse the inner one.
MAKE_VARIABLES = ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES")

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
#: The explorer's panels, each with one figure: Playground, LandscapeExplorer, StepSizeLab, MomentumLab,
#: BatchSizeLab and ScoresComparison.
NUM_PANELS = 6
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
#: Error outputs (and stderr) render with this MIME type.
ERROR_OUTPUT = ".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']"


def _tail(path, lines=40):
    text = path.read_text(encoding="utf-8", errors="replace") if path.exists() else "(no log)"
    return "\n".join(text.splitlines()[-lines:])


def copy_assignment(source, destination, package_from=None):
    """The notebooks and data of ``source`` with the package of ``package_from`` (default: the source's own)."""
    ignore = shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints")
    shutil.copytree(source, destination, ignore=ignore)
    if package_from is not None:
        shutil.rmtree(destination / course.PACKAGE)
        shutil.copytree(package_from / course.PACKAGE, destination / course.PACKAGE, ignore=ignore)
    return destination


def stop(server):
    # make runs in its own process group, with the Lab and the kernels the Lab started.
    for signum, wait in ((signal.SIGTERM, 20), (signal.SIGKILL, 5)):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.pid, signum)
        try:
            server.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


def wait_until_serving(server, url, token, log):
    deadline = time.monotonic() + SERVER_START_SECONDS
    while True:
        if server.poll() is not None:
            pytest.fail(f"make lab exited with code {server.returncode} before serving:\n{_tail(log)}")
        try:
            with urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            pytest.fail(f"make lab did not answer on {url} within {SERVER_START_SECONDS} s:\n{_tail(log)}")
        time.sleep(0.3)


@contextlib.contextmanager
def start_student_lab(workspace, home):
    """``make lab`` serving ``workspace`` on 127.0.0.1 with fresh Jupyter folders in ``home``: yields its URL,
    token, log, workspace and the ``make`` process."""
    settings = home / "settings"
    for name, values in LAB_SETTINGS.items():
        (settings / name).parent.mkdir(parents=True, exist_ok=True)
        (settings / name).write_text(json.dumps(values), encoding="utf-8")
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("JUPYTER", "MPL")) and key not in MAKE_VARIABLES}
    env.update(JUPYTER_CONFIG_DIR=str(home / "config"), JUPYTER_DATA_DIR=str(home / "data"),
               JUPYTER_RUNTIME_DIR=str(home / "runtime"), IPYTHONDIR=str(home / "ipython"),
               JUPYTERLAB_SETTINGS_DIR=str(settings), JUPYTERLAB_WORKSPACES_DIR=str(home / "workspaces"))
    port, token = free_port(), secrets.token_hex(16)
    lab_args = (f"--no-browser --ServerApp.ip=127.0.0.1 --ServerApp.port={port} --ServerApp.port_retries=0 "
                f"--IdentityProvider.token={token} --LabApp.expose_app_in_browser=True")
    command = ["make", "-C", str(course.COURSE_ROOT), "lab", f"LAB_FOLDER={workspace}", f"LAB_ARGS={lab_args}"]
    log = home / "make-lab.log"
    with open(log, "wb") as output:
        server = subprocess.Popen(command, env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(server, url, token, log)
        yield {"url": url, "token": token, "log": log, "workspace": workspace, "make": server}
    finally:
        stop(server)


def new_page(browser):
    """A page of its own (1400 x 1100) that records the browser console's messages in ``page.console_messages``."""
    page = browser.new_page(viewport={"width": 1400, "height": 1100})
    page.console_messages = []
    page.on("console", lambda message: page.console_messages.append(message.text))
    page.set_default_timeout(45_000)
    return page


def screenshot(page, name):
    """Keep a screenshot of the page as ``test-artifacts/<name>.png``; returns its path."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path))
    return path


@contextlib.contextmanager
def step(page, what, name="failure"):
    """Name the step that failed and keep a screenshot of the page at that moment."""
    try:
        yield
    except Exception as error:  # noqa: BLE001 (re-raised with context)
        shot = screenshot(page, name)
        raise AssertionError(f"{what} failed ({type(error).__name__}: {error}); screenshot: {shot}") from error


def open_notebook(page, lab, path):
    """Open the notebook at ``path`` (relative to the workspace) and wait for its kernel."""
    with step(page, f"opening {path} and starting its kernel"):
        # reset: a fresh layout, rather than every notebook an earlier page left open.
        page.goto(f"{lab['url']}/lab/tree/{path}?reset&token={lab['token']}")
        page.wait_for_function(KERNEL_IDLE, timeout=90_000)


def run_all(page, until=ALL_CELLS_RAN, timeout=120_000):
    """Run all cells of the open notebook and wait for ``until`` (a JavaScript predicate)."""
    with step(page, "running all cells"):
        # Not awaited: the command's promise does not always settle when a cell fails, and evaluate has no timeout.
        page.evaluate("() => { window.jupyterapp.commands.execute('notebook:run-all-cells'); }")
        page.wait_for_function(until, timeout=timeout)


def command(page, name, args=None):
    """Run the JupyterLab command ``name`` and wait for it to finish."""
    return page.evaluate("([name, args]) => window.jupyterapp.commands.execute(name, args)", [name, args or {}])


def lab_api(lab, method, path):
    """A request to the Lab server's REST API; returns the decoded JSON answer (None when empty)."""
    request = urllib.request.Request(f"{lab['url']}{path}", method=method,
                                     headers={"Authorization": f"token {lab['token']}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        body = response.read()
    return json.loads(body) if body else None


def run_cell(page, index, timeout=60_000):
    """Run the code cell at ``index`` of the open notebook and wait until it has run; returns its output text."""
    with step(page, f"running cell {index}"):
        page.evaluate("""(index) => {
            const panel = window.jupyterapp.shell.currentWidget;
            const cell = panel.content.widgets[index];
            window.lxRunCount = (cell.model.executionCount || 0);
            panel.content.activeCellIndex = index;
            window.jupyterapp.commands.execute('notebook:run-cell');
        }""", index)
        page.wait_for_function("""(index) => {
            const panel = window.jupyterapp.shell.currentWidget;
            const cell = panel.content.widgets[index];
            return cell.model.executionCount !== null && cell.model.executionCount !== window.lxRunCount
                && panel.sessionContext.session.kernel.status === 'idle';
        }""", arg=index, timeout=timeout)
        page.wait_for_timeout(300)  # the outputs render after the reply
    return cell_output(page, index)


def cell_output(page, index):
    """The rendered text of the outputs of cell ``index`` of the open notebook."""
    return page.locator(".jp-Notebook .jp-Cell").nth(index).locator(".jp-OutputArea").inner_text()


def error_outputs(page, index):
    """How many error outputs cell ``index`` shows."""
    return page.locator(".jp-Notebook .jp-Cell").nth(index).locator(ERROR_OUTPUT).count()


KERNEL_PRINT = """async (code) => {
    // Run code in the open notebook's kernel, outside any cell; resolve to what it printed.
    const kernel = window.jupyterapp.shell.currentWidget.sessionContext.session.kernel;
    const future = kernel.requestExecute({code, silent: false, store_history: false});
    let printed = '';
    future.onIOPub = (message) => {
        if (message.header.msg_type === 'stream') printed += message.content.text;
        if (message.header.msg_type === 'error') printed += 'ERROR ' + message.content.evalue;
    };
    await future.done;
    return printed;
}"""


def kernel_print(page, code):
    """What ``code`` prints when run in the open notebook's kernel outside its cells (nothing is shown)."""
    return page.evaluate(KERNEL_PRINT, code)


def write_notebook(path, cells):
    """Write a notebook of ``cells`` (nbformat cells) to ``path``, with the release notebooks' metadata."""
    import nbformat

    notebook = nbformat.v4.new_notebook(cells=cells)
    notebook.metadata = {"kernelspec": {"display_name": "Python 3 (loss_optimization)", "language": "python",
                                        "name": "python3"}, "language_info": {"name": "python"}}
    nbformat.write(notebook, str(path))
