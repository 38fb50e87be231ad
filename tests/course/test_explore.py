"""The loss explorer's panels, driven without a kernel: controls are set and buttons clicked as a user
would, and the numbers in the readouts and the data of the plotted artists are checked against the
reference solution (``solutions/``) and against definitions written out here."""

import importlib
import math
import re
import shutil
import sys
from pathlib import Path

import ipywidgets as widgets
import matplotlib.pyplot as plt
import nbformat
import numpy as np
import pytest
from matplotlib.backend_bases import MouseEvent
from nbclient import NotebookClient

from autograder import course
from autograder.release import BEGIN_SOLUTION, solution_regions, strip_module

REFERENCE = course.reference_dir()
PACKAGE = course.PACKAGE
IPYMPL = "module://ipympl.backend_nbagg"


def _package_modules():
    return {name: module for name, module in sys.modules.items()
            if name == PACKAGE or name.startswith(PACKAGE + ".")}


@pytest.fixture(scope="module")
def explore():
    """``linear_classifier.explore`` imported from the reference package, under ipympl's backend.

    Whatever ``linear_classifier`` (or backend) another test module loaded is put back afterwards.
    """
    saved = _package_modules()
    for name in saved:
        del sys.modules[name]
    sys.path.insert(0, str(REFERENCE))
    backend = plt.get_backend()
    plt.switch_backend(IPYMPL)
    try:
        module = importlib.import_module(f"{PACKAGE}.explore")
        for name in ("losses", "gradients", "regularization", "optim"):
            importlib.import_module(f"{PACKAGE}.{name}")
        assert Path(module.__file__).resolve().is_relative_to(REFERENCE.resolve())
        yield module
    finally:
        plt.switch_backend(backend)
        sys.path.remove(str(REFERENCE))
        for name in _package_modules():
            del sys.modules[name]
        sys.modules.update(saved)


@pytest.fixture(scope="module")
def lc(explore):
    """The reference ``linear_classifier`` package the explorer calls (its student modules imported)."""
    return sys.modules[PACKAGE]


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def digits(explore):
    return explore.given.get_digits_data()


@pytest.fixture
def playground(explore):
    return explore.Playground()


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


# ------------------------------------------------------------------------------------------------
# Playground
# ------------------------------------------------------------------------------------------------

LOSS_NAMES = ["Weston-Watkins SVM", "One-vs-all SVM", "Structured SVM", "Softmax"]


@pytest.mark.parametrize("loss_name", LOSS_NAMES)
def test_playground_readout_shows_data_regularization_and_total_loss(explore, lc, playground, loss_name):
    playground.loss_choice.value = loss_name
    state = playground.state
    scores = state.X @ state.W.T + state.b
    expected_data = definition_losses(loss_name, scores, state.y).mean()
    if loss_name in explore.plane.STUDENT_LOSSES:
        assert math.isclose(reference_data_loss(explore, lc, loss_name, state)[0], expected_data, rel_tol=1e-12)
    expected_reg = state.reg * np.sum(state.W ** 2)
    readout = playground.readout.value
    assert close_to(shown(readout, "lx-data-loss"), expected_data)
    assert close_to(shown(readout, "lx-reg-loss"), expected_reg)
    assert close_to(shown(readout, "lx-total-loss"), expected_data + expected_reg)


@pytest.mark.parametrize("loss_name", LOSS_NAMES)
def test_per_point_table_lists_scores_and_each_L_i(playground, loss_name):
    playground.loss_choice.value = loss_name
    state = playground.state
    scores = state.X @ state.W.T + state.b
    table = playground.table.value
    for column in range(3):
        np.testing.assert_allclose(table_column(table, 3 + column), scores[:, column], atol=5e-4)
    np.testing.assert_allclose(table_column(table, 6), definition_losses(loss_name, scores, state.y),
                               rtol=1e-3, atol=1e-4)


@pytest.mark.parametrize("loss_name", LOSS_NAMES)
def test_analytic_gradient_matches_numeric_gradient_for_every_loss(explore, playground, loss_name):
    playground.loss_choice.value = loss_name
    state = playground.state

    def total(theta):
        W, b = theta[:6].reshape(3, 2), theta[6:]
        scores = state.X @ W.T + b
        return definition_losses(loss_name, scores, state.y).mean() + state.reg * np.sum(W ** 2)

    expected = centered_gradient(total, state.parameters())
    result = playground.evaluation
    np.testing.assert_allclose(result.gradient, expected, atol=1e-6)
    np.testing.assert_allclose(result.numeric, expected, atol=1e-6)
    shown_analytic = np.array([float(cells[0].value) for cells in playground.gradient_cells])
    shown_errors = np.array([float(re.sub(r"<[^>]*>|✓|✗", "", cells[2].value)) for cells in playground.gradient_cells])
    np.testing.assert_allclose(shown_analytic, expected, rtol=1e-4, atol=1e-6)
    numeric, analytic = result.numeric, result.gradient
    expected_errors = np.abs(numeric - analytic) / np.maximum(1e-8, np.abs(numeric) + np.abs(analytic))
    np.testing.assert_allclose(shown_errors, expected_errors, rtol=0.05)
    assert all("lx-agree" in cells[2].value for cells in playground.gradient_cells)


