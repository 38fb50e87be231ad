"""What every panel has: a title with a busy sign, a status area, guarded callbacks, controls and readouts.

Each panel is a pure-Python *state* class (numbers only: tests and benchmarks
drive it directly) wrapped by a *widget* class derived from :class:`Panel`,
which owns the controls, the matplotlib figure and the readouts. Sliders only
report a value when released; any exception raised while the panel is built
or handles a control is shown in its status area, so one failing function
never stops the notebook or the other panels.
"""

import functools
import html
import sys

import ipywidgets as widgets

from ..tracebacks import traceback_without_paths
from . import student
from .figures import FigureUpdater
from .student import Notices, StubMissing, StudentCodeFailed, error_html, reload_edited_modules

#: Shown in place of a panel wherever its widgets cannot be (a saved notebook reopened, a text export).
SAVED_NOTE = ("[{title}: an interactive panel of the loss explorer. Panels are not saved with the notebook: "
              "run this cell again to use it.]")
#: While the browser redraws a figure, the numbers beside it are already new: dim them until it has.
BUSY_STYLE = ("<style>.lx-busy .lx-readout, .lx-busy .lx-table {opacity: 0.45}"
              ".lx-busy-sign {color: #777; font-size: 90%}</style>")
BUSY_SIGN = "<span class='lx-busy-sign'>⟳ drawing…</span>"


def number(value, digits=6):
    """A readout number: ``digits`` significant digits, or a dash when unknown."""
    if value is None:
        return "—"
    return f"{value:.{digits}g}"


def slider(kind, description, value, **options):
    """A slider that reports its value only when released (a redraw per release, not per pixel)."""
    style = {"description_width": "initial"}
    return kind(value=value, description=description, continuous_update=False, style=style,
                layout=widgets.Layout(width="330px"), **options)


def observe(widget, handler):
    """Call ``handler(change)`` whenever the value of ``widget`` changes."""
    widget.observe(handler, names="value")
    return widget


def readout():
    """An HTML area for a panel's numbers (dimmed while the figure beside it is being redrawn)."""
    area = widgets.HTML()
    area.add_class("lx-readout")
    return area


class Panel:
    """Base of the widget panels: a title with a busy sign, a status area, guarded callbacks, notebook display.

    A subclass creates ``self.figure`` and its ``self.updater`` (from
    :meth:`figure_updater`), its controls with callbacks wrapped by
    :meth:`guard`, then calls :meth:`build`, which runs :meth:`start`.
    """

    title = ""

    def __init__(self):
        self.status = widgets.HTML()
        self.status.add_class("lx-status")
        self.busy = widgets.HTML()
        self._syncing = False
        self.widget = None

    def figure_updater(self, artists=()):
        """A :class:`FigureUpdater` of the panel's figure that shows the busy sign while a full redraw is pending."""
        return FigureUpdater(self.figure, artists, on_pending=self._show_pending)

    def build(self, *rows):
        """Lay out the title, ``rows`` and the status area, then compute what the panel shows first.

        The status area goes last unless ``rows`` place it (next to the controls
        that run the student's code, where a student looks after a click).
        """
        header = widgets.HBox([widgets.HTML(f"<h3 style='margin:4px 0'>{html.escape(self.title)}</h3>{BUSY_STYLE}"),
                               self.busy], layout=widgets.Layout(align_items="center", gap="12px"))
        placed = any(row is self.status for row in rows)
        self.widget = widgets.VBox([header, *rows] if placed else [header, *rows, self.status])
        self.guard(self.start)()

    def start(self):
        """Compute and show what the panel shows first."""
        self.refresh()

    def refresh(self):
        """Recompute what the panel shows from its state and update the figure and readouts."""
        raise NotImplementedError(f"{type(self).__name__} must define refresh()")

    def guard(self, callback):
        """Wrap a callback: saved edits of the student's modules are loaded first; any exception is shown."""
        @functools.wraps(callback)
        def guarded(*args, **kwargs):
            if self._syncing:
                return None
            student.last_called = None
            try:
                reload_edited_modules()
                return callback(*args, **kwargs)
            except StubMissing as stub:
                self.show_notices([stub.advice("what this control does")], detail=stub.detail)
            except StudentCodeFailed as problem:
                notices = Notices()
                notices.add(problem, "")
                self.show_notices(notices)
            except Exception as error:  # noqa: BLE001 (shown to the user, not swallowed)
                self.show_error(error)
            return None
        return guarded

    def show_notices(self, notices, detail=""):
        """Show the sentences of missing stubs (yellow) and the errors of the student's code (red).

        Clears the status area when there is nothing to show.
        """
        items = list(getattr(notices, "items", notices))
        errors = getattr(notices, "errors", {})
        parts = []
        if errors:
            boxes = "".join(error_html(problem) for problem in errors.values())
            parts.append(f'<div class="lx-error" style="background:#fde2e2;padding:4px 8px">{boxes}'
                         "<div><small>Fix your code and save the file; the next change of a control uses it."
                         "</small></div></div>")
        if items:
            lines = "".join(f"<li>{html.escape(item)}</li>" for item in items)
            extra = f"<div><small>{html.escape(detail)}</small></div>" if detail else ""
            parts.append(f'<div class="lx-stub" style="background:#fff6d5;padding:4px 8px">'
                         f"<b>Not shown yet:</b><ul style='margin:2px 0'>{lines}</ul>{extra}</div>")
        self.status.value = "".join(parts)

    def show_error(self, error):
        """Show an exception raised in the explorer's own code: the error, the student's function whose result
        it was using, and the traceback (folded away, without the machine's paths)."""
        suspect = ""
        if student.last_called is not None:
            name = student.last_called
            module_name, function_name = name.split(".")
            function = getattr(sys.modules.get(f"{student.PACKAGE}.{module_name}"), function_name, None)
            code = getattr(function, "__code__", None)
            line = f", line {code.co_firstlineno}" if code is not None else ""
            suspect = (f"<div>The panel failed on what <code>{html.escape(function_name)}</code> "
                       f"(in {html.escape(student.PACKAGE)}/{html.escape(module_name)}.py{line}) returned: compare "
                       "that with what its docstring says it returns.</div>")
        self.status.value = (
            f'<div class="lx-error" style="background:#fde2e2;padding:4px 8px">'
            f"<b>{html.escape(type(error).__name__)}:</b> {html.escape(str(error))}{suspect}"
            f"<details><summary>traceback</summary><pre>{html.escape(traceback_without_paths(error))}</pre>"
            "</details></div>")

    def _show_pending(self, pending):
        self.busy.value = BUSY_SIGN if pending else ""
        if self.widget is not None:
            (self.widget.add_class if pending else self.widget.remove_class)("lx-busy")

    def _repr_mimebundle_(self, **kwargs):
        bundle = self.widget._repr_mimebundle_(**kwargs)
        bundle["text/plain"] = SAVED_NOTE.format(title=self.title)
        return bundle
