"""``nbgrader autograde`` without running a student's notebook: the written answers reach formgrader, no cell runs.

nbgrader's ``autograde`` executes every student notebook in a kernel of the instructor's own user, outside any
sandbox: a cell can start a process that outlives autograde and rewrites ``gradebook.db`` or a classmate's
files. In this course nothing of the notebooks' code needs running there: the code's points are the sandboxed
``python -m autograder grade``'s, and the written answers are graded by hand. So ``nbgrader_config.py`` drops
nbgrader's ``Execute`` from ``Autograde.autograde_preprocessors`` and puts :class:`SandboxScoresTestCells` in
its place. Every other step of autograde still runs: the student's notebooks are sanitized (outputs cleared,
locked cells restored from the gradebook), their answer cells are recorded in the gradebook for formgrader, and
``autograded/`` gets the copies that ``generate_feedback`` renders.

A test cell that did not run would score its points by nbgrader's rule (no error output: full marks), so each
one gets a stderr output saying where its score comes from: nbgrader then records 0 until ``grade`` writes the
sandbox's score, and a notebook's "kernel scores" never exceed the sandbox's (no student is flagged for them).
"""

import nbformat
from nbgrader import utils
from nbgrader.preprocessors import NbGraderPreprocessor

#: What a test cell shows in formgrader and in the feedback instead of its output in a kernel.
NOT_RUN = ("This test cell was not run in a notebook kernel. Its score is the one of this function's tests in "
           "the sandboxed grader (python -m autograder grade), 0 until that has run.\n")


class SandboxScoresTestCells(NbGraderPreprocessor):
    """Run nothing; give every autograded test cell the output that tells nbgrader (and readers) it was not run."""

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type == "code" and utils.is_grade(cell) and not utils.is_solution(cell):
            cell.outputs = [nbformat.v4.new_output("stream", name="stderr", text=NOT_RUN)]
            cell.execution_count = None
        return cell, resources
