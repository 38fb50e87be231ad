"""The step-size, momentum and batch-size labs, and the SVM-vs-softmax comparison."""

import math
import re

import numpy as np
import pytest

from explore_readouts import close_to, shown, shown_text, softmax_of, svm_of


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
