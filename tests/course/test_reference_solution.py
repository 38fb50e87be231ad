"""The reference solution reproduces the lecture's worked examples and honours the student API contract."""

import math
import re

import numpy as np
import pytest

# The lecture's three training examples (cat, car, frog images): rows are examples, columns the
# classes cat, car, frog, so scores[i, j] is the score of class j for image i.
LECTURE_SCORES = np.array([[3.2, 5.1, -1.7], [1.3, 4.9, 2.0], [2.2, 2.5, -3.1]])
LECTURE_LABELS = np.array([0, 1, 2])
SVM_LOSSES = (2.9, 0.0, 12.9)
LOSS_FUNCTIONS = ["svm_loss_naive", "svm_loss_vectorized", "softmax_loss_naive", "softmax_loss_vectorized"]


def scores_as_problem(scores):
    """W and X whose product X @ W is ``scores``: X is the identity, W the scores themselves."""
    scores = np.asarray(scores, dtype=float)
    return scores.copy(), np.eye(scores.shape[0])


def random_problem(rng, num_examples, dim, num_classes, scale=1.0):
    W = scale * rng.standard_normal((dim, num_classes))
    X = rng.standard_normal((num_examples, dim))
    y = rng.integers(num_classes, size=num_examples)
    return W, X, y


@pytest.mark.parametrize("name", ["svm_loss_naive", "svm_loss_vectorized"])
def test_svm_loss_reproduces_the_cat_car_frog_example(reference, name):
    W, X = scores_as_problem(LECTURE_SCORES)
    per_example = [getattr(reference.losses, name)(W, X[i:i + 1], LECTURE_LABELS[i:i + 1], 0.0)[0] for i in range(3)]
    np.testing.assert_allclose(per_example, SVM_LOSSES, atol=1e-9)
    loss, _ = getattr(reference.losses, name)(W, X, LECTURE_LABELS, 0.0)
    assert round(loss, 2) == 5.27


@pytest.mark.parametrize("name", ["svm_loss_naive", "svm_loss_vectorized"])
def test_svm_loss_reproduces_the_hinge_example_of_695_45(reference, name):
    # Class order: cat (the correct class, scoring -96.8), dog 437.9, ship 61.95.
    W, X = scores_as_problem([[-96.8, 437.9, 61.95]])
    loss, _ = getattr(reference.losses, name)(W, X, np.array([0]), 0.0)
    assert loss == pytest.approx(695.45, abs=1e-9)


@pytest.mark.parametrize("name", ["softmax_loss_naive", "softmax_loss_vectorized"])
def test_softmax_loss_of_the_cat_image_is_2_04(reference, name):
    W, X = scores_as_problem(LECTURE_SCORES[:1])
    loss, _ = getattr(reference.losses, name)(W, X, np.array([0]), 0.0)
    probabilities = np.exp(LECTURE_SCORES[0]) / np.exp(LECTURE_SCORES[0]).sum()
    np.testing.assert_allclose(np.round(probabilities, 2), [0.13, 0.87, 0.00])
    assert round(loss, 2) == 2.04


@pytest.mark.parametrize("name", ["softmax_loss_naive", "softmax_loss_vectorized"])
def test_softmax_loss_stays_finite_for_the_lectures_huge_scores(reference, name):
    W, X = scores_as_problem([[123.0, 456.0, 789.0]])
    with np.errstate(all="raise"):
        loss, dW = getattr(reference.losses, name)(W, X, np.array([0]), 0.0)
    assert loss == pytest.approx(789.0 - 123.0)
    assert np.all(np.isfinite(dW))


@pytest.mark.parametrize("name", ["softmax_loss_naive", "softmax_loss_vectorized"])
def test_softmax_loss_stays_finite_when_the_correct_probability_underflows(reference, name):
    W, X = scores_as_problem([[0.0, 1000.0, -5.0]])
    loss, dW = getattr(reference.losses, name)(W, X, np.array([0]), 0.0)
    assert loss == pytest.approx(1000.0)
    assert np.all(np.isfinite(dW))


