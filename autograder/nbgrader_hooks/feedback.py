"""nbgrader preprocessors of the feedback students receive: no hidden test in it, and the assignment's one total.

``nbgrader generate_feedback`` renders the autograded notebook, in which the
hidden tests were put back, so by default their source reaches students. The
course configuration (``nbgrader_config.py``) runs nbgrader's own
``ClearHiddenTests`` on feedback, and :class:`HideTestTracebacks` after it: a test
cell's error output keeps its diagnosis (``ename: evalue``) but loses the
traceback, whose frames quote the lines of the hidden test that failed.

nbgrader heads each notebook's page with that notebook's score alone (28 / 46, written answers ungraded
counting as 0). :class:`AssignmentTotal` opens the page with the whole assignment's total, in the words every
other page uses (:func:`autograder.outputs.totals.describe`): code and written answers as parts of one total.
"""

import nbformat
from nbconvert.preprocessors import Preprocessor
from nbgrader import utils
from traitlets import Bool

from ..outputs.totals import describe
from .gradebook import assignment_total


class HideTestTracebacks(Preprocessor):
    """Replace the traceback of every failed grade cell by its one-line diagnosis."""

    # nbconvert preprocessors are off unless enabled; this one must always run on feedback.
    enabled = Bool(True).tag(config=True)

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type == "code" and utils.is_grade(cell) and not utils.is_solution(cell):
            for output in cell.get("outputs", []):
                if output.get("output_type") == "error":
                    output["traceback"] = [f"{output.get('ename', 'Error')}: {output.get('evalue', '')}"]
        return cell, resources


class AssignmentTotal(Preprocessor):
    """Open every feedback notebook with the student's total for the whole assignment."""

    enabled = Bool(True).tag(config=True)

    def preprocess(self, nb, resources):
        info = resources["nbgrader"]
        total = assignment_total(info["db_url"], info["student"], info["assignment"])
        if total is not None:
            nb.cells.insert(0, nbformat.v4.new_markdown_cell(
                f"**{info['assignment']}: {describe(total)}**\n\nThe score in this page's heading is this "
                "notebook's share of it."))
        return nb, resources
