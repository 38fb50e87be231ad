"""The JupyterLite site of ``make lite`` in headless Chromium, with every non-local request refused and counted.

The site (``build/lite/site``, built by ``make lite``, which ``make test-lite`` runs first) is served on 127.0.0.1
by Python's static file server, as any static host would. Chromium's proxy is a local one that answers every
request with 403 and records it: Chromium sends everything but loopback through it, pages, web workers (where
Pyodide runs) and the service worker alike, so a request that would leave the machine is counted. Playwright's
own route refuses and counts them as well. Both counts must be 0, leaving out the hosts Chromium itself calls
whatever the page (updates, sign-in, autofill: :data:`CHROMIUM_OWN_HOSTS`), which are refused and reported.

As a student would: the reference modules are saved into the site's browser storage (what editing a file in the
browser does) and are still there after a reload; notebooks 01-04 run cell by cell, the student's own cells
typed in from the solutions, with every check passing (✓, no ✗, no error); a planted mistake gets its diagnosis;
notebook 05's six panels paint and the Playground answers a click; ``submit.ipynb`` gives the submission zip,
which ``python -m autograder grade`` grades. ``bench/lite.py`` measures the site's size and cold start.
"""

import csv
import functools
import json
import http.server
import os
import socketserver
import subprocess
import sys
import threading
import time
import urllib.parse

import pytest

from autograder import course
from lab_session import CHROMIUM, CHROMIUM_ARGS, NUM_PANELS, PAINTED_FIGURES, screenshot, step

pytestmark = [pytest.mark.browser, pytest.mark.lite]

SITE = course.COURSE_ROOT / "build" / "lite" / "site"
RELEASE = course.release_dir()
EXPLORER = "05_loss_explorer.ipynb"
NOTEBOOK = "01_loss_functions.ipynb"
#: Indices of notebook 01's code cells: the setup cell, the data, the SVM check.
SETUP, DATA, SVM_CHECK = 1, 3, 10
KERNEL_START_MS = 240_000
CELL_MS = 60_000

APP_READY = "() => !!(window.jupyterapp && window.jupyterapp.serviceManager && window.jupyterapp.shell)"
KERNEL_STARTED = """(path) => {
    const panel = window.jupyterapp.shell.currentWidget;
    const context = panel && panel.sessionContext;
    return !!(panel && panel.context && panel.context.path === path && context && context.session
              && context.session.kernel);
}"""
RUN_CELL = """(index) => {
    const panel = window.jupyterapp.shell.currentWidget;
    panel.content.activeCellIndex = index;
    window.jupyterapp.commands.execute('notebook:run-cell');
}"""
CELL_DONE = """([index, before]) => {
    const panel = window.jupyterapp.shell.currentWidget;
    const cell = panel.content.widgets[index];
    return cell.model.executionCount !== null && cell.model.executionCount !== before
        && panel.sessionContext.session.kernel.status === 'idle';
}"""
CELL_OUTPUT = """(index) => {
    const cell = window.jupyterapp.shell.currentWidget.content.widgets[index];
    return JSON.stringify(cell.model.outputs.toJSON());
}"""


#: Hosts Chromium itself calls (updates, sign-in, autofill), whatever page it shows: refused by the proxy like
#: every other request, and reported apart from the site's.
CHROMIUM_OWN_HOSTS = ("update.googleapis.com", "accounts.google.com", "content-autofill.googleapis.com",
                      "optimizationguide-pa.googleapis.com", "clients2.google.com", "safebrowsing.googleapis.com")


def proxy_host(line):
    """The host of a proxy request's first line (``CONNECT host:443 ...`` or ``GET http://host/... ...``)."""
    target = line.split(" ")[1] if " " in line else line
    return urllib.parse.urlsplit(target if "://" in target else f"//{target}").hostname


