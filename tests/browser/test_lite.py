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
import subprocess
import sys

import pytest

from autograder import course
from lab_session import NUM_PANELS, PAINTED_FIGURES, screenshot, step
from lite_session import (
    CELL_MS, KERNEL_START_MS, SITE, close_notebook, code_cells, offline_page, open_notebook, open_site,
    raised, run_cell, run_notebook, save_reference_module, serve_site, site_lab, wait_until_restored,
)

pytestmark = [pytest.mark.browser, pytest.mark.lite]

EXPLORER = "05_loss_explorer.ipynb"
NOTEBOOK = "01_loss_functions.ipynb"
#: Indices of notebook 01's code cells: the setup cell, the data, the SVM check.
SETUP, DATA, SVM_CHECK = 1, 3, 10


@pytest.fixture(scope="module")
def site():
    try:
        with serve_site(SITE) as url:
            yield url
    except FileNotFoundError as error:
        pytest.fail(str(error))


@pytest.fixture(scope="module", name="offline_page")
def offline_page_fixture(site):
    with offline_page() as page:
        yield page


def at_site_with_the_reference_modules(page, site):
    """``page`` at the site's Lab, every student module the reference's, saved as the editor would save it."""
    if not page.url.startswith(site):
        open_site(page, site_lab(site))
    for module in course.STUDENT_MODULES:
        save_reference_module(page, module)
    return page


def assert_no_error(outputs, what):
    assert not raised(outputs), f"{what} raised: {outputs[:3000]}"


def test_a_students_edit_is_still_there_at_the_next_visit(offline_page, site):
    page = offline_page
    open_site(page, site_lab(site))
    marker = "# a student's edit, saved in the browser's storage\n"
    save_reference_module(page, "losses", lambda text: marker + text)
    with step(page, "reloading the site, as a student's next visit does", "lite-next-visit"):
        page.reload()
        wait_until_restored(page)
    saved = page.evaluate("""async (path) => (await window.jupyterapp.serviceManager.contents.get(
        path, {content: true, format: 'text'})).content""", f"{course.PACKAGE}/losses.py")
    assert saved.startswith(marker), saved[:300]


def test_a_planted_mistake_is_diagnosed_after_the_student_saves_the_module(offline_page, site):
    page = offline_page
    if not page.url.startswith(site):
        open_site(page, site_lab(site))
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
        open_site(page, site_lab(site))
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



@pytest.mark.parametrize("notebook", ["01_loss_functions.ipynb", "02_gradients.ipynb", "03_regularization.ipynb",
                                      "04_optimization.ipynb"])
def test_each_notebook_runs_cell_by_cell_with_every_check_passing(offline_page, site, notebook):
    page = at_site_with_the_reference_modules(offline_page, site)
    ran = run_notebook(page, notebook)
    screenshot(page, f"lite-{notebook.removesuffix('.ipynb')}")
    close_notebook(page)
    for index, (outputs, _) in ran.items():
        assert_no_error(outputs, f"cell {index} of {notebook}")
        assert "✗" not in outputs, f"a check of cell {index} of {notebook} failed: {outputs[:3000]}"
    seconds = [seconds for _, seconds in ran.values()]
    print(f"\nlite: {notebook}: {len(seconds)} code cells in {sum(seconds):.1f} s, the slowest {max(seconds):.1f} s")
    assert page.external() == [], f"requests that would have left the machine: {page.external()}"


def test_the_explorer_draws_every_panel_and_answers_a_click(offline_page, site):
    page = at_site_with_the_reference_modules(offline_page, site)
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
