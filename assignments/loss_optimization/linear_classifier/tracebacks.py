"""How errors reach the student in a notebook (given, not student work): the diagnosis, not the machinery.

A failed check renders itself (``CheckFailed._render_traceback_`` in
``checks/report.py``: ``✗``, what was expected, what came back, the likely
cause). Any other error that passed through a check, and the
``NotImplementedError`` of a stub wherever it is called from, is shown here
as the error itself followed by the student's own files and lines: never the
frames or the source of ``checks/`` or ``explore/``. Every other error keeps
IPython's usual traceback, so the student's mistakes in their own cells look
as they always do.

Importing the package in a Jupyter kernel registers this with IPython (an
IPython custom exception handler). Error outputs keep their ``ename`` and
``evalue``, which is what nbgrader reads; only the traceback lines change.
"""

import contextlib
import os
import sys
import traceback
from pathlib import Path

#: The student's package: every frame in it outside the given folders below is the student's to read.
PACKAGE_DIR = Path(__file__).resolve().parent
#: Folders of the package whose frames a student never needs to see.
GIVEN_FOLDERS = ("checks", "explore")
#: Most frames of the student's code shown for one error (the innermost ones).
SHOWN_FRAMES = 3
_RED_BOLD, _RESET = "\x1b[1;31m", "\x1b[0m"


def highlight(line):
    """``line`` in bold red, as IPython shows the name of an error."""
    return f"{_RED_BOLD}{line}{_RESET}"


def _folder_in_package(filename):
    """The first folder of ``filename`` inside the package ("" for a module at its top), or None outside it."""
    try:
        parts = Path(filename).resolve().relative_to(PACKAGE_DIR).parts
    except ValueError:
        return None
    return parts[0] if len(parts) > 1 else ""


def student_frames(tb):
    """The frames of traceback ``tb`` in the package's own modules (not in checks/ or explore/), outermost first.

    Returns
    -------
    list of traceback.FrameSummary
    """
    return [frame for frame in traceback.extract_tb(tb) if _folder_in_package(frame.filename) == ""]


def describe_error(error, tb=None):
    """The lines that show ``error`` to a student: the error itself, then where in their files it was raised.

    Parameters
    ----------
    error : BaseException
    tb : traceback or None
        Defaults to ``error.__traceback__``.

    Returns
    -------
    list of str
        ``Type: message``, then for each of the innermost SHOWN_FRAMES frames
        of the package's own modules its file (relative to the assignment
        folder), line and function, and its source line unless that line
        raises a stub's ``NotImplementedError`` (whose message is already shown).
    """
    tb = error.__traceback__ if tb is None else tb
    lines = [f"{type(error).__name__}: {error}"]
    for frame in student_frames(tb)[-SHOWN_FRAMES:]:
        lines.append(f"  in {_relative(frame.filename)}, line {frame.lineno}, in {frame.name}")
        source = (frame.line or "").strip()
        if source and not (isinstance(error, NotImplementedError) and source.startswith("raise NotImplementedError")):
            lines.append(f"      {source}")
    # A syntax error happens in no frame: the file and line are the error's own.
    if _in_student_file(error):
        lines[1:] = syntax_error_lines(error)[1:]
    return lines


def _in_student_file(error):
    return isinstance(error, SyntaxError) and bool(error.filename) and _folder_in_package(error.filename) == ""


def syntax_error_lines(error):
    """A file that does not parse, as a student reads it: what Python expected, the file, the line and a caret.

    Parameters
    ----------
    error : SyntaxError
        Raised for a file of the package.

    Returns
    -------
    list of str
        ``SyntaxError: expected ':'``, ``  in linear_classifier/losses.py, line 87``, then the line
        and a caret under the place where Python stopped reading.
    """
    lines = [f"{type(error).__name__}: {error.msg}", f"  in {_relative(error.filename)}, line {error.lineno}"]
    text = (error.text or "").rstrip("\n")
    if text.strip():
        indent = len(text) - len(text.lstrip())
        lines.append(f"      {text.strip()}")
        if error.offset:
            start = max(error.offset - 1 - indent, 0)
            end = error.end_offset if error.end_offset and error.end_offset > error.offset else error.offset + 1
            width = max(min(end - error.offset, len(text) - indent - start), 1)
            lines.append("      " + " " * start + "^" * width)
    return lines


