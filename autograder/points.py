"""Points per test (``autograder/points.toml``) and their copy in the notebooks' test cells.

``points.toml`` is the one place where points are set, and where partial credit
for recognised mistakes is granted (its ``[partial_credit]`` table, read by the
judge through :mod:`autograder.catalogue.credit`). :func:`sync_notebook_points`
writes each group's total into the nbgrader metadata of that group's test cell
(grade_id ``test_<module>_<function>``) in the instructor's source notebooks, so
that ``nbgrader autograde`` and the gradebook use the same totals.
"""

import tomllib
from pathlib import Path

from . import course
from .catalogue import all_test_names
from .catalogue.credit import POINTS_FILE, TABLE, PartialCreditError, load_partial_credit
from .course import GROUPS, grade_id, group_of


class PointsError(ValueError):
    """points.toml is unreadable or does not match the catalogue of tests."""


def load_points(path=POINTS_FILE):
    """Points of every test, ``{test name: points}``, checked against the catalogue.

    The ``[partial_credit]`` table is checked too (known mistakes, fractions in (0, 1]).
    """
    try:
        table = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise PointsError(f"Cannot read the points file {path}: {error}") from None
    try:
        load_partial_credit(path)
    except PartialCreditError as error:
        raise PointsError(str(error)) from None
    table.pop(TABLE, None)
    points = {}

    def flatten(prefix, value):
        if isinstance(value, dict):
            for key, item in value.items():
                flatten(f"{prefix}.{key}" if prefix else key, item)
        elif isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0:
            points[prefix] = float(value)
        else:
            raise PointsError(f"{path}: the points of {prefix} must be a number >= 0, got {value!r}")

    flatten("", table)
    names = all_test_names()
    missing = [name for name in names if name not in points]
    unknown = [name for name in points if name not in names]
    if missing or unknown:
        problems = []
        if missing:
            problems.append("no points for " + ", ".join(missing))
        if unknown:
            problems.append("points for tests that do not exist: " + ", ".join(unknown))
        raise PointsError(f"{path} does not match the tests of the autograder: " + "; ".join(problems))
    return {name: points[name] for name in names}


def group_points(points):
    """Total points of each group."""
    totals = {group: 0.0 for group in GROUPS}
    for name, value in points.items():
        totals[group_of(name)] += value
    return totals


def _number(value):
    return int(value) if float(value).is_integer() else float(value)


def sync_notebook_points(source_dir=None, points=None):
    """Set the points of every group's test cell in the notebooks of ``source_dir``.

    Rewrites a notebook only when a value changes. Returns ``{group: [notebook names]}``
    for the groups whose test cells were found.
    """
    import nbformat

    source_dir = Path(source_dir or course.reference_dir())
    totals = {grade_id(group): (group, _number(total))
              for group, total in group_points(points or load_points()).items()}
    found = {}
    for path in sorted(source_dir.glob("*.ipynb")):
        notebook = nbformat.read(str(path), as_version=nbformat.NO_CONVERT)
        changed = False
        for cell in notebook.cells:
            metadata = cell.get("metadata", {}).get("nbgrader", {})
            if metadata.get("grade") and metadata.get("grade_id") in totals:
                group, total = totals[metadata["grade_id"]]
                found.setdefault(group, []).append(path.name)
                if metadata.get("points") != total:
                    metadata["points"] = total
                    changed = True
        if changed:
            nbformat.write(notebook, str(path))
    return found
