"""Build the student release ``assignments/<assignment>/`` from ``solutions/<assignment>/``.

nbgrader's ``generate_assignment`` clears solution and hidden-test regions in
notebooks but copies ``.py`` files verbatim, solutions included. This module
runs it, then replaces each solution region of each module with a
``raise NotImplementedError`` that says what to implement, copies the shipped
data, and refuses to finish if any line of a solution or hidden test reaches
the release.
"""

import ast
import keyword
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from . import course
from .points import sync_notebook_points

BEGIN_SOLUTION = "### BEGIN SOLUTION"
END_SOLUTION = "### END SOLUTION"
BEGIN_HIDDEN = "### BEGIN HIDDEN TESTS"
END_HIDDEN = "### END HIDDEN TESTS"
#: Data files the release carries so that it runs offline when copied alone.
RELEASED_DATA = ("digits.npz", "README.md", "LICENSE", "get_cifar10.sh")


class ReleaseError(RuntimeError):
    """The release could not be built, or would leak solutions."""


@dataclass(frozen=True)
class Region:
    """Lines ``begin``..``end`` (0-based, inclusive, markers included) of a solution region."""

    begin: int
    end: int


def solution_regions(lines, path):
    """Return the solution regions of a module's lines, checking that markers pair up."""
    regions = []
    begin = None
    for number, line in enumerate(lines):
        marker = line.strip()
        if marker == BEGIN_SOLUTION:
            if begin is not None:
                raise ReleaseError(f"{path}:{number + 1}: '{BEGIN_SOLUTION}' inside another solution region.")
            begin = number
        elif marker == END_SOLUTION:
            if begin is None:
                raise ReleaseError(f"{path}:{number + 1}: '{END_SOLUTION}' without a matching begin.")
            regions.append(Region(begin, number))
            begin = None
    if begin is not None:
        raise ReleaseError(f"{path}:{begin + 1}: '{BEGIN_SOLUTION}' is never closed.")
    return regions


def _enclosing_functions(source):
    """Map each line number (1-based) to the qualified name and docstring summary of its function."""
    owners = {}

    def visit(node, prefix):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.ClassDef)):
                name = f"{prefix}{child.name}"
                if isinstance(child, ast.FunctionDef):
                    summary = (ast.get_docstring(child) or "").strip().split("\n")[0].rstrip(".")
                    for line in range(child.lineno, child.end_lineno + 1):
                        owners[line] = (name, summary)
                visit(child, name + ".")

    visit(ast.parse(source), "")
    return owners


def stub_message(relative_path, function, summary):
    """The message a student sees when they call a function they have not implemented yet.

    The docstring's summary is reST (``R(W) = sum(W**2)``); the message is plain text, so its literals lose
    their double backquotes.
    """
    summary = summary.replace("``", "")
    return (
        f"{function} in {relative_path} is not implemented yet: {summary}. "
        f"Replace this line with your code (the docstring above says what to return)."
    )


def strip_module(source, relative_path):
    """Return ``source`` with every solution region replaced by a NotImplementedError stub."""
    lines = source.splitlines(keepends=True)
    regions = solution_regions(lines, relative_path)
    owners = _enclosing_functions(source)
    output = []
    position = 0
    for region in regions:
        output.extend(lines[position:region.begin])
        marker_line = lines[region.begin]
        indent = marker_line[: len(marker_line) - len(marker_line.lstrip())]
        if region.begin + 1 not in owners:
            raise ReleaseError(f"{relative_path}:{region.begin + 1}: a solution region must lie inside a function.")
        function, summary = owners[region.begin + 1]
        message = stub_message(relative_path, function, summary)
        output.append(f"{indent}# TODO: {summary}.\n")
        output.append(f"{indent}raise NotImplementedError({message!r})\n")
        position = region.end + 1
    output.extend(lines[position:])
    return "".join(output)


def _is_trivial(line):
    """Whether a line is only keywords and punctuation (``else:``, ``continue``, ``)``), which any code may share."""
    words = re.findall(r"[A-Za-z_]\w*|\d+", line)
    return all(keyword.iskeyword(word) for word in words)


def secret_lines(source_dir):
    """Every non-trivial line written inside a solution or hidden-test region of ``source_dir``."""
    import nbformat

    secrets = set()

    def collect(lines):
        inside = False
        for line in lines:
            marker = line.strip()
            if marker in (BEGIN_SOLUTION, BEGIN_HIDDEN):
                inside = True
            elif marker in (END_SOLUTION, END_HIDDEN):
                inside = False
            elif inside and not _is_trivial(marker):
                secrets.add(marker)

    for path in sorted(source_dir.rglob("*")):
        if path.suffix == ".py":
            collect(path.read_text(encoding="utf-8").splitlines())
        elif path.suffix == ".ipynb" and ".ipynb_checkpoints" not in path.parts:
            for cell in nbformat.read(path, as_version=4).cells:
                collect(cell.source.splitlines())
    return secrets


