"""The linear classifier playground: readouts, gradient check, updates, data, drawing in place."""

import io
import math
import re

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.backend_bases import MouseEvent
from PIL import Image

from explore_readouts import (
    centered_gradient, close_to, definition_losses, reference_data_loss, rendered, shown, start_view, table_column,
)


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
    np.testing.assert_allclose(shown_analytic, expected, rtol=1e-4, atol=1e-6)
    numeric, analytic = result.numeric, result.gradient
    expected_errors = np.abs(numeric - analytic) / np.maximum(1e-8, np.abs(numeric) + np.abs(analytic))
    for cells, error, difference in zip(playground.gradient_cells, expected_errors, np.abs(numeric - analytic)):
        text = re.sub(r"<[^>]*>|✓|✗", "", cells[2].value).strip()
        if "lx-near-zero" in cells[2].value:  # a derivative of 0: the difference, not a relative error
            assert text.startswith("|Δ|") and float(text[3:]) == pytest.approx(difference, rel=0.1, abs=1e-16)
        else:
            assert float(text) == pytest.approx(error, rel=0.05)
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


@pytest.mark.parametrize("full", [False, True], ids=["a blitted update", "a full redraw"])
def test_every_picture_sent_to_the_browser_is_the_whole_figure(explore, full):
    """A difference to the previous picture, dropped by a browser busy loading the next, would never be sent
    again (old curves and ticks would stay drawn): every picture must be the whole figure."""
    panel = explore.Playground()
    canvas = panel.figure.canvas
    sent = []
    canvas.send_binary = sent.append
    start_view(canvas)
    panel.step_button.click()
    canvas._handle_message(canvas, {"type": "draw"}, [])  # the browser answers the first step's redraw request
    panel.step_button.click()
    if full:
        panel.updater.update(full=True)
        canvas._handle_message(canvas, {"type": "draw"}, [])
    else:
        assert panel.updater.background is not None, "the second step should have been blitted"
    assert len(sent) >= 3 and canvas._image_mode == "full"
    picture = np.asarray(Image.open(io.BytesIO(sent[-1])).convert("RGBA"))
    assert np.array_equal(picture, rendered(canvas))


@pytest.mark.parametrize("numeric, analytic, error, shown, mark", [
    (0.0054171, 0.0054171, 6.1e-10, "6.1e-10", "✓"),
    (1.1102e-11, -5.5511e-17, 0.0022, "|Δ| 1e-11", "✓"),  # a derivative of 0: round-off on both sides
    (0.0054, -0.0054, 1.0, "1", "✗"),
])
def test_a_relative_error_is_never_marked_agreeing_above_what_notebook_02_calls_wrong(
        explore, numeric, analytic, error, shown, mark):
    cell = explore.student.agreement_html(numeric, analytic, error)
    text = re.sub(r"<[^>]*>", "", cell)
    assert text == f"{shown} {mark}"
