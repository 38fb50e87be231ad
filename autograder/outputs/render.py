"""What every page shares: the templates, the rendering of values, and the words for each status."""

from functools import lru_cache

import numpy as np

from ..calls.status import WORDS

#: How each status reads on a page: the vocabulary's own words.
STATUS_TEXT = WORDS


def number(value):
    """A score as people write it: 2, 0.5, 88."""
    return f"{value:g}"


#: What a spreadsheet (Excel, LibreOffice, Google Sheets) takes for the start of a formula, and the quote that
#: marks a cell as text.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "'")


def text_cell(value):
    """``value`` as a CSV cell that a spreadsheet shows as text, not as a formula.

    Student ids, names and error messages come from students: ``=HYPERLINK(...)`` in one would be live on the
    instructor's screen. A leading ``'`` marks text in spreadsheets; :func:`from_text_cell` removes it again.
    """
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def from_text_cell(value):
    """The value :func:`text_cell` wrote as ``value``."""
    return value[1:] if value.startswith("'") else value


@lru_cache(maxsize=None)
def environment():
    """The Jinja2 environment of the output templates (HTML escaped everywhere)."""
    import jinja2  # only pages need it: a Gradescope run writes results.json alone

    env = jinja2.Environment(loader=jinja2.PackageLoader("autograder.outputs", "templates"),
                             autoescape=jinja2.select_autoescape(["html"]), keep_trailing_newline=True,
                             trim_blocks=True, lstrip_blocks=True,
                             undefined=jinja2.StrictUndefined)
    env.filters["number"] = number
    env.globals.update(status_text=lambda status: STATUS_TEXT.get(status, status), describe=describe_row,
                       values=lambda row: "\n".join(value_lines(row.verdict)))
    return env


def render(template, **context):
    return environment().get_template(template).render(**context)


def show(value):
    """A short, readable rendering of an input, expected or returned value."""
    if isinstance(value, np.ndarray):
        with np.printoptions(precision=6, threshold=40, edgeitems=3, suppress=True, linewidth=100):
            return f"array of shape {value.shape}: {np.array2string(value, prefix='  ')}"
    if isinstance(value, float):
        return f"{value:.8g}"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{key}: {show(item)}" for key, item in value.items()) + "}"
    if isinstance(value, list):
        if value and isinstance(value[0], dict):
            return "; ".join(show(item) for item in value)
        return "[" + ", ".join(show(item) for item in value) + "]"
    return repr(value)


def value_lines(verdict):
    """A visible test's failing case as lines: its inputs, the expected and the returned value (none if hidden)."""
    lines = []
    if verdict.details and not verdict.hidden and not verdict.passed:
        inputs = verdict.details.get("inputs") or {}
        if inputs:
            lines.append("inputs:")
            lines += [f"  {name} = {show(value)}" for name, value in inputs.items()]
        if verdict.details.get("expected") is not None:
            lines.append(f"expected: {show(verdict.details['expected'])}")
        if verdict.details.get("got") is not None:
            lines.append(f"got:      {show(verdict.details['got'])}")
    return lines


def describe_row(row):
    """The text a student sees for one test: a visible test's failure shows inputs, expected and returned values."""
    verdict = row.verdict
    if verdict.passed:
        return f"✓ {verdict.what}"
    return "\n".join([f"✗ {verdict.what}", verdict.message] + value_lines(verdict))