def test_a_wrong_analytic_gradient_is_flagged(explore, monkeypatch, lc):
    reference = lc.losses.svm_loss_vectorized

    def wrong_sign(W, X, y, reg):
        loss, dW = reference(W, X, y, reg)
        return loss, -dW

    monkeypatch.setattr(lc.losses, "svm_loss_vectorized", wrong_sign)
    panel = explore.Playground()
    flagged = ["lx-disagree" in cells[2].value for cells in panel.gradient_cells]
    nonzero = np.abs(panel.evaluation.numeric) > 1e-6
    assert flagged == list(nonzero)


def test_zero_score_lines_are_where_each_class_scores_zero(playground):
    state = playground.state
    limit = playground.ax_data.get_xlim()[1]
    for c, line in enumerate(playground.zero_lines):
        points = np.column_stack(line.get_data())
        assert points.shape == (2, 2)
        np.testing.assert_allclose(points @ state.W[c] + state.b[c], 0.0, atol=1e-9)
        # Both ends lie on the border of the plotted square.
        assert np.allclose(np.abs(points).max(axis=1), limit)


def test_decision_regions_show_the_highest_scoring_class(playground):
    state = playground.state
    image = np.asarray(playground.regions.get_array())
    left, right, bottom, top = playground.regions.get_extent()
    xs = np.linspace(left, right, image.shape[1])
    ys = np.linspace(bottom, top, image.shape[0])
    grid_x, grid_y = np.meshgrid(xs, ys)
    scores = np.stack([state.W[c, 0] * grid_x + state.W[c, 1] * grid_y + state.b[c] for c in range(3)], axis=-1)
    np.testing.assert_array_equal(image, scores.argmax(axis=-1))


def test_editing_a_weight_moves_its_line_and_changes_the_loss(playground):
    before = shown(playground.readout.value, "lx-total-loss")
    playground.parameter_boxes[4].value = -1.5  # W[2, 0]
    state = playground.state
    assert state.W[2, 0] == -1.5
    points = np.column_stack(playground.zero_lines[2].get_data())
    np.testing.assert_allclose(points @ state.W[2] + state.b[2], 0.0, atol=1e-9)
    assert shown(playground.readout.value, "lx-total-loss") != before


def test_single_update_steps_against_the_gradient_and_extends_the_loss_curve(playground):
    state = playground.state
    theta = state.parameters()
    gradient = playground.evaluation.gradient
    total_before = shown(playground.readout.value, "lx-total-loss")
    playground.step_button.click()
    np.testing.assert_allclose(state.parameters(), theta - state.learning_rate * gradient, rtol=1e-12)
    np.testing.assert_allclose([box.value for box in playground.parameter_boxes], state.parameters(), atol=1e-6)
    assert shown(playground.readout.value, "lx-iteration") == 1
    total_after = shown(playground.readout.value, "lx-total-loss")
    assert total_after < total_before
    x, y = playground.curve.get_data()
    np.testing.assert_array_equal(x, [0, 1])
    np.testing.assert_allclose(y, [total_before, total_after], rtol=1e-5)


def test_momentum_updates_carry_velocity_between_steps(playground):
    playground.optimizer_choice.value = "SGD + momentum"
    playground.momentum_slider.value = 0.5
    state = playground.state
    lr = state.learning_rate
    theta0 = state.parameters()
    g0 = playground.evaluation.gradient
    playground.step_button.click()
    g1 = playground.evaluation.gradient
    playground.step_button.click()
    v1 = -lr * g0
    v2 = 0.5 * v1 - lr * g1
    np.testing.assert_allclose(state.parameters(), theta0 + v1 + v2, rtol=1e-12)


def test_play_widget_repeats_updates_without_a_loop(playground):
    for tick in range(1, 6):
        playground.play.value = tick
    assert playground.state.iteration == 5
    x, y = playground.curve.get_data()
    assert len(x) == 6
    assert np.all(np.diff(y) < 0)


@pytest.mark.parametrize("schedule, expected_factor", [("step decay", 0.5), ("cosine decay", 0.5)])
def test_decay_schedules_set_the_learning_rate_shown(playground, schedule, expected_factor):
    playground.schedule_choice.value = schedule
    playground.every_slider.value = 2
    playground.horizon_slider.value = 4
    for _ in range(2):
        playground.step_button.click()
    # Step decay halves the rate after 2 steps; cosine decay over T = 4 is at half the rate at t = 2.
    rate = shown(playground.readout.value, "lx-rate")
    assert math.isclose(rate, expected_factor * playground.state.learning_rate, rel_tol=1e-6)


