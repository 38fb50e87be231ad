"""The given plotting helpers draw what they are given and reject malformed input with a clear message."""

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

@pytest.fixture
def plotting(reference_as_notebooks_import_it):
    """The reference ``linear_classifier.plotting``; figures closed afterwards."""
    yield reference_as_notebooks_import_it.plotting
    plt.close("all")


def _digits_weights(num_classes=10, seed=0):
    W = np.random.default_rng(seed).standard_normal((65, num_classes))
    W[-1] = 1000.0  # the bias row: it must not reach the images
    return W


def test_loss_curves_draw_one_line_per_history_at_the_recorded_iterations(plotting):
    ax = plotting.plot_loss_curves({"a": [3.0, 2.0, 1.0], "b": [4.0, 1.0, 0.5]}, every=10)
    assert len(ax.lines) == 2
    assert list(ax.lines[0].get_xdata()) == [0, 10, 20]
    assert [text.get_text() for text in ax.get_legend().get_texts()] == ["a", "b"]


def test_loss_curves_draw_a_moving_average_over_the_raw_curve(plotting):
    ax = plotting.plot_loss_curves(np.arange(10.0), smooth=4)
    raw, smoothed = ax.lines
    assert len(raw.get_xdata()) == 10
    np.testing.assert_allclose(smoothed.get_ydata(), np.arange(1.5, 8.0, 1.0))


def test_loss_curves_keep_a_diverging_run(plotting):
    ax = plotting.plot_loss_curves([1.0, 10.0, np.inf, np.nan])
    assert len(ax.lines[0].get_ydata()) == 4


@pytest.mark.parametrize("histories, kwargs, message", [
    ({}, {}, "histories is empty"),
    ([[1.0, 2.0], [3.0, 4.0]], {}, "1-D sequence"),
    (["a", "b"], {}, "sequence of numbers"),
    ([1.0, 2.0], {"smooth": 0}, "smooth must be a positive integer"),
    ([1.0, 2.0], {"every": 2.5}, "every must be a positive integer"),
], ids=["empty", "2-d", "strings", "smooth", "every"])
def test_loss_curves_reject_malformed_input(plotting, histories, kwargs, message):
    with pytest.raises(ValueError, match=message):
        plotting.plot_loss_curves(histories, **kwargs)


def test_class_templates_show_one_8x8_image_per_class_without_the_bias_row(plotting):
    W = _digits_weights()
    fig = plotting.plot_class_templates(W)
    images = [image for ax in fig.axes for image in ax.get_images()]
    assert len(images) == 10
    assert all(image.get_array().shape == (8, 8) for image in images)
    np.testing.assert_allclose(images[3].get_array(), W[:-1, 3].reshape(8, 8))
    assert [ax.get_title() for ax in fig.axes if ax.get_images()] == [str(d) for d in range(10)]


@pytest.mark.parametrize("limit", [None, 5.0])
def test_class_templates_share_one_colour_scale_when_given_a_limit(plotting, limit):
    W = _digits_weights()
    W[:-1, 0] *= 0.1  # a pale template: on a shared scale it must look pale
    fig = plotting.plot_class_templates(W, limit=limit)
    scales = [image.get_clim() for ax in fig.axes for image in ax.get_images()]
    if limit is None:
        assert scales[0] == pytest.approx((-np.abs(W[:-1, 0]).max(), np.abs(W[:-1, 0]).max()))
    else:
        assert all(scale == (-limit, limit) for scale in scales)


def test_class_templates_draw_cifar_weights_as_colour_images(plotting):
    W = np.random.default_rng(0).standard_normal((3073, 10))
    fig = plotting.plot_class_templates(W)
    images = [image for ax in fig.axes for image in ax.get_images()]
    assert len(images) == 10 and images[0].get_array().shape == (32, 32, 3)
    assert fig.axes[0].get_title() == "plane"


@pytest.mark.parametrize("W, kwargs, message", [
    (_digits_weights().T, {}, "looks transposed"),
    (np.full((65, 10), np.nan), {}, "NaN"),
    (_digits_weights(), {"class_names": ["a", "b"]}, "class_names has 2 names but W has 10"),
    (np.zeros((50, 3)), {}, "pass image_shape"),
    (_digits_weights(), {"image_shape": (4, 4)}, "does not fit W"),
    (np.zeros(65), {}, "2-D array"),
], ids=["transposed", "nan", "names", "unknown-size", "wrong-shape", "1-d"])
def test_class_templates_reject_malformed_weights(plotting, W, kwargs, message):
    with pytest.raises(ValueError, match=message):
        plotting.plot_class_templates(W, **kwargs)


