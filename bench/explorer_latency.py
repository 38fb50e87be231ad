"""Server-side redraw latency of the loss explorer after a control change (goal: under 100 ms).

What is timed is the work the kernel does between a control changing and the
new image being ready for the browser: the widget callback (recomputing the
numbers with the reference solution, updating the artists in place and, when
only they changed, redrawing them over the cached background and encoding the
changed pixels as PNG), plus, when the callback asked for a full redraw with
``draw_idle``, the draw the browser then requests. The messages' trip through
the websocket is not included.

Baseline, measured in the same run: the same change handled by rebuilding the
figure's axes and artists from scratch, as a callback that clears and replots
would (the panels never do this). ``ratio`` = value / baseline.

Run alone with ``python bench/explorer_latency.py``; ``run()`` returns the rows.
"""

import importlib
import statistics
import sys
import time
from pathlib import Path

from bench.timing import row

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT / "solutions" / "loss_optimization"
IPYMPL = "module://ipympl.backend_nbagg"
GOAL_MS = 100.0
REPEATS = 25


def _import_explore():
    """``linear_classifier.explore`` from the reference package (the student's stubs would not run)."""
    if str(REFERENCE) not in sys.path:
        sys.path.insert(0, str(REFERENCE))
    module = importlib.import_module("linear_classifier.explore")
    if not Path(module.__file__).resolve().is_relative_to(REFERENCE):
        raise RuntimeError(f"linear_classifier was already imported from {module.__file__}; run this benchmark "
                           f"in a fresh process so that it uses {REFERENCE}.")
    return module


class _Browser:
    """Plays the browser's part for one ipympl canvas.

    On display the browser reports that it is attached; after each ``draw_idle``
    it sends a 'draw' request, which the kernel answers with a full render and
    a PNG diff. A blitted update sends its PNG diff at once and requests nothing.
    """

    def __init__(self, canvas):
        self.canvas = canvas
        self.pending = False
        request_draw = canvas.draw_idle

        def draw_idle():
            self.pending = True
            request_draw()

        canvas.draw_idle = draw_idle
        canvas._handle_message(canvas, {"type": "initialized"}, [])
        self.answer(force=True)

    def answer(self, force=False):
        if self.pending or force:
            self.pending = False
            self.canvas._handle_message(self.canvas, {"type": "draw"}, [])


def _median_ms(action, repeats=REPEATS):
    action()  # warm-up: first draws build caches (fonts, text layouts)
    samples = []
    for index in range(repeats):
        start = time.perf_counter()
        action(index)
        samples.append(1000.0 * (time.perf_counter() - start))
    return statistics.median(samples)


def _row(name, value, baseline):
    return row(name, value, "ms", baseline, ("<=", GOAL_MS), applies_to="value")


def _measure(panel, change, name):
    """Median time of ``change(index)`` plus the browser's draw, in place and with a rebuilt figure."""
    browser = _Browser(panel.figure.canvas)

    def in_place(index=0):
        change(index)
        browser.answer()

    def rebuilt(index=0):
        change(index)
        panel._create_artists()
        panel.refresh()
        browser.answer()

    return _row(name, _median_ms(in_place), _median_ms(rebuilt))


def run():
    """Measure and return one row per interaction: name, value (ms), unit, baseline (ms), ratio, goal."""
    import matplotlib.pyplot as plt

    backend = plt.get_backend()
    plt.switch_backend(IPYMPL)
    try:
        explore = _import_explore()
        rows = []

        playground = explore.Playground()
        strengths = (0.05, 0.2)
        rows.append(_measure(playground, lambda i: setattr(playground.reg_slider, "value", strengths[i % 2]),
                             "explorer: playground, regularization slider moved"))
        playground.reg_slider.value = 0.1
        rows.append(_measure(playground, lambda i: playground.step_button.click(),
                             "explorer: playground, single update clicked"))
        rows.append(_measure(playground, lambda i: setattr(playground.play, "value", playground.play.value + 1),
                             "explorer: playground, one tick of repeated update"))

        lab = explore.StepSizeLab()
        rates = (0.10, 0.11)
        rows.append(_measure(lab, lambda i: setattr(lab.rate_slider, "value", rates[i % 2]),
                             "explorer: step-size lab, learning-rate slider moved"))

        momentum = explore.MomentumLab()
        betas = (0.5, 0.6)
        rows.append(_measure(momentum, lambda i: setattr(momentum.momentum_slider, "value", betas[i % 2]),
                             "explorer: momentum lab, momentum slider moved"))

        # Every change of the landscape recomputes 2 x (101 + 625) losses and redraws the whole figure: the
        # slowest panel, and the one whose busy sign (shown until the redraw lands) matters most.
        landscape = explore.LandscapeExplorer()
        spans = (1.0, 1.5)
        rows.append(_measure(landscape, lambda i: setattr(landscape.span_slider, "value", spans[i % 2]),
                             "explorer: landscape, span slider moved"))
        return rows
    finally:
        plt.close("all")
        plt.switch_backend(backend)


if __name__ == "__main__":
    for row in run():
        print(f"{row['name']:<55} {row['value']:8.2f} {row['unit']}  (rebuilt figure {row['baseline']:8.2f} ms, "
              f"ratio {row['ratio']:.2f}, goal {row['goal']})")
