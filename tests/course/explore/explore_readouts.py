"""What the explorer's tests read off the panels, and the definitions they compare it with (written out here,
not taken from the package)."""

import math
import re

import numpy as np


def shown(html_text, css_class):
    """The number displayed in the element of class ``css_class`` (None for a dash)."""
    match = re.search(rf"class='{re.escape(css_class)}'>([^<]*)<", html_text)
    assert match, f"no element of class {css_class} in {html_text!r}"
    text = match.group(1).strip()
    return None if text == "—" else float(text)


def shown_text(html_text, css_class):
    match = re.search(rf"class='{re.escape(css_class)}'>([^<]*)<", html_text)
    assert match, f"no element of class {css_class} in {html_text!r}"
    return match.group(1).strip()


def table_column(html_text, column):
    rows = re.findall(r"<tr>(.*?)</tr>", html_text)[1:]
    return np.array([float(re.findall(r"<td[^>]*>(?:<b>)?([^<]*)", row)[column]) for row in rows])


def close_to(shown_value, expected, digits=6):
    """Readouts print ``digits`` significant digits."""
    return math.isclose(shown_value, expected, rel_tol=10.0 ** (1 - digits), abs_tol=1e-12)


def reference_data_loss(explore, lc, loss_name, state):
    """The playground's data loss with the bias trick, from the reference losses."""
    X_bias = np.hstack([state.X, np.ones((len(state.y), 1))])
    weights = np.vstack([state.W.T, state.b])
    function = {explore.plane.WESTON_WATKINS: lc.losses.svm_loss_vectorized,
                explore.plane.SOFTMAX: lc.losses.softmax_loss_vectorized}[loss_name]
    return function(weights, X_bias, state.y, 0.0)


def definition_losses(loss_name, scores, y):
    """Per-example losses of the four playground losses, written out with loops."""
    losses = []
    for s, label in zip(scores, y):
        if loss_name == "Weston-Watkins SVM":
            losses.append(sum(max(0.0, s[j] - s[label] + 1) for j in range(3) if j != label))
        elif loss_name == "One-vs-all SVM":
            losses.append(sum(max(0.0, 1 - s[j]) if j == label else max(0.0, 1 + s[j]) for j in range(3)))
        elif loss_name == "Structured SVM":
            losses.append(max(0.0, 1 + max(s[j] for j in range(3) if j != label) - s[label]))
        else:
            losses.append(-s[label] + math.log(sum(math.exp(v) for v in s)))
    return np.array(losses)


def centered_gradient(f, theta, h=1e-6):
    grad = np.zeros_like(theta)
    for i in range(len(theta)):
        step = np.zeros_like(theta)
        step[i] = h
        grad[i] = (f(theta + step) - f(theta - step)) / (2 * h)
    return grad


def rendered(canvas):
    return np.asarray(canvas.buffer_rgba()).copy()


def start_view(canvas):
    """What the browser sends ipympl's canvas when it starts showing it, followed by its first draw request."""
    canvas._handle_message(canvas, {"type": "initialized"}, [])
    canvas._handle_message(canvas, {"type": "draw"}, [])


def softmax_of(scores):
    top = max(scores)
    return top - scores[0] + math.log(sum(math.exp(s - top) for s in scores))


def svm_of(scores):
    return sum(max(0.0, s - scores[0] + 1) for s in scores[1:])
