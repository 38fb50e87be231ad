"""Notebook time: each solution notebook start to finish, against the 60 s budget of issue 2.

Each notebook's baseline is an empty notebook run in the same way (kernel start and shutdown), so the
ratio shows how much of a run is the work rather than the kernel; the goal applies to the seconds.
"""

import time

import nbformat
from nbclient import NotebookClient

from autograder import course
from bench.timing import row

BUDGET_SECONDS = 60.0


def execute(notebook, folder):
    start = time.perf_counter()
    NotebookClient(notebook, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(folder)}}).execute()
    return time.perf_counter() - start


def run():
    folder = course.reference_dir()
    empty = execute(nbformat.v4.new_notebook(), folder)
    rows = [row("empty notebook (kernel start and stop)", empty, "s", BUDGET_SECONDS, ("<=", BUDGET_SECONDS),
                applies_to="value")]
    for path in sorted(folder.glob("*.ipynb")):
        seconds = execute(nbformat.read(path, as_version=4), folder)
        rows.append(row(f"{path.name} start to finish", seconds, "s", empty, ("<=", BUDGET_SECONDS),
                        applies_to="value"))
    return rows