class RefusingProxy(socketserver.ThreadingTCPServer):
    """An HTTP proxy on 127.0.0.1 that answers 403 to everything and keeps each request's first line."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self):
        self.requests = []

        class Handler(socketserver.StreamRequestHandler):
            def handle(handler):
                line = handler.rfile.readline(4096).decode("latin-1").strip()
                if line:
                    self.requests.append(line)
                handler.wfile.write(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")

        super().__init__(("127.0.0.1", 0), Handler)


class QuietStaticFiles(http.server.SimpleHTTPRequestHandler):
    extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map,
                      ".wasm": "application/wasm", ".mjs": "text/javascript", ".js": "text/javascript"}

    def log_message(self, *args):
        pass


def serve(server):
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server


@pytest.fixture(scope="module")
def site():
    if not (SITE / "index.html").exists():
        pytest.fail(f"{SITE} holds no site: run `make lite` first (`make test-lite` does)")
    server = serve(http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(QuietStaticFiles, directory=str(SITE))))
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()


@pytest.fixture(scope="module")
def offline_page(site, tmp_path_factory):
    """A page of a fresh browser whose every non-local request is refused: ``page.external`` lists them."""
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium package (`make setup` does)")
    from playwright.sync_api import sync_playwright

    proxy = serve(RefusingProxy())
    refused = []

    def refuse_external(route):
        host = urllib.parse.urlsplit(route.request.url).hostname
        if route.request.url.startswith(("data:", "blob:")) or host in ("127.0.0.1", "localhost"):
            route.continue_()
        else:
            refused.append(route.request.url)
            route.abort()

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True,
            args=[*CHROMIUM_ARGS, f"--proxy-server=http://127.0.0.1:{proxy.server_address[1]}"])
        context = browser.new_context(viewport={"width": 1400, "height": 1100}, accept_downloads=True)
        context.route("**/*", refuse_external)
        page = context.new_page()
        page.console_messages = []
        started = time.monotonic()
        page.on("console", lambda message: page.console_messages.append(
            f"{time.monotonic() - started:.0f}s {message.text}"))
        page.on("pageerror", lambda error: page.console_messages.append(f"page error: {error}"))
        page.set_default_timeout(60_000)
        page.external = lambda: refused + [line for line in proxy.requests
                                           if proxy_host(line) not in CHROMIUM_OWN_HOSTS]
        page.chromium_own = lambda: [line for line in proxy.requests if proxy_host(line) in CHROMIUM_OWN_HOSTS]
        try:
            yield page
        finally:
            context.close()
            browser.close()
            proxy.shutdown()


def open_site(page, site):
    with step(page, "opening the site's JupyterLab", "lite-open"):
        page.goto(f"{site}/lab/index.html")
        page.wait_for_function(APP_READY, timeout=120_000)
        page.evaluate("() => window.jupyterapp.restored")


def save_reference_module(page, module, edit=lambda text: text):
    """Save the reference ``linear_classifier/<module>.py``, changed by ``edit``, into the site's storage, as the
    editor would."""
    text = edit((course.reference_dir() / course.PACKAGE / f"{module}.py").read_text(encoding="utf-8"))
    page.evaluate("""async ([path, text]) => {
        await window.jupyterapp.serviceManager.contents.save(path, {type: 'file', format: 'text', content: text});
    }""", [f"{course.PACKAGE}/{module}.py", text])


def open_notebook(page, path):
    """Open ``path`` and wait for its Pyodide kernel to exist (it loads Pyodide afterwards); returns the seconds."""
    start = time.monotonic()
    with step(page, f"opening {path} and starting its Pyodide kernel", "lite-kernel"):
        page.evaluate("(path) => { window.jupyterapp.commands.execute('docmanager:open', {path}); }", path)
        page.wait_for_function(KERNEL_STARTED, arg=path, timeout=KERNEL_START_MS)
    return time.monotonic() - start


def close_notebook(page):
    """Shut the open notebook's kernel down and close it, unsaved: each notebook's Pyodide holds its own memory."""
    page.evaluate("""async () => {
        const panel = window.jupyterapp.shell.currentWidget;
        await panel.sessionContext.shutdown();
        panel.dispose();
    }""")


def run_cell(page, index, timeout=CELL_MS):
    """Run code cell ``index`` of the open notebook; returns its outputs (JSON text) and the seconds it took."""
    start = time.monotonic()
    with step(page, f"running cell {index} (console: {page.console_messages[-15:]}, external: {page.external()})",
              f"lite-cell-{index}"):
        before = page.evaluate("(i) => window.jupyterapp.shell.currentWidget.content.widgets[i].model.executionCount",
                               index)
        page.evaluate(RUN_CELL, index)
        page.wait_for_function(CELL_DONE, arg=[index, before], timeout=timeout)
    return page.evaluate(CELL_OUTPUT, index), time.monotonic() - start


def assert_no_error(outputs, what):
    assert '"output_type":"error"' not in outputs, f"{what} raised: {outputs[:3000]}"


def test_a_students_edit_is_still_there_at_the_next_visit(offline_page, site):
    page = offline_page
    open_site(page, site)
    marker = "# a student's edit, saved in the browser's storage\n"
    save_reference_module(page, "losses", lambda text: marker + text)
    with step(page, "reloading the site, as a student's next visit does", "lite-next-visit"):
        page.reload()
        page.wait_for_function(APP_READY, timeout=120_000)
    saved = page.evaluate("""async (path) => (await window.jupyterapp.serviceManager.contents.get(
        path, {content: true, format: 'text'})).content""", f"{course.PACKAGE}/losses.py")
    assert saved.startswith(marker), saved[:300]


def test_a_planted_mistake_is_diagnosed_after_the_student_saves_the_module(offline_page, site):
    page = offline_page
    if not page.url.startswith(site):
        open_site(page, site)
    reference_line = "    loss /= num_train\n    dW /= num_train\n"

    def sum_instead_of_mean(text):
        assert reference_line in text  # the naive SVM's averaging, the line the mistake leaves out
        return text.replace(reference_line, "    dW /= num_train\n", 1)

    open_notebook(page, NOTEBOOK)
    outputs, _ = run_cell(page, SETUP, timeout=KERNEL_START_MS)
    assert_no_error(outputs, "the setup cell")
    run_cell(page, DATA)
    save_reference_module(page, "losses", sum_instead_of_mean)
    outputs, _ = run_cell(page, SVM_CHECK)
    screenshot(page, "lite-planted-mistake")
    assert "✗" in outputs and "the data loss is the mean of the per-example losses, not their sum" in outputs, \
        outputs[:3000]
    save_reference_module(page, "losses")
    outputs, _ = run_cell(page, SVM_CHECK)
    assert "✓" in outputs and "✗" not in outputs, f"the fixed module still fails: {outputs[:3000]}"
    assert page.external() == [], f"requests that would have left the machine: {page.external()}"


def test_the_submission_zip_is_graded(offline_page, site, tmp_path):
    page = offline_page
    if not page.url.startswith(site):
        open_site(page, site)
    save_reference_module(page, "losses")
    open_notebook(page, "submit.ipynb")
    outputs, _ = run_cell(page, 1, timeout=KERNEL_START_MS)
    assert_no_error(outputs, "submit.ipynb's cell")
    submitted = tmp_path / "submitted"
    submitted.mkdir()
    with step(page, "downloading the submission zip", "lite-download"):
        with page.expect_download() as download:
            page.click("a.submission-download")
        download.value.save_as(submitted / "lite-student.zip")
    out = tmp_path / "graded"
    completed = subprocess.run([sys.executable, "-m", "autograder", "grade", str(submitted), "--out", str(out),
                                "--timeout", "10"], cwd=course.COURSE_ROOT, capture_output=True, text=True)
    assert completed.returncode == 0, completed.stderr
    with open(out / "grades.csv", newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert {row["student_id"] for row in rows} == {"lite-student"}, rows[:3]
    losses = [row for row in rows if row["test"].startswith("losses.")]
    assert losses and all(row["score"] == row["max_score"] for row in losses), \
        [row for row in losses if row["score"] != row["max_score"]][:3]
    others = [row for row in rows if row["test"].startswith("gradients.")]
    assert others and all(float(row["score"]) == 0 for row in others), "the stubs of gradients.py earned points"
    assert page.external() == [], f"requests that would have left the machine: {page.external()}"



def solution_sources(notebook):
    """``{code cell index: the solution notebook's source}`` for the cells a student writes in ``notebook``."""
    release = json.loads((RELEASE / notebook).read_text(encoding="utf-8"))
    solution = json.loads((course.reference_dir() / notebook).read_text(encoding="utf-8"))
    answers = {cell["metadata"]["nbgrader"]["grade_id"]: "".join(cell["source"]) for cell in solution["cells"]
               if cell["metadata"].get("nbgrader", {}).get("solution")}
    return {index: answers[cell["metadata"]["nbgrader"]["grade_id"]] for index, cell in enumerate(release["cells"])
            if cell["cell_type"] == "code" and cell["metadata"].get("nbgrader", {}).get("solution")}


def code_cells(notebook):
    cells = json.loads((RELEASE / notebook).read_text(encoding="utf-8"))["cells"]
    return [index for index, cell in enumerate(cells) if cell["cell_type"] == "code"]


@pytest.mark.parametrize("notebook", ["01_loss_functions.ipynb", "02_gradients.ipynb", "03_regularization.ipynb",
                                      "04_optimization.ipynb"])
def test_each_notebook_runs_cell_by_cell_with_every_check_passing(offline_page, site, notebook):
    page = offline_page
    if not page.url.startswith(site):
        open_site(page, site)
    for module in course.STUDENT_MODULES:
        save_reference_module(page, module)
    open_notebook(page, notebook)
    answers = solution_sources(notebook)
    seconds = {}
    for index in code_cells(notebook):
        if index in answers:  # the student's own code in the notebook, typed into the cell
            page.evaluate("([i, text]) => window.jupyterapp.shell.currentWidget.content.widgets[i].model"
                          ".sharedModel.setSource(text)", [index, answers[index]])
        outputs, seconds[index] = run_cell(page, index, timeout=KERNEL_START_MS if not seconds else CELL_MS * 5)
        assert_no_error(outputs, f"cell {index} of {notebook}")
        assert "✗" not in outputs, f"a check of cell {index} of {notebook} failed: {outputs[:3000]}"
    screenshot(page, f"lite-{notebook.removesuffix('.ipynb')}")
    close_notebook(page)
    print(f"\nlite: {notebook}: {len(seconds)} code cells in {sum(seconds.values()):.1f} s, the slowest "
          f"{max(seconds.values()):.1f} s")
    assert page.external() == [], f"requests that would have left the machine: {page.external()}"


def test_the_explorer_draws_every_panel_and_answers_a_click(offline_page, site):
    page = offline_page
    if not page.url.startswith(site):
        open_site(page, site)
    for module in course.STUDENT_MODULES:
        save_reference_module(page, module)
    open_notebook(page, EXPLORER)
    for index in code_cells(EXPLORER):
        outputs, _ = run_cell(page, index, timeout=KERNEL_START_MS)
        assert_no_error(outputs, f"cell {index} of {EXPLORER}")
    with step(page, "waiting for every panel's figure to be painted", "lite-explorer"):
        page.wait_for_function(PAINTED_FIGURES, arg=NUM_PANELS, timeout=CELL_MS)
    before = page.locator(".lx-total-loss").first.inner_text()
    assert before != "—", "the playground shows no loss: the reference package was not used"
    with step(page, "clicking Single update", "lite-explorer-click"):
        # JupyterLab renders only the cells in view: bring the Playground's cell back first.
        page.evaluate("async (i) => { await window.jupyterapp.shell.currentWidget.content.scrollToItem(i, 'start'); }",
                      code_cells(EXPLORER)[1])
        page.locator("button.lx-step").first.scroll_into_view_if_needed()
        page.locator("button.lx-step").first.click()
        page.wait_for_function("() => document.querySelector('.lx-iteration').textContent === '1'", timeout=CELL_MS)
    assert page.locator(".lx-total-loss").first.inner_text() != before
    page.wait_for_function("() => window.jupyterapp.shell.currentWidget.sessionContext.session.kernel.status"
                           " === 'idle'", timeout=CELL_MS)
    page.evaluate("() => document.querySelector('.jupyter-matplotlib-figure').scrollIntoView({block: 'start'})")
    screenshot(page, "lite-explorer")
    outputs = "\n".join(page.locator(".jp-OutputArea-output").all_inner_texts())
    assert "Error displaying widget" not in outputs
    assert page.locator(".lx-error").count() == 0, page.locator(".lx-error").first.inner_text()
    assert page.locator(".lx-stub").count() == 0, page.locator(".lx-stub").first.inner_text()
    close_notebook(page)
    assert page.external() == [], f"requests that would have left the machine: {page.external()}"