def test_minibatch_update_uses_the_gradient_of_one_example(explore, playground):
    playground.batch_slider.value = 1
    state = playground.state
    theta = state.parameters()
    playground.step_button.click()
    step = (theta - state.parameters()) / state.learning_rate
    candidates = []
    for i in range(len(state.y)):
        _, _, _, dW, db = state.objective(theta[:6].reshape(3, 2), theta[6:], state.X[i:i + 1], state.y[i:i + 1])
        candidates.append(np.concatenate([dW.ravel(), db]))
    assert min(np.abs(step - c).max() for c in candidates) < 1e-12
    full = state.objective(theta[:6].reshape(3, 2), theta[6:])
    assert np.abs(step - np.concatenate([full[3].ravel(), full[4]])).max() > 1e-6


@pytest.mark.parametrize("penalty_name, value", [
    ("L2", lambda W: np.sum(W ** 2)),
    ("L1", lambda W: np.sum(np.abs(W))),
    ("Elastic net", lambda W: np.sum(0.7 * W ** 2 + np.abs(W))),
    ("None", lambda W: 0.0),
])
def test_regularization_loss_follows_the_chosen_penalty_and_lambda(explore, playground, penalty_name, value):
    assert isinstance(playground.reg_slider, widgets.FloatLogSlider)
    playground.penalty_choice.value = penalty_name
    playground.beta_slider.value = 0.7
    playground.reg_slider.value = 0.01
    state = playground.state
    assert close_to(shown(playground.readout.value, "lx-reg-loss"), 0.01 * value(state.W))
    assert all("lx-agree" in cells[2].value for cells in playground.gradient_cells)


def test_randomize_draws_new_weights_and_restarts_the_curve(playground):
    playground.step_button.click()
    before = playground.state.parameters()
    playground.randomize_button.click()
    assert not np.allclose(playground.state.parameters(), before)
    assert playground.curve.get_data()[0].size == 0
    assert shown(playground.readout.value, "lx-iteration") == 0


def test_edited_points_replace_the_data(explore, playground):
    playground.points_text.value = "0, 1, 0\n-1, -1, 1\n1, -1, 2\n0.5 0.5 0"
    playground.points_button.click()
    state = playground.state
    np.testing.assert_array_equal(state.y, [0, 1, 2, 0])
    np.testing.assert_allclose(playground.points.get_offsets(), state.X)
    assert len(table_column(playground.table.value, 6)) == 4
    assert playground.batch_slider.max == 4


def test_points_being_typed_survive_a_change_of_another_control(playground):
    playground.points_text.value = "0, 0, 1"
    playground.reg_slider.value = 0.5
    assert playground.points_text.value == "0, 0, 1"
    assert len(playground.state.y) == 9


def test_a_bad_points_line_is_reported_in_the_panel(playground):
    playground.points_text.value = "0, 1, 0\n2, x, 1"
    playground.points_button.click()
    assert "lx-error" in playground.status.value
    assert "line 2" in playground.status.value
    assert len(playground.state.y) == 9


def test_new_random_points_and_clicks_add_data(playground):
    playground.per_class_slider.value = 4
    playground.regenerate_button.click()
    assert len(playground.state.y) == 12
    playground.click_choice.value = "class 2"
    canvas = playground.figure.canvas
    x_pixel, y_pixel = playground.ax_data.transData.transform((0.2, -0.3))
    canvas.callbacks.process("button_press_event", MouseEvent("button_press_event", canvas, x_pixel, y_pixel, 1))
    assert len(playground.state.y) == 13
    assert playground.state.y[-1] == 2
    np.testing.assert_allclose(playground.state.X[-1], [0.2, -0.3], atol=1e-6)


def test_zero_weight_preset_gives_the_lectures_sanity_values(explore, playground):
    playground.preset.value = "Zero weights (loss = C - 1 or log C)"
    assert close_to(shown(playground.readout.value, "lx-data-loss"), 2.0)
    playground.loss_choice.value = "Softmax"
    assert close_to(shown(playground.readout.value, "lx-data-loss"), math.log(3))


def test_every_preset_applies_without_error(explore, playground):
    for name in explore.plane.PRESETS:
        playground.preset.value = name
        playground.step_button.click()
        assert playground.status.value == "", name
        assert shown(playground.readout.value, "lx-iteration") == 1


def test_controls_redraw_the_same_figure_in_place(explore, playground):
    figures = plt.get_fignums()
    artists = (playground.regions, playground.curve, *playground.zero_lines)
    assert playground.figure.canvas in playground.widget.children
    assert isinstance(playground.figure.canvas, widgets.DOMWidget)
    playground.reg_slider.value = 1.0
    playground.step_button.click()
    playground.randomize_button.click()
    assert plt.get_fignums() == figures
    assert (playground.regions, playground.curve, *playground.zero_lines) == artists
    assert all(artist.figure is playground.figure for artist in artists)


