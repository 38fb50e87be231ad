"""Student Markdown made harmless before any grader's browser renders it.

formgrader shows each autograded notebook as HTML at the Jupyter server's own origin, where a script could call
the server's API as the instructor (open a terminal, run code). nbgrader's formgrade template renders Markdown
cells without nbconvert's sanitizer, whatever ``HTMLExporter.sanitize_html`` says (its ``markdowncell`` block,
nbgrader/server_extensions/formgrader/templates/formgrade/index.html.j2, has no ``clean_html``). So
``autograde`` cleans the HTML out of every cell a student could write (:class:`SanitizeStudentMarkdown`, among
``Autograde.sanitize_preprocessors``): formgrader and the feedback pages, both rendered from ``autograded/``,
then show a student's ``<script>`` or ``onerror=`` as text. Cells without a tag are left exactly as written.
"""

import json
import re
from functools import lru_cache

from nbconvert.filters import clean_html
from nbgrader.preprocessors import NbGraderPreprocessor

from .. import course

#: Something a browser would read as a tag, a comment or a declaration.
TAG = re.compile(r"<[A-Za-z/!?]")


@lru_cache(maxsize=None)
def instructors_text(notebook_id):
    """The sources of the Markdown and raw cells of the instructor's notebook ``notebook_id`` (trusted as they are)."""
    path = course.reference_dir() / f"{notebook_id}.ipynb"
    try:
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    except (OSError, ValueError, KeyError):
        return frozenset()
    return frozenset("".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
                     for cell in cells if cell.get("cell_type") in ("markdown", "raw"))


class SanitizeStudentMarkdown(NbGraderPreprocessor):
    """Pass every Markdown or raw cell that is not the instructor's, word for word, through nbconvert's
    ``clean_html`` (a student chooses a cell's metadata too, so "locked" proves nothing)."""

    def preprocess(self, nb, resources):
        self._trusted = instructors_text(resources.get("nbgrader", {}).get("notebook", ""))
        return super().preprocess(nb, resources)

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type in ("markdown", "raw") and TAG.search(cell.source) and cell.source not in self._trusted:
            cell.source = clean_html(cell.source)
        return cell, resources
