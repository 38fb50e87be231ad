"""The JupyterLite site of ``make lite`` against the student's JupyterLab of ``make lab``, notebook by notebook.

Both run in the same headless Chromium, offline (every non-local request refused), driven cell by cell as the
browser tests drive them (``tests/browser/lite_session.py``), with the reference modules in place and the cells
a student writes typed in from the solutions. Measured for each notebook: its first cell (in the site: Pyodide,
the packages of the kernel's start and the setup cell; in the Lab: a Python kernel and the setup cell), and all
its code cells, start to finish. The baseline of each row is the same measurement in ``make lab``'s Lab. The
site's size is set beside the release it holds.

Goals: the site's cold start (first cell of notebook 01) within the 60 s of a notebook's run (issue 2), and each
notebook's cells within 60 s in the browser as well; the ratios have no goal of their own (Pyodide runs numpy as
WebAssembly, on one thread). Run alone with ``python -m bench --only bench.lite``; needs ``make lite``.
"""

import sys
import tempfile
import time
from pathlib import Path

from bench.timing import row

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ("01_loss_functions.ipynb", "02_gradients.ipynb", "03_regularization.ipynb", "04_optimization.ipynb",
             "05_loss_explorer.ipynb")
BUDGET_SECONDS = 60.0
_notes = ""


def _folder_megabytes(folder):
    return sum(path.stat().st_size for path in Path(folder).rglob("*") if path.is_file()) / 1e6


def _timings(page, url, save_modules):
    """``{notebook: (first cell seconds, all cells seconds)}`` for the Lab at ``url``."""
    from autograder import course
    from lite_session import close_notebook, open_site, raised, run_notebook, save_reference_module

    open_site(page, url)
    if save_modules:
        for module in course.STUDENT_MODULES:
            save_reference_module(page, module)
    timings = {}
    for notebook in NOTEBOOKS:
        start = time.monotonic()
        ran = run_notebook(page, notebook)
        total = time.monotonic() - start
        close_notebook(page)
        errors = [index for index, (outputs, _) in ran.items() if raised(outputs)]
        if errors:
            raise RuntimeError(f"{notebook} raised in cells {errors} at {url}: the timing would not be a run")
        timings[notebook] = (next(iter(ran.values()))[1], total)
    return timings


def run():
    global _notes
    for folder in ("tests", "tests/browser"):
        if str(ROOT / folder) not in sys.path:
            sys.path.insert(0, str(ROOT / folder))
    from autograder import course
    from lab_session import copy_assignment, start_student_lab
    from lite_session import SITE, offline_page, serve_site, site_lab

    with tempfile.TemporaryDirectory(prefix="bench-lite-") as tmp:
        tmp = Path(tmp)
        workspace = copy_assignment(course.release_dir(), tmp / "workspace", package_from=course.reference_dir())
        with serve_site(SITE) as site, offline_page() as page:
            lite = _timings(page, site_lab(site), save_modules=True)
        with start_student_lab(workspace, tmp / "lab-home") as lab, offline_page() as page:
            jupyterlab = _timings(page, f"{lab['url']}/lab?token={lab['token']}", save_modules=False)

    site_mb, release_mb = _folder_megabytes(SITE), _folder_megabytes(course.release_dir())
    rows = [row("JupyterLite site size (build/lite/site) vs the release it holds", site_mb, "MB", release_mb, None),
            row("JupyterLite cold start: 01's first cell (Pyodide, packages, setup) vs make lab",
                lite[NOTEBOOKS[0]][0], "s", jupyterlab[NOTEBOOKS[0]][0], ("<=", BUDGET_SECONDS), applies_to="value")]
    rows += [row(f"JupyterLite: {notebook} cell by cell vs make lab", lite[notebook][1], "s",
                 jupyterlab[notebook][1], ("<=", BUDGET_SECONDS), applies_to="value") for notebook in NOTEBOOKS]
    lines = ["### The assignment in the browser (bench.lite)", "",
             "Headless Chromium, offline, every code cell run in turn; seconds in the JupyterLite site / in "
             "`make lab`'s JupyterLab.", "", "| notebook | first cell | all cells |", "|---|---|---|"]
    lines += [f"| {notebook} | {lite[notebook][0]:.1f} / {jupyterlab[notebook][0]:.1f} | "
              f"{lite[notebook][1]:.1f} / {jupyterlab[notebook][1]:.1f} |" for notebook in NOTEBOOKS]
    _notes = "\n".join(lines + [""])
    return rows


def notes():
    """The markdown table of the last :func:`run`."""
    return _notes