def rendered(canvas):
    return np.asarray(canvas.buffer_rgba()).copy()


def start_view(canvas):
    """What the browser sends ipympl's canvas when it starts showing it, followed by its first draw request."""
    canvas._handle_message(canvas, {"type": "initialized"}, [])
    canvas._handle_message(canvas, {"type": "draw"}, [])


def test_nothing_is_drawn_before_the_browser_shows_the_figure(explore, playground):
    """ipympl stores a figure drawn before its view starts as an image the view cannot load (ipympl#472)."""
    canvas = playground.figure.canvas
    sent = []
    canvas.draw_idle = lambda: sent.append("draw")
    playground.reg_slider.value = 1.0
    playground.step_button.click()
    assert sent == [] and canvas._data_url is None
    assert not playground.figure.stale
    start_view(canvas)
    assert canvas._data_url is None  # the view has started: images go to it, not into the widget state
    playground.randomize_button.click()  # restarts the loss curve, whose axes shrink: a full redraw
    assert sent == ["draw"]


@pytest.mark.parametrize("panel_name, change", [
    ("Playground", lambda panel, i: setattr(panel.parameter_boxes[0], "value", 2.5 + i)),
    ("Playground", lambda panel, i: panel.step_button.click()),
    ("StepSizeLab", lambda panel, i: setattr(panel.rate_slider, "value", (0.11, 0.01)[i])),
    ("MomentumLab", lambda panel, i: setattr(panel.momentum_slider, "value", (0.8, 0.3)[i])),
    ("BatchSizeLab", lambda panel, i: setattr(panel.batch_slider, "value", (1, 64)[i])),
])
def test_a_blitted_update_shows_the_same_picture_as_a_full_redraw(explore, panel_name, change):
    panel = getattr(explore, panel_name)()
    canvas = panel.figure.canvas
    start_view(canvas)
    change(panel, 0)
    if panel.updater.background is None:
        canvas.draw()  # the first change moved an axis: the browser answers draw_idle with a full draw
    before = rendered(canvas)
    change(panel, 1)
    assert panel.updater.background is not None, "the change should have been blitted, not fully redrawn"
    blitted = rendered(canvas)
    canvas.draw()
    full = rendered(canvas)
    assert np.any(blitted != before)
    # Anti-aliased edges where a blitted artist meets the background may differ by a shade.
    differing = np.abs(blitted.astype(int) - full.astype(int)).max(axis=-1) > 8
    assert differing.mean() < 1e-3


@pytest.mark.parametrize("panel_name", ["Playground", "LandscapeExplorer", "StepSizeLab", "MomentumLab",
                                        "BatchSizeLab", "ScoresComparison"])
def test_a_drawn_figure_is_not_left_stale(explore, panel_name):
    """In a kernel, pyplot redraws every stale figure after each widget message: a figure left stale
    by its own draw would be redrawn forever."""
    panel = getattr(explore, panel_name)()
    start_view(panel.figure.canvas)
    assert not panel.figure.stale
    for axes in panel.figure.axes:
        assert not axes.stale


def test_sliders_report_only_on_release(explore, playground):
    sliders = [w for w in vars(playground).values()
               if isinstance(w, (widgets.FloatSlider, widgets.FloatLogSlider,
                                 widgets.IntSlider))]
    assert len(sliders) >= 8
    assert all(not s.continuous_update for s in sliders)


def test_given_losses_still_show_while_the_penalty_is_a_stub(explore, monkeypatch, lc):
    def stub(W):
        raise NotImplementedError("l2_penalty in linear_classifier/regularization.py is not implemented yet")

    monkeypatch.setattr(lc.regularization, "l2_penalty", stub)
    panel = explore.Playground()
    panel.loss_choice.value = "One-vs-all SVM"
    state = panel.state
    expected = definition_losses("One-vs-all SVM", state.X @ state.W.T + state.b, state.y).mean()
    assert close_to(shown(panel.readout.value, "lx-data-loss"), expected)
    assert shown(panel.readout.value, "lx-total-loss") is None
    panel.step_button.click()
    assert shown(panel.readout.value, "lx-iteration") == 0
    assert "Implement regularization.l2_penalty in linear_classifier/regularization.py" in panel.status.value
    assert "an update of W and b" in panel.status.value
    assert "lx-error" not in panel.status.value


def test_missing_numeric_gradient_stub_is_named_and_the_rest_still_shows(explore, monkeypatch, lc):
    def stub(f, x, h=1e-5):
        raise NotImplementedError("eval_numerical_gradient in linear_classifier/gradients.py is not implemented yet")

    monkeypatch.setattr(lc.gradients, "eval_numerical_gradient", stub)
    panel = explore.Playground()
    assert "Implement gradients.eval_numerical_gradient in linear_classifier/gradients.py" in panel.status.value
    assert panel.gradient_cells[0][1].value == "—"
    assert shown(panel.readout.value, "lx-total-loss") is not None


