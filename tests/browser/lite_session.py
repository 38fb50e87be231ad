"""Drive a notebook of the JupyterLite site (``make lite``) or of ``make lab``'s JupyterLab in Chromium, offline.

Shared by ``test_lite.py`` and ``bench/lite.py``. The site is served on 127.0.0.1 by Python's static file
server, as any static host would; :func:`offline_page` gives a page whose every non-local request is refused
and counted (a local proxy that answers 403 to everything, and Playwright's own route). Cells run through
``window.jupyterapp`` (both Labs expose it), one at a time, as a student presses Shift+Enter.
"""

import contextlib
import functools
import http.server
import json
import os
import socketserver
import threading
import time
import urllib.parse

from autograder import course
from lab_session import CHROMIUM, CHROMIUM_ARGS, step

SITE = course.COURSE_ROOT / "build" / "lite" / "site"
RELEASE = course.release_dir()
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


@contextlib.contextmanager
def serve_site(folder=SITE):
    """Serve ``folder`` on 127.0.0.1 as a static host would; yields its URL."""
    if not (folder / "index.html").exists():
        raise FileNotFoundError(f"{folder} holds no site: run `make lite` first (`make test-lite` does)")
    server = serve(http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(QuietStaticFiles, directory=str(folder))))
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()


@contextlib.contextmanager
def offline_page():
    """A page of a fresh headless Chromium whose every non-local request is refused: ``page.external()`` lists
    them, ``page.chromium_own()`` the refused calls Chromium makes whatever the page."""
    if not os.path.exists(CHROMIUM):
        raise FileNotFoundError(f"{CHROMIUM} is missing: install Debian's chromium package (`make setup` does)")
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


def open_site(page, url):
    """Open the Lab at ``url`` (the site's ``lab/index.html``, or a Lab server's page) and wait until it is ready."""
    with step(page, "opening JupyterLab", "lite-open"):
        page.goto(url)
        wait_until_restored(page)


def wait_until_restored(page):
    """Wait until the Lab exists and has restored its layout: a command sent earlier can be lost."""
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
    """Open ``path`` and wait for its kernel to exist (a Pyodide kernel loads Pyodide afterwards); returns the
    seconds."""
    start = time.monotonic()
    with step(page, f"opening {path} and starting its kernel", "lite-kernel"):
        page.evaluate("(path) => { window.jupyterapp.commands.execute('docmanager:open', {path}); }", path)
        page.wait_for_function(KERNEL_STARTED, arg=path, timeout=KERNEL_START_MS)
    return time.monotonic() - start


def close_notebook(page):
    """Shut the open notebook's kernel down and close it, unsaved: each Pyodide kernel holds its own memory."""
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


def site_lab(site):
    """The JupyterLab page of the site served at ``site``."""
    return f"{site}/lab/index.html"


def raised(outputs):
    """Whether a cell's outputs (JSON text, as :func:`run_cell` returns them) hold an error."""
    return '"output_type":"error"' in outputs


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


def run_notebook(page, notebook, first_cell_timeout=KERNEL_START_MS):
    """Open ``notebook`` and run its code cells in order, the cells a student writes typed in from the solutions;
    returns ``{cell index: (outputs as JSON text, seconds)}``. The notebook stays open."""
    open_notebook(page, notebook)
    answers = solution_sources(notebook)
    ran = {}
    for index in code_cells(notebook):
        if index in answers:
            page.evaluate("([i, text]) => window.jupyterapp.shell.currentWidget.content.widgets[i].model"
                          ".sharedModel.setSource(text)", [index, answers[index]])
        ran[index] = run_cell(page, index, timeout=first_cell_timeout if not ran else CELL_MS * 5)
    return ran
