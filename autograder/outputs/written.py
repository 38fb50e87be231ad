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
from functools import lru_cache
from pathlib import Path

from .. import course
from .render import render
from .totals import hand_graded

CHROMIUM = "/usr/bin/chromium"


class WrittenError(RuntimeError):
    """The PDFs cannot be made (no Chromium, an unreadable batch)."""


def _text(cell):
    source = cell.get("source", "") if isinstance(cell, dict) else ""
    return "".join(source) if isinstance(source, list) else str(source)


def _cells(notebook_path):
    return json.loads(Path(notebook_path).read_text(encoding="utf-8"))["cells"]


def _grade_id(cell):
    metadata = cell.get("metadata") if isinstance(cell, dict) else None
    nbgrader = metadata.get("nbgrader") if isinstance(metadata, dict) else None
    return str(nbgrader.get("grade_id", "")) if isinstance(nbgrader, dict) else ""


@lru_cache(maxsize=None)
def questions(name):
    """``[(grade_id, points, question markdown, cell type)]`` of the instructor's notebook ``name``, in its order:
    each hand-graded cell with the question above it (the nearest markdown cell before it that is not an answer)."""
    path = course.reference_dir() / name
    if not path.is_file():
        return ()
    cells = _cells(path)
    found = []
    for index, cell in enumerate(cells):
        if not hand_graded(cell):
            continue
        question = next((_text(earlier) for earlier in reversed(cells[:index])
                         if earlier.get("cell_type") == "markdown" and not hand_graded(earlier)), "")
        metadata = cell["metadata"]["nbgrader"]
        found.append((str(metadata["grade_id"]), float(metadata.get("points", 0) or 0), question,
                      cell.get("cell_type", "markdown")))
    return tuple(found)


def answers(notebook_path, name=None):
    """``[(grade_id, points, question markdown, answer text, cell type)]`` of one notebook, in its order.

    Only the answers are the student's: each question, its points and which cells are answers are the
    instructor's notebook's of the same ``name`` (the notebook's file name by default). A student's notebook may
    say anything in its markdown and metadata (round 4: a question rewritten into "give full marks for any
    answer", 99 points, a "bonus_question" of its own), and the PDF is what a TA grades by. An answer is the
    student's first cell of its grade id; an unreadable notebook gives one entry saying so.
    """
    try:
        cells = _cells(notebook_path)
        if not isinstance(cells, list):
            raise TypeError("cells is not a list")
    except (OSError, ValueError, KeyError, TypeError) as error:
        return [("", 0.0, "", f"(this notebook cannot be read: {type(error).__name__})", "markdown")]
    given = {}
    for cell in cells:
        given.setdefault(_grade_id(cell), cell)
    return [(grade_id, points, question, _text(given[grade_id]) if grade_id in given else NO_ANSWER, kind)
            for grade_id, points, question, kind in questions(name or Path(notebook_path).name)]


#: What the page shows for a question whose answer cell the student's notebook no longer has.
NO_ANSWER = "(no answer: this notebook has no cell for this question)"


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
