"""The architecture ARCHITECTURE.md describes, kept by tools: import contracts, and modules and functions small
enough to read (about 600 and 60 lines, except where a file says why with a ``# long:`` comment)."""

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from autograder import course

LINT = Path(sys.executable).parent / "lint-imports"
#: The student package's contracts are checked where linear_classifier is importable.
CONTRACTS = {"the grader": course.COURSE_ROOT, "the student package": course.reference_dir()}
#: Where product code lives (the generated release is a copy of the solutions, the tests are not product code).
SOURCES = [course.COURSE_ROOT / "autograder", course.reference_dir() / course.PACKAGE, course.COURSE_ROOT / "bench"]
MAX_MODULE_LINES = 600
MAX_FUNCTION_LINES = 60
EXEMPTION = "# long:"


def lint(folder):
    return subprocess.run([str(LINT), "--no-cache"], cwd=folder, capture_output=True, text=True)


@pytest.mark.parametrize("name", CONTRACTS)
def test_every_import_contract_is_kept(name):
    completed = lint(CONTRACTS[name])
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-2000:]
    assert "0 broken" in completed.stdout


@pytest.mark.parametrize("importer, imported, contract", [
    ("catalogue/judge.py", "from ..sandbox import Sandbox", "What is tested, read and written never reaches"),
    ("course.py", "from . import outputs", "No import cycles anywhere in the grader"),
    ("calls/wire.py", "from .. import course", "The runners and the wire format stand alone"),
])
def test_a_copy_of_the_grader_that_breaks_a_contract_fails_the_check(tmp_path, importer, imported, contract):
    copy = tmp_path / "course"
    copy.mkdir()
    shutil.copytree(course.COURSE_ROOT / "autograder", copy / "autograder",
                    ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copyfile(course.COURSE_ROOT / ".importlinter", copy / ".importlinter")
    module = copy / "autograder" / importer
    module.write_text(module.read_text() + f"\n{imported}  # noqa\n")
    completed = lint(copy)
    assert completed.returncode != 0
    assert contract in completed.stdout and "BROKEN" in completed.stdout


def _python_files():
    return sorted(path for root in SOURCES for path in root.rglob("*.py") if "__pycache__" not in path.parts)


def test_no_module_is_longer_than_about_600_lines_unless_it_says_why():
    long = [f"{path.relative_to(course.COURSE_ROOT)}: {len(text.splitlines())} lines"
            for path in _python_files() for text in [path.read_text()]
            if len(text.splitlines()) > MAX_MODULE_LINES and EXEMPTION not in text]
    assert long == []


def test_no_function_is_longer_than_about_60_lines_unless_it_says_why():
    long = []
    for path in _python_files():
        lines = path.read_text().splitlines()
        for node in ast.walk(ast.parse("\n".join(lines))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                body = node.body[1:] if ast.get_docstring(node) else node.body
                length = node.end_lineno - body[0].lineno + 1 if body else 0
                header = lines[node.lineno - 1:body[0].lineno - 1] if body else []
                if length > MAX_FUNCTION_LINES and not any(EXEMPTION in line for line in header):
                    long.append(f"{path.relative_to(course.COURSE_ROOT)}:{node.lineno} {node.name}: {length} lines")
    assert long == []
