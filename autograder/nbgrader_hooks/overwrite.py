"""nbgrader's ``OverwriteCells`` without its false alarm on test cells with hidden tests.

``nbgrader autograde`` puts the gradebook's copy of every locked cell back into the student's notebook, and
warns ``Attribute 'checksum' for cell test_... has changed!`` when the student's copy differs. For a test cell
with hidden tests it always does (jupyter/nbgrader#1961): ``generate_assignment`` records the checksum of the
cell *with* its hidden tests, while students receive it *without* them. So every student got one warning per
test cell, which reads like tampering. :class:`OverwriteCellsKnowingHiddenTests` restores such a cell silently
when the student's copy is exactly the released one (the source cell with its hidden tests removed), and
leaves nbgrader's warning for a cell the student really changed.
"""

from nbformat.notebooknode import NotebookNode
from nbgrader.api import MissingEntry
from nbgrader.preprocessors import ClearHiddenTests, OverwriteCells
from nbgrader.utils import is_locked


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
        return super().preprocess_cell(cell, resources, cell_index)

    def released_source(self, source):
        """What students receive of a cell's ``source``: its hidden tests removed as ``generate_assignment`` does
        (with the course's delimiters)."""
        cell = NotebookNode(cell_type="code", source=source, metadata={})
        ClearHiddenTests(parent=self, enforce_metadata=False)._remove_hidden_test_region(cell)
        return cell.source
