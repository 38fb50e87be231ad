"""The command blocks of the documentation, as an instructor copies them: what the documentation tests run.

A block is a fenced ```` ```bash ```` block. Its commands are its lines, a line ending in ``\\`` joined with the
next, blank lines and whole-line comments left out (a trailing ``# comment`` stays: the shell ignores it).
"""

import re
from pathlib import Path

FENCE = re.compile(r"^```bash\n(.*?)^```", re.MULTILINE | re.DOTALL)


def section(text, heading):
    """The text of the Markdown section whose heading line starts with ``heading`` (up to the next heading of its
    level or above)."""
    lines = text.splitlines(keepends=True)
    start = next((i for i, line in enumerate(lines) if line.startswith(heading)), None)
    assert start is not None, f"no section {heading!r}: was it renamed?"
    level = len(heading) - len(heading.lstrip("#"))
    end = next((i for i in range(start + 1, len(lines))
                if lines[i].startswith("#") and len(lines[i]) - len(lines[i].lstrip("#")) <= level
                and lines[i][len(lines[i]) - len(lines[i].lstrip("#")):].startswith(" ")), len(lines))
    return "".join(lines[start:end])


def bash_blocks(text):
    """Every ```` ```bash ```` block of ``text``, each as its list of commands."""
    return [commands(block) for block in FENCE.findall(text)]


def commands(block):
    """The commands of one block."""
    found, pending = [], ""
    for line in block.splitlines():
        if pending:
            line = pending + line.lstrip()
            pending = ""
        if line.endswith("\\"):
            pending = line[:-1].rstrip() + " "
            continue
        if line.strip() and not line.lstrip().startswith("#"):
            found.append(line.strip())
    return found


def document_blocks(path, heading=None):
    """The command blocks of the document ``path`` (of its section ``heading`` when given)."""
    text = Path(path).read_text(encoding="utf-8")
    return bash_blocks(section(text, heading) if heading else text)