def check_no_leaks(source_dir, release_dir):
    """Raise ReleaseError if a marker or a secret line of ``source_dir`` appears in ``release_dir``."""
    secrets = secret_lines(source_dir)
    leaks = []
    for path in sorted(release_dir.rglob("*")):
        if path.suffix not in (".py", ".ipynb", ".md", ".txt"):
            continue
        text = path.read_text(encoding="utf-8")
        if path.suffix == ".ipynb":
            import nbformat

            lines = [line for cell in nbformat.read(path, as_version=4).cells for line in cell.source.splitlines()]
        else:
            lines = text.splitlines()
        leaks += _leaks_of(path, text, lines, secrets)
    if leaks:
        raise ReleaseError("The release would leak solutions:\n  " + "\n  ".join(leaks))


def _leaks_of(path, text, lines, secrets):
    """What of ``text`` (its ``lines``, the code of a notebook) would leak: markers and secret lines."""
    leaks = [f"{path}: contains the marker '{marker}'"
             for marker in (BEGIN_SOLUTION, END_SOLUTION, BEGIN_HIDDEN, END_HIDDEN) if marker in text]
    return leaks + [f"{path}: contains the solution line {line.strip()!r}" for line in lines if line.strip() in secrets]


def _check_source_modules(source_dir):
    """The checks of the release that need no notebook, on the source's modules stubbed in memory: malformed
    regions, the stubbed modules, solution lines in given code. They fail in a second, not after nbgrader."""
    secrets = secret_lines(source_dir)
    stubbed, leaks = [], []
    for module in sorted(source_dir.rglob("*.py")):
        if "__pycache__" in module.parts or ".ipynb_checkpoints" in module.parts:
            continue
        relative = module.relative_to(source_dir).as_posix()
        text = module.read_text(encoding="utf-8")
        if BEGIN_SOLUTION in text:
            text = strip_module(text, relative)
            stubbed.append(relative)
        leaks += _leaks_of(module, text, text.splitlines(), secrets)
    _check_student_modules(stubbed)
    if leaks:
        raise ReleaseError("The release would leak solutions:\n  " + "\n  ".join(leaks))


def _generate_notebooks(course_root, assignment):
    """Run nbgrader's generate_assignment for ``assignment`` in ``course_root``."""
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config import Config, PyFileConfigLoader

    config = Config()
    config.merge(PyFileConfigLoader("nbgrader_config.py", path=str(course_root)).load_config())
    config.CourseDirectory.root = str(course_root)
    api = NbGraderAPI(coursedir=CourseDirectory(config=config), config=config)
    with course.tools_on_path():
        result = api.generate_assignment(assignment, force=True, create=True)
    if not result["success"]:
        raise ReleaseError(f"nbgrader generate_assignment failed:\n{result.get('error') or result.get('log')}")


def _check_student_modules(stubbed):
    """The modules with solution regions must be the course's student modules: the grader grades those only."""
    expected = sorted(course.student_files())
    if sorted(stubbed) != expected:
        raise ReleaseError(f"The modules with solution regions ({', '.join(sorted(stubbed)) or 'none'}) are not the "
                           f"student modules the grader grades ({', '.join(expected)}): change "
                           "autograder/course.py STUDENT_MODULES or the solution markers so that they agree.")


def build_release(course_root=None, assignment=course.ASSIGNMENT):
    """Regenerate ``assignments/<assignment>`` from ``solutions/<assignment>``.

    Returns the path of the release folder. Raises ReleaseError, leaving no
    partial release behind, if a solution region is malformed or a secret
    line would reach students.
    """
    course_root = Path(course_root or course.COURSE_ROOT).resolve()
    source_dir = course_root / course.SOURCE_DIR / assignment
    release_dir = course_root / course.RELEASE_DIR / assignment
    if not source_dir.is_dir():
        raise ReleaseError(f"No assignment source at {source_dir}.")
    # points.toml is the one place for points; the notebooks' test cells get copies.
    sync_notebook_points(source_dir)
    _check_source_modules(source_dir)
    if release_dir.exists():
        shutil.rmtree(release_dir)
    try:
        _generate_notebooks(course_root, assignment)
        stubbed = []
        for module in sorted(release_dir.rglob("*.py")):
            relative = module.relative_to(release_dir).as_posix()
            text = module.read_text(encoding="utf-8")
            if BEGIN_SOLUTION in text:
                module.write_text(strip_module(text, relative), encoding="utf-8")
                stubbed.append(relative)
        _check_student_modules(stubbed)
        data_dir = release_dir / "data"
        data_dir.mkdir(exist_ok=True)
        for name in RELEASED_DATA:
            shutil.copyfile(course_root / "data" / name, data_dir / name)
        check_no_leaks(source_dir, release_dir)
    except BaseException:
        shutil.rmtree(release_dir, ignore_errors=True)
        raise
    return release_dir
