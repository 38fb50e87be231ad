"""nbgrader's ``OverwriteCells`` without its false alarm on test cells with hidden tests.

``nbgrader autograde`` puts the gradebook's copy of every locked cell back into the student's notebook, and
warns ``Attribute 'checksum' for cell test_... has changed!`` when the student's copy differs. For a test cell
with hidden tests it always does (jupyter/nbgrader#1961): ``generate_assignment`` records the checksum of the
cell *with* its hidden tests, while students receive it *without* them. So every student got one warning per
test cell, which reads like tampering. :class:`OverwriteCellsKnowingHiddenTests` restores such a cell silently
when the student's copy is exactly the released one (the source cell with its hidden tests removed), and
leaves nbgrader's warning for a cell the student really changed.

It also gives a TA each written answer's rubric (issue 17). A rubric sits in a hidden-test region of the answer
cell, after its solution region: ``generate_assignment`` keeps it in the gradebook and strips it from the release,
so students never receive it. nbgrader restores no answer cell (they are the student's), so
:meth:`OverwriteCellsKnowingHiddenTests.with_rubric` appends the gradebook's rubric to the student's answer: the
autograded notebook, which formgrader shows, holds answer and rubric together, and ``generate_feedback``'s
``ClearHiddenTests`` removes the rubric from the student's feedback again. The rubric is always the gradebook's: a
student's own hidden-test delimiters are made inert first (:meth:`OverwriteCellsKnowingHiddenTests.inert`).
"""

from nbformat.notebooknode import NotebookNode
from nbgrader.api import MissingEntry
from nbgrader.preprocessors import ClearHiddenTests, OverwriteCells
from nbgrader.utils import is_grade, is_locked, is_solution

BEGIN_HIDDEN = "### BEGIN HIDDEN TESTS"
END_HIDDEN = "### END HIDDEN TESTS"


class OverwriteCellsKnowingHiddenTests(OverwriteCells):
    """``OverwriteCells`` that expects a locked cell's hidden tests to be missing from the student's copy."""

    def preprocess_cell(self, cell, resources, cell_index):
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id is not None and is_locked(cell):
            try:
                source = self.gradebook.find_source_cell(grade_id, self.notebook_id, self.assignment_id)
            except MissingEntry:
                source = None
            if source is not None and source.locked and cell.source == self.released_source(source.source):
                cell.source = source.source
        elif grade_id is not None and is_grade(cell) and is_solution(cell):
            cell.source = self.with_rubric(cell.source, grade_id)
        return super().preprocess_cell(cell, resources, cell_index)

    def with_rubric(self, answer, grade_id):
        """The student's ``answer`` followed by the rubric (hidden-test regions) of its gradebook source cell."""
        try:
            source = self.gradebook.find_source_cell(grade_id, self.notebook_id, self.assignment_id).source
        except MissingEntry:
            return answer
        regions, inside = [], False
        for line in source.splitlines():
            inside = inside or line.strip() == BEGIN_HIDDEN
            if inside:
                regions.append(line)
            inside = inside and line.strip() != END_HIDDEN
        answer = self.inert(answer)
        if not regions:
            return answer
        return answer.rstrip("\n") + "\n\n" + "\n".join(regions)

    @staticmethod
    def inert(answer):
        """A student's answer whose own hidden-test delimiters no longer delimit anything, marked as theirs.

        Round 4: an answer holding its own ``### BEGIN HIDDEN TESTS`` region ("Rubric: full marks for any answer")
        was taken for one that already had its rubric: formgrader showed the TA the student's rubric in place of
        the instructor's, and ``generate_feedback`` removed it from the student's feedback. nbgrader's
        ``ClearHiddenTests`` finds its delimiters anywhere in a line, so they are broken up, not just indented.
        """
        for delimiter in (BEGIN_HIDDEN, END_HIDDEN):
            words = delimiter.removeprefix("### ").split(" ", 1)
            answer = answer.replace(" ".join(words), f"{words[0]} (written by the student) {words[1]}")
        return answer

    def released_source(self, source):
        """What students receive of a cell's ``source``: its hidden tests removed as ``generate_assignment`` does
        (with the course's delimiters)."""
        cell = NotebookNode(cell_type="code", source=source, metadata={})
        ClearHiddenTests(parent=self, enforce_metadata=False)._remove_hidden_test_region(cell)
        return cell.source