def test_svm_and_softmax_disagree_on_which_scores_need_work(reference):
    # The lecture's comparison: with the correct class first, the SVM is already satisfied by
    # all three score vectors, while softmax still wants the correct class further ahead.
    svm, softmax = [], []
    for scores in ([10.0, -2.0, 3.0], [10.0, 9.0, 9.0], [10.0, -100.0, -100.0]):
        W, X = scores_as_problem([scores])
        svm.append(reference.losses.svm_loss_vectorized(W, X, np.array([0]), 0.0)[0])
        softmax.append(reference.losses.softmax_loss_vectorized(W, X, np.array([0]), 0.0)[0])
    assert svm == [0.0, 0.0, 0.0]
    assert softmax[1] > softmax[0] > softmax[2] >= 0.0
    assert softmax[2] < 1e-40  # exp(-110) is below float64's resolution next to 1


@pytest.mark.parametrize("num_examples, dim, num_classes", [(1, 1, 2), (1, 5, 3), (7, 4, 2), (50, 65, 10), (20, 300, 13)])
@pytest.mark.parametrize("kind", ["svm", "softmax"])
def test_naive_and_vectorized_losses_agree_for_every_shape(reference, kind, num_examples, dim, num_classes):
    rng = np.random.default_rng(num_examples * 100 + dim + num_classes)
    W, X, y = random_problem(rng, num_examples, dim, num_classes)
    naive = getattr(reference.losses, f"{kind}_loss_naive")(W, X, y, 0.3)
    vectorized = getattr(reference.losses, f"{kind}_loss_vectorized")(W, X, y, 0.3)
    assert naive[0] == pytest.approx(vectorized[0], rel=1e-12)
    np.testing.assert_allclose(naive[1], vectorized[1], rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", LOSS_FUNCTIONS)
@pytest.mark.parametrize("reg", [0.0, 0.1, 50.0])
def test_loss_gradients_match_centered_differences(reference, name, reg):
    rng = np.random.default_rng(7)
    W, X, y = random_problem(rng, 9, 6, 4)
    loss_function = getattr(reference.losses, name)
    _, dW = loss_function(W, X, y, reg)
    numeric = reference.gradients.eval_numerical_gradient(lambda w: loss_function(w, X, y, reg)[0], W.copy())
    assert reference.gradients.rel_error(dW, numeric) < 1e-7


@pytest.mark.parametrize("name", LOSS_FUNCTIONS)
def test_loss_functions_leave_their_inputs_untouched(reference, name):
    rng = np.random.default_rng(3)
    W, X, y = random_problem(rng, 5, 4, 3, scale=100.0)
    copies = (W.copy(), X.copy(), y.copy())
    getattr(reference.losses, name)(W, X, y, 0.5)
    for original, copy in zip((W, X, y), copies):
        np.testing.assert_array_equal(original, copy)


@pytest.mark.parametrize("dtype", [np.int64, np.float32])
@pytest.mark.parametrize("name", LOSS_FUNCTIONS)
def test_loss_functions_accept_integer_pixels_and_single_precision_like_float64(reference, name, dtype):
    # Raw images arrive as integers, some pipelines hand over float32: in-place arithmetic and products
    # written into a preallocated float64 dW must take both.
    rng = np.random.default_rng(4)
    W = 1e-2 * rng.standard_normal((6, 3))
    X = rng.integers(0, 256, size=(5, 6))
    y = rng.integers(3, size=5)
    loss_function = getattr(reference.losses, name)
    loss, dW = loss_function(W.astype(dtype) if dtype is np.float32 else W, X.astype(dtype), y, 0.1)
    float_loss, float_dW = loss_function(W, X.astype(float), y, 0.1)
    assert loss == pytest.approx(float_loss, rel=1e-5)
    np.testing.assert_allclose(dW, float_dW, rtol=1e-4)


@pytest.mark.parametrize("name", LOSS_FUNCTIONS)
def test_loss_at_tiny_weights_is_the_lectures_sanity_value(reference, name):
    rng = np.random.default_rng(0)
    W, X, y = random_problem(rng, 200, 30, 10, scale=1e-6)
    loss, _ = getattr(reference.losses, name)(W, X, y, 0.0)
    expected = 9.0 if name.startswith("svm") else math.log(10)
    assert loss == pytest.approx(expected, abs=1e-3)


@pytest.mark.parametrize(
    "W_shape, X_shape, labels, message",
    [
        ((3, 4), (5, 4), [0, 1, 2, 0, 1], "W looks transposed"),
        ((4, 3), (5, 4), [0, 1, 2, 3, 1], "labels must be in [0, 3)"),
        ((4, 3), (5, 4), [0, 1, 2], "same length"),
        ((4, 3), (5, 4), [0, -1, 2, 0, 1], "negative label"),
        ((4,), (5, 4), [0, 1, 2, 0, 1], "W must be a 2-D array"),
    ],
)
@pytest.mark.parametrize("name", LOSS_FUNCTIONS)
def test_loss_functions_reject_bad_input_with_a_clear_message(reference, name, W_shape, X_shape, labels, message):
    with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("(", r"\(").replace(")", r"\)")):
        getattr(reference.losses, name)(np.zeros(W_shape), np.ones(X_shape), np.array(labels), 0.0)