PANELS = ["Playground", "LandscapeExplorer", "StepSizeLab", "MomentumLab", "BatchSizeLab", "ScoresComparison"]
#: The student functions each panel needs, and which of them a panel cannot do without.
CALLED = {"losses": ["svm_loss_vectorized", "softmax_loss_vectorized"], "optim": ["sgd", "sgd_momentum"]}


def raise_index_error(*args, **kwargs):
    raise IndexError("index 3 is out of bounds for axis 1 with size 3")


@pytest.mark.parametrize("panel_name", PANELS)
def test_every_panel_builds_when_the_students_code_raises_and_shows_the_error(explore, lc, monkeypatch, panel_name):
    for module, names in CALLED.items():
        for name in names:
            monkeypatch.setattr(getattr(lc, module), name, raise_index_error)
    panel = getattr(explore, panel_name)()
    assert isinstance(panel.widget, widgets.VBox) and panel.figure.canvas in _descendants(panel.widget)
    assert "lx-error" in panel.status.value
    assert "IndexError: index 3 is out of bounds for axis 1 with size 3" in panel.status.value
    assert "lx-stub" not in panel.status.value


def _descendants(widget):
    children = list(getattr(widget, "children", ()))
    return children + [grandchild for child in children for grandchild in _descendants(child)]


@pytest.mark.parametrize("panel_name, shown_class", [("ScoresComparison", "lx-softmax-0"),
                                                     ("LandscapeExplorer", "lx-softmax-centre")])
def test_a_failing_svm_loss_leaves_the_softmax_half_of_a_panel_working(
        explore, lc, monkeypatch, landscape_state, panel_name, shown_class):
    monkeypatch.setattr(lc.losses, "svm_loss_vectorized", raise_index_error)
    if panel_name == "LandscapeExplorer":
        panel = explore.LandscapeExplorer(landscape_state)
    else:
        panel = explore.ScoresComparison()
    assert shown(panel.readout.value, shown_class) is not None
    assert "while calling losses.svm_loss_vectorized" in panel.status.value
    assert "softmax" not in panel.status.value.lower()


def test_a_student_module_saved_since_it_was_loaded_is_reloaded_at_the_next_control_change(explore, lc, monkeypatch):
    panel = explore.ScoresComparison()
    monkeypatch.setattr(lc.losses, "svm_loss_vectorized", raise_index_error)
    panel.score_boxes[0][1].value = 1.0
    assert "IndexError" in panel.status.value
    # The file now looks newer than the module in memory, as after the student saved an edit.
    monkeypatch.setitem(explore.student._loaded_mtimes, "losses", 0)
    panel.score_boxes[0][1].value = 2.0
    assert panel.status.value == ""
    assert lc.losses.svm_loss_vectorized is not raise_index_error
    assert close_to(shown(panel.readout.value, "lx-svm-0"), svm_of(np.array([10.0, 2.0, 3.0])), digits=4)


def test_a_busy_sign_shows_while_the_browser_redraws_a_figure(explore):
    panel = explore.StepSizeLab()
    canvas = panel.figure.canvas
    start_view(canvas)
    panel.steps_slider.value = 120  # the x axis grows: the whole figure must be redrawn by the browser
    assert "drawing" in panel.busy.value and "lx-busy" in panel.widget._dom_classes
    canvas._handle_message(canvas, {"type": "draw"}, [])
    assert panel.busy.value == "" and "lx-busy" not in panel.widget._dom_classes
    panel.rate_slider.value = 0.05  # only the path moves: blitted at once, nothing to wait for
    assert panel.busy.value == ""


@pytest.mark.parametrize("panel_name", PANELS)
def test_a_saved_notebook_keeps_a_note_in_place_of_the_panel(explore, panel_name):
    panel = getattr(explore, panel_name)()
    bundle = panel._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert panel.title in bundle["text/plain"] and "run this cell again" in bundle["text/plain"]


# ------------------------------------------------------------------------------------------------
# Loss landscape
# ------------------------------------------------------------------------------------------------

@pytest.fixture
def landscape_state(explore, digits):
    state = explore.LandscapeState(data=digits)
    state.resolution = 11  # a coarser grid than the panel's default keeps the tests quick
    return state


@pytest.fixture
def landscape(explore, landscape_state):
    return explore.LandscapeExplorer(landscape_state)


