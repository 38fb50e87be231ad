"""Every output of a graded batch, one writer per format, all behind :func:`write_all`.

``grade`` and ``merge`` both call :func:`write_all` on a :class:`autograder.results.BatchResult`, so a
merged batch's files are the same as a single run's. To add a format, add a module with
``write(result, out)`` and list it in :data:`WRITERS`. Pages are Jinja2 templates in ``templates/``
sharing one stylesheet.
"""

from pathlib import Path

from . import code, logs, mistakes, student, summary, tables

#: The writers, in the order they run: each ``write(result, out)``.
WRITERS = (tables.write, student.write, logs.write, code.write, mistakes.write, summary.write)


def write_all(result, out=None):
    """Write every output of ``result`` into ``out`` (default: ``result.out``), which is created if needed."""
    out = Path(out if out is not None else result.out)
    out.mkdir(parents=True, exist_ok=True)
    for write in WRITERS:
        write(result, out)
