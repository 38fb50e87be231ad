"""Loss landscapes: slices centred on trained weights, per-class directions, the optimizer's path."""

import math

import numpy as np
import pytest

from explore_readouts import close_to, shown


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