def test_accuracy_plot_places_zero_one_decade_below_the_smallest_value(plotting):
    ax = plotting.plot_accuracy_vs_hyperparameter([0.0, 1e-3, 1e-1], [0.9, 0.8, 0.7], [0.85, 0.8, 0.6], "reg")
    train, val = ax.lines
    np.testing.assert_allclose(train.get_xdata(), [1e-4, 1e-3, 1e-1])
    assert ax.get_xticklabels()[0].get_text() == "0"
    assert ax.get_xlabel() == "reg"


@pytest.mark.parametrize("values, train, val, message", [
    ([1e-3, 1e-2], [0.9], [0.8, 0.7], "train accuracy has 1 entries but values has 2"),
    ([1e-3, 1e-2], [0.9, 0.8], [80.0, 70.0], "fractions in \\[0, 1\\]"),
    ([1e-3, np.nan], [0.9, 0.8], [0.8, 0.7], "NaN"),
    ([-1.0, 1.0], [0.9, 0.8], [0.8, 0.7], "non-negative"),
], ids=["lengths", "percent", "nan", "negative"])
def test_accuracy_plot_rejects_malformed_input(plotting, values, train, val, message):
    with pytest.raises(ValueError, match=message):
        plotting.plot_accuracy_vs_hyperparameter(values, train, val, "reg")


def test_search_results_mark_the_best_pair(plotting):
    results = {(0.1, 1e-3): (0.9, 0.88), (0.5, 1e-4): (0.95, 0.93), (1.0, 1e-2): (0.8, 0.79)}
    ax = plotting.plot_search_results(results, title="grid")
    star = ax.collections[1]
    np.testing.assert_allclose(star.get_offsets(), [[0.5, 1e-4]])
    assert "0.930" in ax.get_title() and ax.get_title().startswith("grid")


@pytest.mark.parametrize("results, message", [
    ({}, "non-empty dict"),
    ({0.1: (0.9, 0.8)}, "pair \\(learning_rate, reg\\)"),
    ({(0.1, 0.0): (0.9, 0.8)}, "must be positive"),
], ids=["empty", "bad-key", "zero-reg"])
def test_search_results_reject_malformed_input(plotting, results, message):
    with pytest.raises(ValueError, match=message):
        plotting.plot_search_results(results)


def _bowl(x, y):
    return (x - 1) ** 2 + 3 * (y - 2) ** 2


def test_contour_path_draws_every_path_and_the_minimum(plotting):
    path = np.array([[-2.0, 0.0], [0.0, 1.0], [1.0, 2.0]])
    ax = plotting.plot_contour_path(_bowl, {"a": path, "b": path[::-1]}, xlim=(-3, 3), ylim=(-1, 4), minimum=(1, 2))
    np.testing.assert_allclose(ax.lines[0].get_xydata(), path)
    assert len(ax.lines) == 3 and ax.get_xlim() == (-3, 3)


@pytest.mark.parametrize("f, paths, xlim, message", [
    (_bowl, {"a": np.zeros((3, 3))}, (-1, 1), "must have shape \\(T, 2\\)"),
    (_bowl, [np.zeros((3, 2))], (-1, 1), "paths must be a dict"),
    (_bowl, {"a": np.zeros((3, 2))}, (1, -1), "xlim must be a pair"),
    (lambda x, y: 1.0, {"a": np.zeros((3, 2))}, (-1, 1), "element-wise"),
], ids=["path-shape", "not-dict", "limits", "scalar-f"])
def test_contour_path_rejects_malformed_input(plotting, f, paths, xlim, message):
    with pytest.raises(ValueError, match=message):
        plotting.plot_contour_path(f, paths, xlim=xlim, ylim=(-1, 1))


def test_weight_histograms_share_bins_and_reject_nan(plotting):
    ax = plotting.plot_weight_histograms({"L1": np.zeros((3, 2)), "L2": np.ones((3, 2))})
    assert len(ax.patches) == 2 and ax.get_yscale() == "log"
    with pytest.raises(ValueError, match="NaN"):
        plotting.plot_weight_histograms({"L1": np.array([1.0, np.nan])})
