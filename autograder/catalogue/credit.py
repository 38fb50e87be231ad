"""Partial credit: the fraction of a test's points that a recognised mistake earns.

``autograder/points.toml`` is the one place for points. Its ``[partial_credit]``
table maps the id of a mistake (``checks/mistakes.py``) to a fraction; the
judge gives a failed test that fraction when every failing case of the test
is explained by such a mistake. :mod:`autograder.points` reads the rest of
the file and takes its path from here, so that the catalogue never imports it.
"""

import tomllib
from pathlib import Path

from ..packages import load_reference

#: The points file, beside the grader's modules.
POINTS_FILE = Path(__file__).resolve().parent.parent / "points.toml"
#: The table of points.toml that holds the partial credit rules.
TABLE = "partial_credit"


class PartialCreditError(ValueError):
    """The ``[partial_credit]`` table names an unknown mistake or a fraction outside (0, 1]."""


def load_partial_credit(path=POINTS_FILE, known=None):
    """``{mistake id: fraction}`` from the ``[partial_credit]`` table of ``path`` (empty without one).

    Parameters
    ----------
    path : path-like
    known : tuple of str or None
        The mistake ids that exist; the reference's list by default.
    """
    if known is None:
        known = tuple(load_reference().module("checks.mistakes").MISTAKES)
    try:
        table = tomllib.loads(Path(path).read_text(encoding="utf-8")).get(TABLE, {})
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise PartialCreditError(f"Cannot read the points file {path}: {error}") from None
    if not isinstance(table, dict):
        raise PartialCreditError(f"{path}: [{TABLE}] must be a table of mistake = fraction")
    for mistake, fraction in table.items():
        if mistake not in known:
            raise PartialCreditError(f"{path}: [{TABLE}] names the mistake {mistake!r}, which the checks do not "
                                     "know; the ids are the keys of MISTAKES in linear_classifier/checks/mistakes.py")
        if isinstance(fraction, bool) or not isinstance(fraction, (int, float)) or not 0 < fraction <= 1:
            raise PartialCreditError(f"{path}: [{TABLE}] {mistake} must be a fraction in (0, 1], got {fraction!r}")
    return {mistake: float(fraction) for mistake, fraction in table.items()}