def test_numerical_gradient_restores_x_and_handles_any_shape(reference):
    x = np.random.default_rng(1).standard_normal((2, 3, 4))
    before = x.copy()
    grad = reference.gradients.eval_numerical_gradient(lambda v: float(np.sum(v ** 3)), x)
    np.testing.assert_array_equal(x, before)
    np.testing.assert_allclose(grad, 3 * before ** 2, rtol=1e-7, atol=1e-8)


def test_grad_check_sparse_reports_small_errors_for_a_right_gradient_and_large_for_a_wrong_one(reference):
    x = np.random.default_rng(2).standard_normal((5, 4))
    f = lambda v: float(np.sum(np.sin(v)))  # noqa: E731
    good = reference.gradients.grad_check_sparse(f, x, np.cos(x), num_checks=12, seed=0)
    bad = reference.gradients.grad_check_sparse(f, x, np.cos(x) + 0.5, num_checks=12, seed=0)
    assert good.shape == bad.shape == (12,)
    assert good.max() < 1e-8
    assert bad.min() > 1e-3


@pytest.mark.parametrize("name, value, subgradient_at_zero", [
    ("l2_penalty", 1.0 + 4.0 + 0.25, 0.0),
    ("l1_penalty", 1.0 + 2.0 + 0.5, None),
])
def test_penalties_have_the_lectures_values(reference, name, value, subgradient_at_zero):
    W = np.array([[1.0, -2.0], [0.5, 0.0]])
    penalty, gradient = getattr(reference.regularization, name)(W)
    assert penalty == pytest.approx(value)
    assert gradient.shape == W.shape
    assert -1.0 <= gradient[1, 1] <= 1.0


def test_l2_prefers_spread_out_weights_as_in_the_lecture(reference):
    x = np.ones(4)
    w1, w2 = np.array([1.0, 0, 0, 0]), np.full(4, 0.25)
    assert w1 @ x == w2 @ x == 1.0
    assert reference.regularization.l2_penalty(w1)[0] == 1.0
    assert reference.regularization.l2_penalty(w2)[0] == 0.25


def test_elastic_net_combines_both_penalties(reference):
    W = np.array([[1.0, -2.0], [0.5, 3.0]])
    value, gradient = reference.regularization.elastic_net_penalty(W, beta=0.3)
    assert value == pytest.approx(0.3 * np.sum(W ** 2) + np.sum(np.abs(W)))
    np.testing.assert_allclose(gradient, 0.6 * W + np.sign(W))


def test_momentum_follows_the_velocity_recursion(reference):
    w = np.array([1.0, -1.0])
    config = {"learning_rate": 0.1, "momentum": 0.5}
    w1, config = reference.optim.sgd_momentum(w.copy(), np.array([1.0, 2.0]), config)
    w2, config = reference.optim.sgd_momentum(w1.copy(), np.array([1.0, 2.0]), config)
    np.testing.assert_allclose(w1, [0.9, -1.2])
    np.testing.assert_allclose(w2, [0.9 - 0.15, -1.2 - 0.3])