#: What to do about an error raised in the student's own code while a check ran it.
RAISED_IN_YOUR_CODE = "  raised in your code while a check ran it: fix the line above, save the file, rerun this cell"


def student_location(error):
    """Lines that show where in the student's files ``error`` was raised, and what to do ([] if not in them)."""
    if error is None or not student_frames(error.__traceback__):
        return []
    return describe_error(error)[1:] + [RAISED_IN_YOUR_CODE]


def _relative(filename):
    """``filename`` relative to the assignment folder: ``linear_classifier/losses.py``."""
    return Path(filename).resolve().relative_to(PACKAGE_DIR.parent).as_posix()


def shown_path(filename):
    """Where a file is, as a student may read it: relative to the assignment folder, or to the installed
    packages (``numpy/_core/fromnumeric.py``); never the machine's absolute path."""
    path = Path(filename)
    if _folder_in_package(filename) is not None:
        return _relative(filename)
    parts = path.parts
    for marker in ("site-packages", "dist-packages"):
        if marker in parts:
            return "/".join(parts[parts.index(marker) + 1:])
    return path.name


def traceback_without_paths(error):
    """``error``'s traceback as Python prints it, each file named by :func:`shown_path`."""
    frames = traceback.extract_tb(error.__traceback__)
    for frame in frames:
        frame.filename = shown_path(frame.filename)
    lines = ["Traceback (most recent call last):\n", *traceback.format_list(frames)]
    return "".join(lines + traceback.format_exception_only(type(error), error))


def _through_checks(tb):
    return any(_folder_in_package(frame.filename) == "checks" for frame in traceback.extract_tb(tb))


def _raised_by_stub(error, tb):
    """Whether ``error`` is a ``NotImplementedError`` raised in the package's own code (an untouched stub)."""
    frames = traceback.extract_tb(tb)
    return isinstance(error, NotImplementedError) and bool(frames) and _folder_in_package(frames[-1].filename) == ""


def _student_view(error, tb):
    """The traceback lines IPython shows for an error that went through a check or came from a stub."""
    first, *rest = describe_error(error, tb)
    lines = [highlight(first), *rest]
    if isinstance(error, NotImplementedError):
        return lines
    if student_frames(tb):
        lines.append(RAISED_IN_YOUR_CODE)
    else:
        lines.append("  raised inside the given check while it examined what your function returned: "
                     "compare that with what the function's docstring says it returns")
    return lines


#: A division slash: looks like "/", but JupyterLab does not take it for a path.
DIVISION_SLASH = "\u2215"


def unlinked(lines):
    """``lines`` with each free-standing " / " (a formula's division) written with a division slash.

    JupyterLab turns a "/" between spaces in an output into a link to a folder that is not there, so every
    hint with a formula like ``(f(x+h) - f(x)) / h`` showed a dead link.
    """
    return [line.replace(" / ", f" {DIVISION_SLASH} ") for line in lines]


def _show_for_students(shell, etype, value, tb, tb_offset=None):
    """IPython custom exception handler: the student's view of errors from checks and stubs, else IPython's own."""
    renders_itself = hasattr(type(value), "_render_traceback_")
    if renders_itself:
        render = value._render_traceback_
        value._render_traceback_ = lambda: unlinked(render())
    elif _in_student_file(value):
        # IPython shows any SyntaxError its own way (showsyntaxerror, with the absolute path), not by the hook.
        first, *rest = syntax_error_lines(value)
        shell._showtraceback(etype, value, [highlight(first), *rest, "  fix that line, save the file, rerun"])
        return
    if not renders_itself and (_raised_by_stub(value, tb) or _through_checks(tb)):
        value._render_traceback_ = lambda: unlinked(_student_view(value, tb))
    shell.showtraceback((etype, value, tb), tb_offset=tb_offset, running_compiled_code=True)


