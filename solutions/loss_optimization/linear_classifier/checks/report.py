"""How checks report: one line per pass, an actionable message per failure.

In a notebook a failed check shows its message alone, not the frames or the
source of the check (see ``linear_classifier/tracebacks.py`` for the other errors).
"""

import contextlib
import warnings

import numpy as np

from ..tracebacks import highlight, student_location
from . import tolerances


class CheckFailed(AssertionError):
    """A check failed; the message says what was expected, what came back, and why that may be."""

    def __init__(self, what, expected=None, got=None, hints=()):
        self.what = what
        self.expected = expected
        self.got = got
        self.hints = list(hints)
        lines = [f"✗ {what}"]
        if expected is not None:
            lines.append(f"  expected: {_show(expected)}")
        if got is not None:
            lines.append(f"  got:      {_show(got)}")
        for hint in self.hints:
            lines.append(f"  likely cause: {hint}")
        super().__init__("\n".join(lines))

    def _render_traceback_(self):
        """What IPython shows for a failed check: its message, without the frames of the check.

        When the check failed because the student's code raised, where in their files it did.
        """
        first, *rest = str(self).splitlines()
        return [highlight(first), *rest, *student_location(self.__cause__)]


def _show(value):
    if isinstance(value, np.ndarray):
        with np.printoptions(precision=6, threshold=12, edgeitems=3, suppress=True):
            return f"array of shape {value.shape}: {np.array2string(value, prefix='  ')}"
    if isinstance(value, float):
        return f"{value:.6g}"
    return repr(value)


def passed(what):
    """Print that a check passed."""
    print(f"✓ {what}")


def close(got, expected, relative=tolerances.RELATIVE, absolute=tolerances.ABSOLUTE):
    """Whether ``got`` matches ``expected`` element-wise within the tolerances (NaN never matches)."""
    got = np.asarray(got, dtype=float)
    expected = np.asarray(expected, dtype=float)
    if got.shape != expected.shape:
        return False
    return bool(np.all(np.abs(got - expected) <= absolute + relative * np.abs(expected)))


@contextlib.contextmanager
def quiet_numerics():
    """Silence floating-point warnings while a check runs.

    nbgrader scores a test cell 0 if it writes anything to stderr, and an
    overflow warning from a student's exp() must cost only the check that
    detects the resulting inf, not the whole cell.
    """
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield
