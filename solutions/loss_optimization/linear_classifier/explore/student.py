"""Calling the student's code from a panel: stubs, errors, saved edits, and gradient descent with their rules.

Every panel calls the student's functions by name through :func:`call_student`,
which looks the function up at call time in the module as it is now: after
:func:`reload_edited_modules` (run by each panel before it handles a control)
a saved edit is used without running a cell or rebuilding the panel. Whatever
the student's function raises comes back as a :class:`StudentCodeFailed`, so
that a panel can show what it can compute without it.
"""

import html
import importlib
import os
import sys

import numpy as np

from ..checks import tolerances
from ..checks.report import close
from ..tracebacks import describe_error

#: The package the explorer belongs to (``linear_classifier``).
PACKAGE = __package__.rpartition(".")[0]
#: The student modules the panels call; a saved edit of one of them is picked up on the next control change.
CALLED_MODULES = ("losses", "gradients", "regularization", "optim")
#: The student's vectorized losses, by the name the panels show.
VECTORIZED_LOSSES = {"SVM": "losses.svm_loss_vectorized", "Softmax": "losses.softmax_loss_vectorized"}

_loaded_mtimes = {}
#: The student's function whose result a panel used last (``"module.function"``): named when a panel fails on
#: what a function returned.
last_called = None


class StudentCodeFailed(Exception):
    """A student's function could not give its result.

    Attributes
    ----------
    name : str
        ``module.function``, e.g. ``"losses.svm_loss_vectorized"``.
    """

    def __init__(self, name, message):
        self.name = name
        super().__init__(message)

    @property
    def path(self):
        """The file the student edits, relative to the assignment folder."""
        return f"{PACKAGE}/{self.name.split('.')[0]}.py"


class StubMissing(StudentCodeFailed):
    """A student's function still raises ``NotImplementedError``.

    Attributes
    ----------
    detail : str
        The message of the original ``NotImplementedError``.
    """

    def __init__(self, name, detail=""):
        self.detail = detail
        super().__init__(name, f"{name} is not implemented yet")

    def advice(self, purpose):
        """One sentence telling the student what to implement to see ``purpose``."""
        return f"Implement {self.name} in {self.path} to see {purpose}."


class StudentCodeRaised(StudentCodeFailed):
    """A student's function (or the import of its module) raised an error other than ``NotImplementedError``.

    Attributes
    ----------
    error : BaseException
        The original exception, with its traceback.
    """

    def __init__(self, name, error, during=None):
        self.error = error
        self.during = during or f"calling {name}"
        super().__init__(name, f"{type(error).__name__} while {self.during}: {error}")

    def lines(self):
        """The error and the student's own frames (file, line, source), as :func:`describe_error` shows them."""
        return describe_error(self.error)


class StudentCodeReturnedNone(StudentCodeRaised):
    """A student's function returned ``None``: it has no ``return`` (or a bare one) on the path it took.

    Named with its file and the line of its ``def``, rather than left to fail
    inside the panel that used the result.
    """

    def __init__(self, name, function):
        self.function = function
        super().__init__(name, TypeError(f"{name.split('.')[1]} returned None"))

    def lines(self):
        function_name = self.name.split(".")[1]
        code = getattr(self.function, "__code__", None)
        where = f", line {code.co_firstlineno}" if code is not None else ""
        return [f"{function_name} in {self.path} returned None",
                f"  in {self.path}{where}, in {function_name}",
                "  a function that ends without a return statement returns None: "
                "end it with the return its docstring describes"]


def _file_mtime(module):
    try:
        return os.stat(module.__file__).st_mtime_ns
    except (OSError, TypeError):
        return None


def student_module(name):
    """The student module ``name`` (e.g. ``"losses"``), imported on first use.

    Raises
    ------
    StudentCodeRaised
        When the module cannot be imported (a syntax error, say).
    """
    qualified = f"{PACKAGE}.{name}"
    module = sys.modules.get(qualified)
    if module is None:
        try:
            module = importlib.import_module(qualified)
        except Exception as error:  # noqa: BLE001 (shown to the student in the panel)
            raise StudentCodeRaised(name, error, during=f"loading {PACKAGE}/{name}.py") from None
    if name not in _loaded_mtimes:
        _loaded_mtimes[name] = _file_mtime(module)
    return module


def reload_edited_modules():
    """Reload every called student module whose file changed since it was loaded.

    ``%autoreload`` only acts when a cell runs, not when a widget calls back;
    this makes the next control change use the code the student saved.

    Raises
    ------
    StudentCodeRaised
        When an edited module fails to load; it is tried again on the next call.
    """
    for name in CALLED_MODULES:
        module = sys.modules.get(f"{PACKAGE}.{name}")
        if module is None:
            continue
        now = _file_mtime(module)
        if _loaded_mtimes.setdefault(name, now) == now:
            continue
        try:
            importlib.reload(module)
        except Exception as error:  # noqa: BLE001 (shown to the student in the panel)
            raise StudentCodeRaised(name, error, during=f"loading your edited {PACKAGE}/{name}.py") from None
        _loaded_mtimes[name] = now


