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

import functools
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
    if isinstance(error, SyntaxError) and error.filename and _folder_in_package(error.filename) == "":
        lines.append(f"  in {_relative(error.filename)}, line {error.lineno}")
        if (error.text or "").strip():
            lines.append(f"      {error.text.strip()}")
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


def _show_for_students(shell, etype, value, tb, tb_offset=None):
    """IPython custom exception handler: the student's view of errors from checks and stubs, else IPython's own."""
    renders_itself = hasattr(type(value), "_render_traceback_")
    if not renders_itself and (_raised_by_stub(value, tb) or _through_checks(tb)):
        value._render_traceback_ = functools.partial(_student_view, value, tb)
    shell.showtraceback((etype, value, tb), tb_offset=tb_offset, running_compiled_code=True)


_show_for_students.student_view = True


def register_with_ipython():
    """Show errors the student's way in this IPython kernel, unless another custom handler is in place.

    Only the package imported under its own name registers: a copy loaded
    under an alias (the grader's reference) must not take over the rendering.
    """
    if __spec__ is None or __spec__.name.split(".")[0] != PACKAGE_DIR.name:
        return
    # A kernel has imported IPython already; importing it here would slow every other process down.
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    if shell is None:
        return
    if shell.custom_exceptions and not getattr(shell, "_student_view", False):
        return
    shell.set_custom_exc((Exception,), _show_for_students)
    shell._student_view = True


register_with_ipython()
