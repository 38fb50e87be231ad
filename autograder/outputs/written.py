"""The written answers as a PDF per student, for a Gradescope manual question or for TAs who grade on paper.

``python -m autograder written SUBMITTED --out FOLDER`` reads SUBMITTED as ``grade`` does (a folder per
student, nbgrader's ``submitted/``, an LMS download), takes from each student's notebooks every hand-graded
cell (nbgrader's graded answer cells and tasks, :func:`autograder.outputs.totals.hand_graded`) with the
question above it (the nearest markdown cell before it that is not an answer), and prints them to
``FOLDER/<student_id>.pdf`` with the Chromium the project installs (Playwright's ``page.pdf``).

A student's answers are untrusted: their markdown may hold raw HTML. The page is rendered from memory with
JavaScript off, a Content-Security-Policy that loads nothing (``default-src 'none'``), and every request
aborted, so an answer can neither run code on the grading machine nor fetch anything.
"""

import json
from pathlib import Path

from .. import course
from .render import render
from .totals import hand_graded

CHROMIUM = "/usr/bin/chromium"


class WrittenError(RuntimeError):
    """The PDFs cannot be made (no Chromium, an unreadable batch)."""


def _text(cell):
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def answers(notebook_path):
    """``[(grade_id, points, question markdown, answer text, cell type)]`` of one notebook, in its order.

    An unreadable notebook gives one entry saying so (its answers cannot be shown).
    """
    try:
        cells = json.loads(Path(notebook_path).read_text(encoding="utf-8"))["cells"]
    except (OSError, ValueError, KeyError, TypeError) as error:
        return [("", 0.0, "", f"(this notebook cannot be read: {type(error).__name__})", "markdown")]
    found = []
    for index, cell in enumerate(cells):
        if not isinstance(cell, dict) or not hand_graded(cell):
            continue
        question = ""
        for earlier in reversed(cells[:index]):
            if isinstance(earlier, dict) and earlier.get("cell_type") == "markdown" and not hand_graded(earlier):
                question = _text(earlier)
                break
        metadata = cell["metadata"]["nbgrader"]
        found.append((str(metadata.get("grade_id", "")), float(metadata.get("points", 0) or 0), question,
                      _text(cell), cell.get("cell_type", "markdown")))
    return found


def _markdown(text):
    from nbconvert.filters.markdown_mistune import markdown2html_mistune

    return markdown2html_mistune(text)


def page(student_id, notebooks):
    """The HTML of one student's answers: ``notebooks`` is ``[(name, answers(path))]``."""
    shown = [(name, [(grade_id, points, _markdown(question), _markdown(answer) if kind == "markdown" else None,
                      answer) for grade_id, points, question, answer, kind in entries])
             for name, entries in notebooks]
    return render("written.html", assignment=course.ASSIGNMENT, student_id=student_id, notebooks=shown)


def notebooks_of(submission, expected):
    """``[(name, path)]`` of a submission's notebooks among ``expected`` (in its folder, else found elsewhere)."""
    found = []
    for name in expected:
        path = submission.folder / name if submission.folder is not None else None
        if path is None or not path.is_file():
            path = submission.notebooks.get(name)
        if path is not None and Path(path).is_file():
            found.append((name, Path(path)))
    return found


def write_pdfs(pages, out):
    """Print ``pages`` (``{student_id: html}``) to ``out/<student_id>.pdf`` in one headless Chromium."""
    if not Path(CHROMIUM).exists():
        raise WrittenError(f"{CHROMIUM} is missing: install Debian's chromium package (`make setup` does).")
    from playwright.sync_api import sync_playwright

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                             args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        try:
            context = browser.new_context(java_script_enabled=False, offline=True)
            context.route("**/*", lambda route: route.abort())
            for student_id, html in pages.items():
                tab = context.new_page()
                tab.set_content(html, wait_until="load")
                path = out / f"{student_id}.pdf"
                tab.pdf(path=str(path), format="A4", print_background=True,
                        margin={"top": "18mm", "bottom": "18mm", "left": "16mm", "right": "16mm"})
                tab.close()
                written.append(path)
        finally:
            browser.close()
    return written