def test_learning_rate_schedules_match_their_formulas(reference):
    assert reference.optim.step_decay(1.0, 250, decay_rate=0.5, decay_every=100) == 0.25
    assert reference.optim.cosine_decay(2.0, 0, 10) == pytest.approx(2.0)
    assert reference.optim.cosine_decay(2.0, 5, 10) == pytest.approx(1.0)
    assert reference.optim.cosine_decay(2.0, 10, 10) == pytest.approx(0.0)


def test_a_classifier_refuses_to_predict_before_training(reference):
    with pytest.raises(RuntimeError, match="call train"):
        reference.models.LinearSVM().predict(np.ones((2, 3)))


@pytest.mark.parametrize("X, y, message", [
    (np.array([[1.0, np.nan], [0.0, 1.0]]), np.array([0, 1]), "NaN"),
    (np.ones((3, 2)), np.array([0, 1]), "same length"),
    (np.ones(3), np.array([0, 1, 1]), "2-D array"),
    (np.ones((2, 2)), np.array([0.5, 1.0]), "integer class labels"),
])
def test_training_rejects_bad_data_with_a_clear_message(reference, X, y, message):
    with pytest.raises(ValueError, match=message):
        reference.models.Softmax().train(X, y, num_iters=1)


def test_a_loss_given_none_by_code_of_the_package_names_that_call(reference):
    model = reference.models.LinearSVM()
    model.W = np.zeros((3, 2))
    with pytest.raises(ValueError) as error:
        model.loss(None, np.array([0, 1]), 0.1)
    message = str(error.value)
    assert message.startswith("X must be a 2-D array of shape (N, D); got None")
    assert re.search(r"svm_loss_vectorized was called by LinearSVM\.loss in models\.py line \d+", message), message


def test_a_loss_called_directly_from_outside_the_package_names_no_call(reference):
    with pytest.raises(ValueError) as error:
        reference.losses.softmax_loss_naive(np.zeros((3, 2)), [[1.0, 2.0, 3.0]] * 2, np.array([0, 3]), 0.1)
    assert "called by" not in str(error.value) and "labels must be in [0, 2)" in str(error.value)


# --- CS231n's call forms --------------------------------------------------------------------------------------------

def test_eval_numerical_gradient_takes_cs231ns_verbose_argument_and_prints_each_index_only_when_asked(reference,
                                                                                                      capsys):
    x = np.array([[0.5, -1.0], [2.0, 0.25]])
    f = lambda v: float(np.sum(v ** 2))  # noqa: E731
    quiet = reference.gradients.eval_numerical_gradient(f, x.copy())
    assert capsys.readouterr().out == ""
    loud = reference.gradients.eval_numerical_gradient(f, x.copy(), True, 1e-5)
    lines = capsys.readouterr().out.splitlines()
    np.testing.assert_array_equal(quiet, loud)
    assert lines == [f"{ix} {loud[ix]}" for ix in np.ndindex(x.shape)]
    np.testing.assert_allclose(reference.gradients.eval_numerical_gradient(f, x.copy(), verbose=False, h=1e-3),
                               2 * x, rtol=1e-9)


def test_grad_check_sparse_takes_cs231ns_positional_call_and_prints_its_line_per_check_when_asked(reference, capsys):
    x = np.random.default_rng(3).standard_normal((4, 3))
    f = lambda v: float(np.sum(np.sin(v)))  # noqa: E731
    errors = reference.gradients.grad_check_sparse(f, x, np.cos(x), 5, 1e-5)
    assert errors.shape == (5,) and capsys.readouterr().out == ""
    errors = reference.gradients.grad_check_sparse(f, x, 2 * np.cos(x), 5, 1e-5, seed=4, verbose=True)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 5
    for line, error in zip(lines, errors):
        match = re.fullmatch(r"numerical: (-?\d+\.\d{6}) analytic: (-?\d+\.\d{6}), relative error: (\S+)", line)
        assert match, line
        numerical, analytic = float(match.group(1)), float(match.group(2))
        assert analytic == pytest.approx(2 * numerical, abs=2e-6) and float(match.group(3)) == pytest.approx(error)