def test_landscape_slices_are_centred_on_the_trained_weights(explore, landscape, digits, lc):
    state = landscape.state
    X, y = digits["X_dev"], digits["y_dev"]
    centre = state.path[-1]
    expected = {"SVM": lc.losses.svm_loss_vectorized(centre, X, y, state.reg)[0],
                "Softmax": lc.losses.softmax_loss_vectorized(centre, X, y, state.reg)[0]}
    assert close_to(shown(landscape.readout.value, "lx-svm-centre"), expected["SVM"])
    assert close_to(shown(landscape.readout.value, "lx-softmax-centre"), expected["Softmax"])
    _, d1, d2 = state.plane()
    for name, function in [("SVM", lc.losses.svm_loss_vectorized),
                           ("Softmax", lc.losses.softmax_loss_vectorized)]:
        alphas, values = landscape.lines[name].get_data()
        middle = len(alphas) // 2
        assert alphas[middle] == 0.0
        assert math.isclose(values[middle], expected[name], rel_tol=1e-12)
        assert math.isclose(values[-1], function(centre + alphas[-1] * d1, X, y, state.reg)[0], rel_tol=1e-12)
        surface = np.asarray(landscape.images[name].get_array())
        k = surface.shape[0] // 2
        assert math.isclose(surface[k, k], expected[name], rel_tol=1e-12)
        span = state.span
        assert math.isclose(surface[0, -1], function(centre + span * d1 - span * d2, X, y, state.reg)[0],
                            rel_tol=1e-12)


@pytest.mark.parametrize("directions", ["random", "path PCA"])
def test_directions_are_normalised_per_class(landscape, directions):
    landscape.direction_choice.value = directions
    centre, d1, d2 = landscape.state.plane()
    for direction in (d1, d2):
        np.testing.assert_allclose(np.linalg.norm(direction, axis=0), np.linalg.norm(centre, axis=0), rtol=1e-12)


def test_landscape_path_is_the_momentum_path_drawn_in_the_plane(explore, landscape, digits, lc):
    landscape.steps_slider.value = 20
    state = landscape.state
    X, y = digits["X_dev"], digits["y_dev"]
    W = 0.001 * np.random.default_rng(state.seed).standard_normal((65, 10))
    velocity = np.zeros_like(W)
    expected = [W]
    for _ in range(20):
        _, dW = lc.losses.softmax_loss_vectorized(W, X, y, state.reg)
        velocity = state.momentum * velocity - state.learning_rate * dW
        W = W + velocity
        expected.append(W)
    np.testing.assert_allclose(state.path, np.array(expected), rtol=1e-10, atol=1e-14)
    centre, d1, d2 = state.plane()
    xs, ys = landscape.paths["SVM"].get_data()
    for t in (0, 10, 20):
        a, b = xs[t], ys[t]
        residual = state.path[t] - centre - a * d1 - b * d2
        # The drawn point is the closest point of the plane: the residual is orthogonal to both directions.
        assert abs(np.sum(residual * d1)) < 1e-8 * np.sum(d1 * d1)
        assert abs(np.sum(residual * d2)) < 1e-8 * np.sum(d2 * d2)
    assert (xs[-1], ys[-1]) == pytest.approx((0.0, 0.0), abs=1e-9)
    assert landscape.result["coverage"] > 0.9


def test_one_example_hinge_slice_is_piecewise_linear_and_softmax_smooth(landscape):
    landscape.subset_choice.value = "one example"
    landscape.reg_slider.value = 1e-5
    landscape.direction_choice.value = "random"
    curvature = {}
    for name in ("SVM", "Softmax"):
        alphas, values = landscape.lines[name].get_data()
        second = np.diff(values, 2) / (alphas[1] - alphas[0]) ** 2
        curvature[name] = second
    # Reg adds a curvature of 2 * reg * |d|^2; anything above that is a kink.
    flat = np.abs(curvature["SVM"]) < 1e-2
    assert flat.mean() > 0.9 and not flat.all()
    assert np.all(curvature["Softmax"] > 0)


# ------------------------------------------------------------------------------------------------
# Step size, momentum and batch size
# ------------------------------------------------------------------------------------------------

def lecture_gd(start, lr, steps):
    x, y = start
    path = [(x, y)]
    for _ in range(steps):
        r1, r2 = x + 2 * y - 7, 2 * x + y - 5
        x, y = x - lr * (2 * r1 + 4 * r2), y - lr * (4 * r1 + 2 * r2)
        path.append((x, y))
    return np.array(path)


@pytest.mark.parametrize("rate, verdict", [("0.01", "falls short"), ("0.10", "converges"),
                                           ("0.11", "oscillates"), ("0.12", "diverges")])
def test_lecture_learning_rates_fall_short_converge_oscillate_and_diverge(explore, rate, verdict):
    lab = explore.StepSizeLab()
    lab.rate_buttons.value = rate
    assert lab.rate_slider.value == float(rate)
    assert shown_text(lab.readout.value, "lx-verdict") == verdict
    expected = lecture_gd(explore.step_size.LECTURE_START, float(rate), 50)
    np.testing.assert_allclose(np.column_stack(lab.path_line.get_data()), expected, rtol=1e-10)
    values = lab.value_line.get_data()[1]
    np.testing.assert_allclose(values, [(x + 2 * y - 7) ** 2 + (2 * x + y - 5) ** 2 for x, y in expected], rtol=1e-9)


