"""Visible checks for the notebooks (given, not student work).

Each ``check_*`` function runs a student's function on small inputs, compares
the result with values that can be derived without the reference solution
(the lecture's worked examples, the numerical gradient, the naive version),
prints one line per passed check, and raises :class:`CheckFailed` with what
was expected, what came back and the likely cause when something is wrong.

The autograder judges with the same parts: every likely cause is a sentence
of :mod:`.mistakes` (the one list of known mistakes), recognised by
:mod:`.diagnosis`; finite differences and gradient-check errors come from
:mod:`.numerics`; every tolerance and threshold from :mod:`.tolerances`.
"""

from .report import CheckFailed, passed

__all__ = ["CheckFailed", "passed"]
