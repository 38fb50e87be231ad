"""Interactive figures of the panels: ipympl canvases that redraw only what changed.

Widgets update the figure's artists in place and redraw only those artists over
a cached background (:class:`FigureUpdater`), falling back to a full redraw
when axes change. A full redraw is a round trip through the browser, so the
updater says when one is pending: the panel shows a busy sign until it lands.
"""

import math

import ipywidgets as widgets
import matplotlib.pyplot as plt

NOT_INTERACTIVE = ("<p><b>This panel needs the interactive matplotlib backend:</b> "
                   "run <code>%matplotlib widget</code> in a cell above, then rebuild the panel.</p>")


def new_figure(width, height):
    """A figure and the widget that shows it (ipympl's canvas under ``%matplotlib widget``)."""
    with plt.ioff():
        figure = plt.figure(figsize=(width, height))
    canvas = figure.canvas
    if isinstance(canvas, widgets.DOMWidget):
        canvas.header_visible = False
        canvas.footer_visible = False
        canvas.resizable = False
        canvas.toolbar_position = "right"
        return figure, canvas
    return figure, widgets.HTML(NOT_INTERACTIVE)


def view_started(canvas):
    """Whether the browser has started showing this canvas (always true for non-ipympl canvases).

    ipympl renders a figure drawn before its view starts into a data URL the
    view cannot load ("Error setting state ... 'broken' state", matplotlib/ipympl#472),
    and the view then stays blank. The view draws the whole figure when it
    starts, so until then nothing needs drawing.
    """
    return not getattr(canvas, "syncing_data_url", False)


def settle(figure):
    """Mark ``figure`` and its axes as drawn.

    In a kernel, pyplot redraws every stale figure after each widget message;
    a figure that is stale for no visible reason would be redrawn forever.
    """
    for axes in figure.axes:
        axes.stale = False
    figure.stale = False


def nice_ceiling(value):
    """The smallest of 1, 2, 5, 10, 20, 50, ... times a power of ten that is at least ``value`` (> 0)."""
    exponent = math.floor(math.log10(value))
    for factor in (1, 2, 5, 10):
        if factor * 10.0 ** exponent >= value * (1 - 1e-12):
            return factor * 10.0 ** exponent
    return 10.0 ** (exponent + 1)


class FigureUpdater:
    """Redraws the changing artists of an interactive figure without re-rendering the rest.

    Tick labels and titles cost most of a full draw, and they rarely change.
    Once the browser has drawn the whole figure, :meth:`update` restores that
    drawing's static background and draws only ``artists`` on it (blitting),
    then ipympl sends the changed pixels. When axes limits or anything else
    static changed, ``update(full=True)`` asks the browser for a full redraw.

    Parameters
    ----------
    figure : matplotlib Figure
    artists : list of Artist
        Everything that changes between full redraws, in drawing order. They
        are drawn over all static artists, so nothing static may cover them.
        Empty for a figure that is always redrawn in full.
    on_pending : callable or None
        Called with True when a full redraw has been requested from the
        browser, and with False once it has been drawn.
    """

    def __init__(self, figure, artists=(), on_pending=None):
        self.figure = figure
        self.artists = list(artists)
        self.background = None
        self.pending = False
        self._on_pending = on_pending or (lambda pending: None)
        self._key = None
        self.blitting = isinstance(figure.canvas, widgets.DOMWidget)
        if self.blitting:
            for artist in self.artists:
                artist.set_animated(True)
            figure.canvas.mpl_connect("draw_event", self._on_draw)

    def _size(self):
        return tuple(self.figure.bbox.size), self.figure.dpi

    def _on_draw(self, event):
        # A full draw skips animated artists: keep the static picture, then add them.
        renderer = event.renderer
        if renderer is getattr(self.figure.canvas, "renderer", None):
            self.background = renderer.copy_from_bbox(self.figure.bbox)
            self._key = self._size()
            send_whole_picture(self.figure.canvas)
        self._draw_artists(renderer)
        if self.pending:
            self.pending = False
            self._on_pending(False)

    def _draw_artists(self, renderer):
        was_stale = self.figure.stale
        for artist in self.artists:
            artist.draw(renderer)
        if not was_stale:
            # Drawing an artist can mark its axes stale (through child artists that report to the
            # axes), though the picture is now current.
            settle(self.figure)

    def update(self, full=False):
        """Show the artists' new data: blit when possible, else request a full redraw."""
        canvas = self.figure.canvas
        if not view_started(canvas):
            settle(self.figure)
            return
        if full or not self.blitting or self.background is None or self._key != self._size():
            self.background = None
            canvas.draw_idle()
            if self.blitting and not self.pending:
                self.pending = True
                self._on_pending(True)
            return
        canvas.restore_region(self.background)
        self._draw_artists(canvas.get_renderer())
        send_whole_picture(canvas)
        canvas.blit(self.figure.bbox)


def send_whole_picture(canvas):
    """Have the next picture ipympl sends be the whole figure, not a difference to the picture sent before.

    matplotlib's web canvas sends by default only the pixels that changed since
    its last picture (``FigureCanvasWebAggCore.get_diff_image``), and the
    browser paints them over what it shows. When pictures follow each other
    fast (the playground's ▶), the browser starts loading a picture before the
    last one has loaded and drops that one (ipympl's ``image.onload``), and it
    may paint a whole picture as a difference or the other way round (the
    image mode is a widget trait that travels apart from the pictures); a
    dropped difference is never sent again, so old curves and tick labels stay
    drawn for good. A whole picture each time makes any picture that arrives
    the truth. ``_force_full`` is that class's own switch for this (it sets it
    on a resize); other canvases lack it and are left alone.
    """
    if hasattr(canvas, "_force_full"):
        canvas._force_full = True