@pytest.mark.parametrize("rate, verdict", [(0.105, "converges"), (0.115, "diverges")])
def test_the_stability_limit_is_two_over_the_largest_curvature(explore, rate, verdict):
    # f's Hessian is [[10, 8], [8, 10]]: curvatures 2 and 18, stable for lr < 2 / 18.
    np.testing.assert_allclose(explore.step_size.lecture_curvatures(), [2.0, 18.0])
    lab = explore.StepSizeLab()
    lab.steps_slider.value = 200
    lab.rate_slider.value = rate
    assert shown_text(lab.readout.value, "lx-verdict") == verdict


def heavy_ball_converges(step, beta, iterations=2000):
    previous, current = 1.0, 1.0
    for _ in range(iterations):
        previous, current = current, current + beta * (current - previous) - step * current
    return abs(current) < 1e-3


@pytest.mark.parametrize("step, beta", [(0.5, 0.0), (1.9, 0.0), (2.1, 0.0), (2.9, 0.5), (3.1, 0.5),
                                        (3.7, 0.9), (3.9, 0.9), (0.05, 0.95)])
def test_momentum_converges_exactly_when_lr_times_curvature_is_below_2_plus_2_beta(explore, step, beta):
    lab = explore.MomentumLab()
    lab.steps_slider.value = 200
    lab.momentum_slider.value = beta
    lab.curvature_slider.value = 10.0
    lab.rate_slider.value = step / 10.0
    assert lab.rate_slider.value * lab.curvature_slider.value == pytest.approx(step)
    holds = 0 < step < 2 + 2 * beta
    assert holds == heavy_ball_converges(step, beta)
    assert shown_text(lab.readout.value, "lx-condition-1") == ("yes" if holds else "no")
    assert shown_text(lab.readout.value, "lx-simulated-1") == ("converges" if holds else "diverges")


def test_momentum_lab_path_is_the_heavy_ball_recurrence(explore):
    lab = explore.MomentumLab()
    state = lab.state
    alpha, beta, lam = state.learning_rate, state.momentum, state.curvatures
    point, velocity = state.start.copy(), np.zeros(2)
    expected = [point]
    for _ in range(state.steps):
        velocity = beta * velocity - alpha * lam * point
        point = point + velocity
        expected.append(point)
    np.testing.assert_allclose(np.column_stack(lab.path_line.get_data()), expected, rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(lab.markers.get_data()[0], alpha * lam)


def test_smaller_batches_give_noisier_gradients(explore):
    lab = explore.BatchSizeLab()
    noise = {}
    for size in (1, 4, 16, 256):
        lab.batch_slider.value = size
        noise[size] = shown(lab.readout.value, "lx-noise")
    assert noise[1] > noise[4] > noise[16] > 1e3 * noise[256]
    assert noise[256] < 1e-9  # the full batch is the full gradient, up to round-off
    # Without replacement the noise falls like sqrt((N - B) / (B (N - 1))).
    assert noise[1] / noise[16] == pytest.approx(math.sqrt(16 * 255 / 240), rel=0.15)


def test_full_batch_path_is_plain_gradient_descent(explore):
    lab = explore.BatchSizeLab()
    state = lab.state
    w = state.start.copy()
    expected = [w]
    for _ in range(state.steps):
        w = w - state.learning_rate * 2 * state.X.T @ (state.X @ w - state.t) / len(state.t)
        expected.append(w)
    np.testing.assert_allclose(np.column_stack(lab.full_line.get_data()), expected, rtol=1e-10)


def test_resampling_draws_new_minibatches(explore):
    lab = explore.BatchSizeLab()
    before = np.column_stack(lab.path_line.get_data())
    lab.resample_button.click()
    after = np.column_stack(lab.path_line.get_data())
    assert not np.allclose(after, before)
    np.testing.assert_allclose(after, lab.state.run())


# ------------------------------------------------------------------------------------------------
# SVM vs softmax
# ------------------------------------------------------------------------------------------------

def softmax_of(scores):
    top = max(scores)
    return top - scores[0] + math.log(sum(math.exp(s - top) for s in scores))


def svm_of(scores):
    return sum(max(0.0, s - scores[0] + 1) for s in scores[1:])


def test_lecture_scores_have_zero_svm_loss_but_softmax_loss(explore, lc):
    panel = explore.ScoresComparison()
    for i, scores in enumerate(explore.scores.LECTURE_SCORES):
        assert shown(panel.readout.value, f"lx-svm-{i}") == 0.0
        assert close_to(shown(panel.readout.value, f"lx-softmax-{i}"), softmax_of(scores), digits=4)
        reference = lc.losses.softmax_loss_vectorized(np.eye(3), scores[None], np.array([0]), 0.0)[0]
        assert math.isclose(panel.losses["Softmax"][i], reference, rel_tol=1e-12)
    heights = [bar.get_height() for bar in panel.bars["Softmax"]]
    np.testing.assert_allclose(heights, [softmax_of(s) for s in explore.scores.LECTURE_SCORES], rtol=1e-12)


@pytest.mark.parametrize("example, klass, value, changed", [
    (1, 1, 8.0, {"softmax"}),          # [10, 8, 9]: margins still met, only softmax moves
    (0, 1, 9.5, {"svm", "softmax"}),   # [10, 9.5, 3]: margin violated by 0.5
    (2, 2, -200.0, set()),             # [10, -100, -200]: both already ~0
])
def test_editing_a_score_marks_which_loss_changed(explore, example, klass, value, changed):
    panel = explore.ScoresComparison()
    panel.score_boxes[example][klass].value = value
    scores = explore.scores.LECTURE_SCORES[example].copy()
    scores[klass] = value
    readout = panel.readout.value
    assert close_to(shown(readout, f"lx-svm-{example}"), svm_of(scores), digits=4)
    assert close_to(shown(readout, f"lx-softmax-{example}"), softmax_of(scores), digits=4)
    row = re.findall(r"<tr>(.*?)</tr>", readout)[1 + example]
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row)
    marked = {name for name, cell in (("svm", cells[2]), ("softmax", cells[4])) if "changed" in cell}
    assert marked == changed


