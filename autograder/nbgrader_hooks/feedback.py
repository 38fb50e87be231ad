"""nbgrader preprocessor that keeps hidden tests out of the feedback students receive.

``nbgrader generate_feedback`` renders the autograded notebook, in which the
hidden tests were put back, so by default their source reaches students. The
course configuration (``nbgrader_config.py``) runs nbgrader's own
``ClearHiddenTests`` on feedback, and this preprocessor after it: a test
cell's error output keeps its diagnosis (``ename: evalue``) but loses the
traceback, whose frames quote the lines of the hidden test that failed.
"""

from nbconvert.preprocessors import Preprocessor
from nbgrader import utils
from traitlets import Bool


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
