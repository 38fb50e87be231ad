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
        lines = []
        if total is not None:
            lines.append(f"**{info['assignment']}: {describe(total)}**\n\nThe score in this page's heading is this "
                         "notebook's share of it.")
        failed = failed_tests(nb)
        if failed:
            lines.append("**To fix first** (the failed tests of this notebook, most points first):\n\n" + "\n".join(
                f"- ✗ `{grade_id}` ({points:g} points): {diagnosis}" for grade_id, points, diagnosis in failed))
        if lines:
            nb.cells.insert(0, nbformat.v4.new_markdown_cell("\n\n".join(lines)))
        return nb, resources


def failed_tests(nb):
    """``[(grade_id, points, diagnosis)]`` of the notebook's test cells that raised, most points first: the same
    order as the grader's feedback page (failed first, by points at stake)."""
    failed = []
    for cell in nb.cells:
        if cell.cell_type == "code" and utils.is_grade(cell) and not utils.is_solution(cell):
            errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
            if errors:
                meta = cell.metadata.nbgrader
                diagnosis = f"{errors[0].get('ename', 'Error')}: {errors[0].get('evalue', '')}".splitlines()[0]
                failed.append((meta.get("grade_id", "?"), float(meta.get("points", 0) or 0), diagnosis))
    return sorted(failed, key=lambda item: -item[1])