# ------------------------------------------------------------------------------------------------
# The released module: no solution code, and stubs are named
# ------------------------------------------------------------------------------------------------

def test_the_explorer_holds_no_solution_code():
    package = REFERENCE / PACKAGE
    explorer = sorted((package / "explore").glob("*.py"))
    assert explorer
    secret = set()
    for module in package.rglob("*.py"):
        lines = module.read_text(encoding="utf-8").splitlines()
        for region in solution_regions(lines, module):
            secret.update(line.strip() for line in lines[region.begin + 1:region.end] if len(line.strip()) > 12)
    for module in explorer:
        text = module.read_text(encoding="utf-8")
        assert BEGIN_SOLUTION not in text, module
        assert not secret & {line.strip() for line in text.splitlines()}, module


EXPLORER = "05_loss_explorer.ipynb"
#: The stubs the panels name when nothing is implemented.
STUBS_NAMED = {
    "Playground": ["losses.svm_loss_vectorized"],
    "StepSizeLab": ["optim.sgd"],
    "MomentumLab": ["optim.sgd_momentum"],
    "BatchSizeLab": ["optim.sgd"],
    "ScoresComparison": ["losses.svm_loss_vectorized", "losses.softmax_loss_vectorized"],
    "LandscapeExplorer": ["losses.softmax_loss_vectorized", "losses.svm_loss_vectorized"],
}


@pytest.fixture(scope="module")
def release_copy(tmp_path_factory):
    """The explorer notebook beside the package with every solution region replaced by its stub,
    as ``python -m autograder release`` does."""
    folder = tmp_path_factory.mktemp("release")
    package = folder / PACKAGE
    shutil.copytree(REFERENCE / PACKAGE, package, ignore=shutil.ignore_patterns("__pycache__"))
    for module in package.rglob("*.py"):
        text = module.read_text(encoding="utf-8")
        if BEGIN_SOLUTION in text:
            module.write_text(strip_module(text, module.relative_to(folder).as_posix()), encoding="utf-8")
    shutil.copy(REFERENCE / EXPLORER, folder / EXPLORER)
    return folder


def test_release_explorer_notebook_runs_to_the_end_and_names_the_stubs(release_copy, monkeypatch):
    """With every solution region replaced by its stub, the explorer runs to the end (unlike the graded
    notebooks, it never stops at a stub), and its panels say which functions to implement."""
    monkeypatch.setenv("LOSS_OPTIMIZATION_DATA", str(course.COURSE_ROOT / "data"))
    notebook = nbformat.read(release_copy / EXPLORER, as_version=4)
    NotebookClient(notebook, timeout=120, kernel_name="python3",
                   resources={"metadata": {"path": str(release_copy)}}).execute()
    outputs = [output for cell in notebook.cells if cell.cell_type == "code" for output in cell.outputs]
    assert not [output for output in outputs if output.output_type in ("error", "stream")]
    state = notebook.metadata.widgets["application/vnd.jupyter.widget-state+json"]["state"]
    shown_html = " ".join(str(model["state"].get("value", "")) for model in state.values())
    assert "lx-error" not in shown_html
    for stubs in STUBS_NAMED.values():
        for stub in stubs:
            assert f"Implement {stub} in linear_classifier/{stub.split('.')[0]}.py" in shown_html
