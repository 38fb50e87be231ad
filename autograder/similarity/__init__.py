"""Similarity of submissions: ``python -m autograder similarity GRADED``, evidence for a person to judge.

Compares every pair of students' graded modules (``GRADED/.code/``, which ``grade`` and ``merge`` write from
the students' records) with winnowed fingerprints (copydetect's, Schleimer, Wilkerson and Aiken 2003):
variable names and literals are normalised before fingerprinting, so renaming variables or reordering
functions does not hide a copy. Fingerprints of the release's stubs are boilerplate and never count, so
two students who kept the same stubs are not similar. A folder of known public solutions (``--public``)
is compared with every student too.

Besides the code, it adds what only this grader knows: each student's inputs differ (their seed), so two
students whose visible tests returned the *same wrong value* on their different inputs, or who share a
mistake few others in the class made, is evidence a code comparison cannot give.

It never changes a grade, and its report says so: a high similarity is a reason to look, not a verdict.
"""

from .compare import SimilarityError, find_pairs
from .report import write_report

__all__ = ["SimilarityError", "find_pairs", "write_report"]