_show_for_students.student_view = True


#: Why a cell did not run while one of the student's files does not parse.
CELL_NOT_RUN = ("  this cell did not run: Python cannot read the file as it is now, and the cell would have used "
                "its last readable version. Fix the line above, save the file, rerun this cell")


class ParseGuard:
    """An IPython input transformer: no cell runs while a student module the kernel imported does not parse.

    ``%autoreload`` keeps the last version of a module that fails to reload,
    so a check would pass the old code (and print autoreload's traceback).
    Transformers run before autoreload does: this one compiles each changed
    student file first, and for one that does not parse raises its
    ``SyntaxError`` in place of the cell (shown as :func:`syntax_error_lines`)
    and tells autoreload not to try that version.
    """

    student_parse_guard = True

    def __init__(self, shell):
        self.shell = shell
        self._verdicts = {}  # path -> (mtime_ns, SyntaxError or None)

    def __call__(self, lines):
        for path in _imported_student_files():
            error = self._verdict(path)
            if error is not None:
                self._skip_in_autoreload(path)
                raise FileDoesNotParse(error)
        return lines

    def _verdict(self, path):
        try:
            mtime = os.stat(path).st_mtime_ns
        except OSError:
            return None
        known = self._verdicts.get(path)
        if known is not None and known[0] == mtime:
            return known[1]
        try:
            compile(Path(path).read_bytes(), path, "exec", dont_inherit=True)
            error = None
        except SyntaxError as raised:
            error = raised
        except (ValueError, OSError):  # a NUL byte, a file being replaced: left to the import to report
            error = None
        self._verdicts[path] = (mtime, error)
        return error

    def _skip_in_autoreload(self, path):
        # autoreload skips a file whose failed reload it recorded at this very mtime (its ModuleReloader.check).
        magics = self.shell.magics_manager.registry.get("AutoreloadMagics")
        reloader = getattr(magics, "_reloader", None)
        if reloader is not None and isinstance(getattr(reloader, "failed", None), dict):
            with contextlib.suppress(OSError):
                reloader.failed[path] = os.stat(path).st_mtime


def _imported_student_files():
    """The files of the student's modules (the package's own, not checks/ or explore/) imported so far, sorted."""
    prefix = f"{PACKAGE_DIR.name}."
    files = []
    for name, module in list(sys.modules.items()):
        filename = getattr(module, "__file__", None)
        if name.startswith(prefix) and filename and filename.endswith(".py") and _folder_in_package(filename) == "":
            files.append(filename)
    return sorted(files)


class FileDoesNotParse(Exception):
    """Raised in place of a cell while a student file does not parse (not a ``SyntaxError``, which IPython
    would show with its own traceback and the file's absolute path).

    Attributes
    ----------
    error : SyntaxError
        What ``compile`` raised for the file.
    """

    def __init__(self, error):
        self.error = error
        super().__init__(f"{_relative(error.filename)}, line {error.lineno}: {error.msg}")

    def _render_traceback_(self):
        first, *rest = syntax_error_lines(self.error)
        return [highlight(first), *rest, CELL_NOT_RUN]


def register_with_ipython():
    """Show errors the student's way in this IPython kernel, unless another custom handler is in place.

    Also stops cells from running while a student module does not parse
    (:class:`ParseGuard`). Only the package imported under its own name
    registers: a copy loaded under an alias (the grader's reference) must
    not take over the rendering.
    """
    if __spec__ is None or __spec__.name.split(".")[0] != PACKAGE_DIR.name:
        return
    # A kernel has imported IPython already; importing it here would slow every other process down.
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    if shell is None:
        return
    transformers = getattr(shell, "input_transformers_post", None)
    if transformers is not None and not any(getattr(t, "student_parse_guard", False) for t in transformers):
        transformers.append(ParseGuard(shell))
    if shell.custom_exceptions and not getattr(shell, "_student_view", False):
        return
    shell.set_custom_exc((Exception,), _show_for_students)
    shell._student_view = True


register_with_ipython()