def call_student(name, *args, **kwargs):
    """Call the student's function ``name`` (``"module.function"``) as its module defines it now.

    Raises
    ------
    StubMissing
        When the function still raises ``NotImplementedError``.
    StudentCodeRaised
        When it raises anything else (or its module cannot be imported).
    StudentCodeReturnedNone
        When it returns None (every function a panel calls returns something).
    """
    global last_called
    module_name, function_name = name.split(".")
    module = student_module(module_name)
    function = None
    try:
        # Looked up here, not in advance: a student who renamed the function reads an AttributeError in the panel.
        function = getattr(module, function_name)
        result = function(*args, **kwargs)
    except NotImplementedError as error:
        raise StubMissing(name, str(error)) from None
    except Exception as error:  # noqa: BLE001 (shown to the student in the panel)
        raise StudentCodeRaised(name, error) from None
    if result is None:
        raise StudentCodeReturnedNone(name, function)
    last_called = name
    return result


class Notices:
    """What a computation could not show: a sentence per missing stub and the errors of the student's code."""

    def __init__(self):
        self._stubs = {}
        self._purposes = {}
        self.errors = {}

    def add(self, problem, purpose):
        """Record a :class:`StudentCodeFailed` and what it kept from being shown."""
        if isinstance(problem, StudentCodeRaised):
            self.errors.setdefault(problem.name, problem)
            return
        self._stubs.setdefault(problem.name, problem)
        purposes = self._purposes.setdefault(problem.name, [])
        if purpose not in purposes:
            purposes.append(purpose)

    @property
    def items(self):
        """One sentence per missing stub, naming everything it would show."""
        return [stub.advice(" and ".join(self._purposes[name])) for name, stub in self._stubs.items()]

    def __bool__(self):
        return bool(self._stubs or self.errors)


def error_html(problem):
    """The red box's content for a :class:`StudentCodeRaised`: the error and where in the student's files."""
    first, *where = problem.lines()
    lines = f"<pre style='margin:2px 0'>{html.escape(chr(10).join(where))}</pre>" if where else ""
    return f"<div><b>{html.escape(first)}</b> (while {html.escape(problem.during)})</div>{lines}"


def relative_errors(a, b):
    """Entry-wise relative errors of two arrays of the same shape, by the given ``gradients.rel_error``."""
    rel_error = student_module("gradients").rel_error
    return np.array([rel_error(x, z) for x, z in zip(np.ravel(a), np.ravel(b))])


def gradients_agree(numeric, analytic):
    """Whether a numerical and an analytic derivative match within the checks' tolerances.

    A relative error alone misleads where the true derivative is 0: centered
    differences then return round-off of about 1e-11, a relative error near 1.
    """
    return close(numeric, analytic, tolerances.NUMERICAL_GRADIENT_RELATIVE, tolerances.NUMERICAL_GRADIENT_ABSOLUTE)


def agreement_html(numeric, analytic, error):
    """One entry of a table of relative errors: the error with ✓ or ✗, as notebook 02 reads them.

    Where the true derivative is 0, the relative error of two round-offs can
    be 0.002 or 1 though both derivatives agree; notebook 02 teaches that
    such an error means a wrong gradient. There the table shows the absolute
    difference, marked as such, in place of a relative error with a ✓.
    """
    if not gradients_agree(numeric, analytic):
        return f"<span class='lx-disagree' style='color:#c00'>{error:.2g} ✗</span>"
    if error <= tolerances.NUMERICAL_GRADIENT_RELATIVE:
        return f"<span class='lx-agree'>{error:.2g} ✓</span>"
    difference = abs(float(numeric) - float(analytic))
    return (f"<span class='lx-agree lx-near-zero' title='The derivative is about 0 here, where a relative error "
            f"means nothing: the two differ by {difference:.1g} only.'>|Δ| {difference:.1g} ✓</span>")


def gradient_descent(gradient, start, learning_rate, steps, rule="optim.sgd", momentum=0.0):
    """Run the student's update rule on a 2-D problem.

    Parameters
    ----------
    gradient : callable
        ``gradient(point)`` of shape (2,) at a point of shape (2,).
    start : array-like of shape (2,)
    learning_rate, momentum : float
        Passed to the rule in its ``config``.
    steps : int
    rule : str
        ``"optim.sgd"`` or ``"optim.sgd_momentum"``.

    Returns
    -------
    path : ndarray of shape (k + 1, 2)
        Start and iterates; stops early (k < steps) once an iterate overflows.
    """
    point = np.array(start, dtype=float)
    path = [point.copy()]
    config = {"learning_rate": learning_rate, "momentum": momentum}
    with np.errstate(over="ignore", invalid="ignore"):
        for _ in range(steps):
            point, config = call_student(rule, point.copy(), gradient(point), config)
            point = np.array(point, dtype=float)
            path.append(point)
            if not np.all(np.isfinite(point)) or np.abs(point).max() > 1e150:
                break
    return np.array(path)
