"""``similarity.html`` and ``similarity.csv``: the similar pairs, their shared code side by side, the evidence."""

import csv
from pathlib import Path

from markupsafe import Markup, escape

from .. import course
from ..outputs.code import CODE
from ..outputs.render import render, text_cell

COLUMNS = ("first", "second", "similarity_first", "similarity_second", "public", "evidence")
#: Pairs listed on the page (most similar first); similarity.csv lists them all.
LISTED = 200


def _marked(text, slices):
    """``text`` as HTML with the ranges ``slices`` (``[[start, end], ...]``) in ``<mark>``."""
    parts, position = [], 0
    for start, end in sorted(slices):
        start, end = max(int(start), position), int(end)
        if end <= start:
            continue
        parts += [escape(text[position:start]), Markup("<mark>"), escape(text[start:end]), Markup("</mark>")]
        position = end
    parts.append(escape(text[position:]))
    return Markup("").join(parts)


def _source(graded, public, pair, side, relative):
    if side == 0 or not pair.public:
        return (Path(graded) / CODE / (pair.first if side == 0 else pair.second) / relative).read_text(
            encoding="utf-8", errors="replace")
    root = Path(public) / pair.second
    path = root / relative if (root / relative).is_file() else root / Path(relative).name
    return path.read_text(encoding="utf-8", errors="replace")


def write_report(pairs, students, graded, out, threshold, public=None):
    """Write ``out/similarity.html`` and ``out/similarity.csv``; return their paths."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    shown = []
    for number, pair in enumerate(pairs, start=1):
        if not pair.shared:
            continue  # only the most similar pairs have their shared code located (find_pairs(detailed=...))
        modules = []
        for relative, (first, second) in sorted(pair.shared.items()):
            modules.append((relative, _marked(_source(graded, public, pair, 0, relative), first),
                            _marked(_source(graded, public, pair, 1, relative), second)))
        shown.append((number, pair, modules))
    page = render("similarity.html", assignment=course.ASSIGNMENT, pairs=shown, listed=pairs[:LISTED], anchored={number for number, _, _ in shown},
                  total=len(pairs), students=students, threshold=threshold, public=public)
    html = out / "similarity.html"
    html.write_text(page, encoding="utf-8")
    table = out / "similarity.csv"
    with open(table, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(COLUMNS)
        for pair in pairs:
            writer.writerow([text_cell(pair.first), text_cell(pair.second), f"{pair.similarity[0]:.3f}",
                             f"{pair.similarity[1]:.3f}", "yes" if pair.public else "no",
                             text_cell("; ".join(pair.evidence))])
    return html, table
