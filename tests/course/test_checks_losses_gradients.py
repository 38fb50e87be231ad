"""The notebooks' visible checks of losses and gradients: they pass the reference and diagnose real mistakes.

Each deliberately wrong implementation below is a mistake students make in these
exercises; its check must fail with the hint that names that mistake (by its id in checks/mistakes.py, so
that the sentences can be reworded without touching these tests).
"""

import functools
from types import SimpleNamespace

import numpy as np
import pytest


@pytest.fixture
def package(reference_as_notebooks_import_it):
    """The modules these tests use, from the reference imported as the notebooks import it."""
    lc = reference_as_notebooks_import_it
    return SimpleNamespace(losses=lc.losses, gradients=lc.gradients, report=lc.checks.report,
                           loss_checks=lc.checks.losses, gradient_checks=lc.checks.gradients)


# --- deliberately wrong loss functions ---------------------------------------------------------------

def svm_loss(W, X, y, reg, *, count_correct_class=False, mean=True, reg_in_loss=1.0, reg_in_grad=2.0,
             squared=False, skip_correct_column=False, transposed=False, reuse_W_as_dW=False, reg_strength=True,
             reg_grad_before_mean=False):
    """A vectorized SVM loss; with the default flags it is correct, each flag adds one mistake."""
    rows = np.arange(X.shape[0])
    scores = X @ W
    margins = np.maximum(0.0, scores - scores[rows, y][:, np.newaxis] + 1.0)
    if not count_correct_class:
        margins[rows, y] = 0.0
    active = (margins > 0).astype(float)
    coefficients = active.copy()
    if not skip_correct_column:
        coefficients[rows, y] -= active.sum(axis=1)
    divisor = X.shape[0] if mean else 1
    strength = reg if reg_strength else 1.0
    loss = (margins ** 2 if squared else margins).sum() / divisor + reg_in_loss * strength * np.sum(W * W)
    data_grad = X.T @ coefficients / divisor
    if reg_grad_before_mean:
        return loss, (X.T @ coefficients + reg_in_grad * reg * W) / divisor
    if reuse_W_as_dW:
        dW = W
        dW *= reg_in_grad * reg
        dW += data_grad
    else:
        dW = data_grad + reg_in_grad * reg * W
    return loss, dW.T if transposed else dW


def softmax_loss(W, X, y, reg, *, subtract_max=True, sign=1.0, mean=True, reg_in_grad=2.0):
    """A vectorized softmax loss; with the default flags it is correct, each flag adds one mistake."""
    rows = np.arange(X.shape[0])
    scores = X @ W
    if subtract_max == "global":
        scores = scores - scores.max()
    elif subtract_max:
        scores = scores - scores.max(axis=1, keepdims=True)
    probabilities = np.exp(scores) / np.exp(scores).sum(axis=1, keepdims=True)
    divisor = X.shape[0] if mean else 1
    loss = sign * -np.log(probabilities[rows, y]).sum() / divisor + reg * np.sum(W * W)
    probabilities[rows, y] -= 1.0
    return loss, X.T @ probabilities / divisor + reg_in_grad * reg * W


def svm_loss_2015_layout(W, X, y, reg):
    """CS231n's 2015 svm_loss_naive, written for W of shape (C, D) and X of shape (D, N)."""
    dW = np.zeros(W.shape)
    num_classes, num_train = W.shape[0], X.shape[1]
    loss = 0.0
    for i in range(num_train):
        scores = W.dot(X[:, i])
        for j in range(num_classes):
            margin = scores[j] - scores[y[i]] + 1
            if j != y[i] and margin > 0:
                loss += margin
                dW[j, :] += X[:, i]
                dW[y[i], :] -= X[:, i]
    return loss / num_train + reg * np.sum(W * W), dW / num_train + 2 * reg * W


def loss_only(W, X, y, reg):
    return svm_loss(W, X, y, reg)[0]


def not_implemented(W, X, y, reg):
    raise NotImplementedError("svm_loss_naive in linear_classifier/losses.py is not implemented yet")


WRONG_LOSSES = {
    "correct class counted": ("check_svm_loss_naive", functools.partial(svm_loss, count_correct_class=True),
                              "svm_correct_class_counted"),
    "sum instead of mean": ("check_svm_loss_vectorized", functools.partial(svm_loss, mean=False),
                            "loss_sum_not_mean"),
    "squared hinge": ("check_svm_loss_naive", functools.partial(svm_loss, squared=True), "squared_hinge"),
    "halved regularization": ("check_svm_loss_naive", functools.partial(svm_loss, reg_in_loss=0.5),
                              "reg_halved"),
    "missing 2*reg*W": ("check_svm_loss_naive", functools.partial(svm_loss, reg_in_grad=0.0),
                        "reg_grad_missing"),
    "reg*W instead of 2*reg*W": ("check_svm_loss_vectorized", functools.partial(svm_loss, reg_in_grad=1.0),
                                 "reg_grad_not_doubled"),
    "correct-class column forgotten": ("check_svm_loss_naive",
                                       functools.partial(svm_loss, skip_correct_column=True),
                                       "largest_gradient_difference"),
    "transposed dW": ("check_svm_loss_vectorized", functools.partial(svm_loss, transposed=True), "dW_transposed"),
    "W modified in place": ("check_svm_loss_vectorized", functools.partial(svm_loss, reuse_W_as_dW=True),
                            "input_modified"),
    "loss returned alone": ("check_svm_loss_naive", loss_only, "not_a_pair"),
    "no max subtraction": ("check_softmax_loss_vectorized", functools.partial(softmax_loss, subtract_max=False),
                           "exp_overflow"),
    "sign flipped": ("check_softmax_loss_naive", functools.partial(softmax_loss, sign=-1.0), "softmax_sign_flipped"),
    "softmax sum instead of mean": ("check_softmax_loss_naive", functools.partial(softmax_loss, mean=False),
                                    "loss_sum_not_mean"),
    "softmax missing 2*reg*W": ("check_softmax_loss_vectorized",
                                functools.partial(softmax_loss, reg_in_grad=0.0), "reg_grad_missing"),
    "shift by the batch's maximum": ("check_softmax_loss_vectorized",
                                     functools.partial(softmax_loss, subtract_max="global"),
                                     "global_max_shift"),
    "sum(W**2) without reg": ("check_svm_loss_naive", functools.partial(svm_loss, reg_strength=False),
                              "reg_strength_missing"),
    "reg gradient before dividing by N": ("check_svm_loss_vectorized",
                                          functools.partial(svm_loss, reg_grad_before_mean=True),
                                          "reg_grad_before_mean"),
    "2015 layout": ("check_svm_loss_naive", svm_loss_2015_layout, "cs231n_2015_layout"),
}


def run_loss_check(package, check_name, function):
    """Run a loss check on ``function``; vectorized checks compare with the reference's naive version."""
    check = getattr(package.loss_checks, check_name)
    if check_name.endswith("vectorized"):
        naive_name = check_name.removeprefix("check_").replace("vectorized", "naive")
        return check(function, getattr(package.losses, naive_name))
    return check(function)


# --- deliberately wrong gradient functions -----------------------------------------------------------

def numerical_gradient(f, x, h=1e-5, *, forward=False, restore=True, fixed_step=None, divisor=2.0):
    """eval_numerical_gradient; correct with the default flags, each flag adds one mistake."""
    step = fixed_step if fixed_step is not None else h
    at_x = f(x)
    grad = np.zeros(x.shape)
    for index in np.ndindex(x.shape):
        old_value = x[index]
        x[index] = old_value + step
        plus = f(x)
        if forward:
            grad[index] = (plus - at_x) / step
        else:
            x[index] = old_value - step
            grad[index] = (plus - f(x)) / (divisor * step)
        if restore:
            x[index] = old_value
    return grad


def sparse_check(f, x, analytic_grad, num_checks=10, h=1e-5, seed=None, *, forward=False, denominator="sum",
                 restore=True, seeded=True, guard_zero=True, only_largest=False):
    """grad_check_sparse; correct with the default flags, each flag adds one mistake."""
    rng = np.random.default_rng(seed if seeded else None)
    errors = []
    for _ in range(num_checks):
        index = tuple(int(rng.integers(n)) for n in x.shape)
        old_value = x[index]
        at_x = f(x)
        x[index] = old_value + h
        plus = f(x)
        x[index] = old_value - h
        minus = f(x)
        if restore:
            x[index] = old_value
        numeric = (plus - at_x) / h if forward else (plus - minus) / (2 * h)
        analytic = analytic_grad[index]
        difference = abs(numeric - analytic)
        scale = {"sum": abs(numeric) + abs(analytic), "signed": abs(numeric + analytic), "none": 1.0}[denominator]
        if guard_zero and scale == 0:
            errors.append(0.0)
        else:
            errors.append(difference / scale)
    return max(errors) if only_largest else np.array(errors)


WRONG_GRADIENTS = {
    "forward difference": ("check_eval_numerical_gradient", functools.partial(numerical_gradient, forward=True),
                           "forward_difference"),
    "x not restored": ("check_eval_numerical_gradient", functools.partial(numerical_gradient, restore=False),
                       "x_not_restored"),
    "h ignored": ("check_eval_numerical_gradient", functools.partial(numerical_gradient, fixed_step=1e-5),
                  "h_ignored"),
    "divided by h": ("check_eval_numerical_gradient", functools.partial(numerical_gradient, divisor=1.0),
                     "numerical_gradient_doubled"),
    "sparse forward difference": ("check_grad_check_sparse", functools.partial(sparse_check, forward=True),
                                  "errors_forward_difference"),
    "absolute errors": ("check_grad_check_sparse", functools.partial(sparse_check, denominator="none"),
                        "errors_not_divided"),
    "|num + ana| denominator": ("check_grad_check_sparse", functools.partial(sparse_check, denominator="signed"),
                                "errors_signed_denominator"),
    "sparse x not restored": ("check_grad_check_sparse", functools.partial(sparse_check, restore=False),
                              "x_not_restored"),
    "seed ignored": ("check_grad_check_sparse", functools.partial(sparse_check, seeded=False),
                     "seed_ignored"),
    "0 / 0": ("check_grad_check_sparse", functools.partial(sparse_check, guard_zero=False),
              "errors_nan"),
    "largest error only": ("check_grad_check_sparse", functools.partial(sparse_check, only_largest=True),
                           "errors_not_an_array"),
}

ALL_CHECKS = [("loss_checks", name) for name in ("check_svm_loss_naive", "check_svm_loss_vectorized",
                                                 "check_softmax_loss_naive", "check_softmax_loss_vectorized")]
ALL_CHECKS += [("gradient_checks", name) for name in ("check_eval_numerical_gradient", "check_grad_check_sparse")]


# --- tests ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("module, check_name", ALL_CHECKS)
def test_every_visible_check_passes_the_reference_with_one_tick_per_check_and_nothing_on_stderr(
        package, capsys, module, check_name):
    getattr(getattr(package, module), check_name)()
    output = capsys.readouterr()
    lines = output.out.splitlines()
    assert len(lines) >= 4 and all(line.startswith("✓ ") for line in lines), output.out
    assert output.err == ""


def test_the_worked_example_scores_are_the_lectures_table(package):
    W, X, _ = package.loss_checks.lecture_problem()
    assert W.shape == (4, 3)
    np.testing.assert_allclose(X @ W, package.loss_checks.LECTURE_SCORES, atol=1e-12)


@pytest.mark.parametrize("kind, constant", [("svm", "LECTURE_SVM_LOSSES"), ("softmax", "LECTURE_SOFTMAX_LOSSES")])
def test_the_checks_expected_lecture_losses_are_what_the_reference_computes(package, kind, constant):
    W, X, y = package.loss_checks.lecture_problem()
    loss_function = getattr(package.losses, f"{kind}_loss_vectorized")
    per_image = [loss_function(W, X[i:i + 1], y[i:i + 1], 0.0)[0] for i in range(3)]
    np.testing.assert_allclose(per_image, getattr(package.loss_checks, constant), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("mistake", WRONG_LOSSES)
def test_a_loss_check_names_the_mistake(package, mistake):
    check_name, function, named = WRONG_LOSSES[mistake]
    with pytest.raises(package.report.CheckFailed) as failure:
        run_loss_check(package, check_name, function)
    assert named in [getattr(h, "mistake", None) for h in failure.value.hints], str(failure.value)


@pytest.mark.parametrize("mistake", WRONG_GRADIENTS)
def test_a_gradient_check_names_the_mistake(package, mistake):
    check_name, function, named = WRONG_GRADIENTS[mistake]
    with pytest.raises(package.report.CheckFailed) as failure:
        getattr(package.gradient_checks, check_name)(function)
    assert named in [getattr(h, "mistake", None) for h in failure.value.hints], str(failure.value)


def test_a_failure_shows_what_was_expected_and_what_came_back(package):
    with pytest.raises(package.report.CheckFailed) as failure:
        package.loss_checks.check_svm_loss_naive(functools.partial(svm_loss, count_correct_class=True))
    message = str(failure.value)
    assert message.startswith("✗ svm_loss_naive on image 0 alone (N = 1)")
    assert "expected: 2.9" in message and "got:      3.9" in message


def test_an_unimplemented_stub_reaches_the_student_with_its_message(package):
    with pytest.raises(NotImplementedError, match="svm_loss_naive in linear_classifier/losses.py"):
        package.loss_checks.check_svm_loss_naive(not_implemented)


def test_a_vectorized_check_skips_the_comparison_while_the_naive_version_is_a_stub(package, capsys):
    package.loss_checks.check_svm_loss_vectorized(svm_loss, not_implemented)
    assert "comparison with svm_loss_naive skipped" in capsys.readouterr().out


def test_a_vectorized_check_fails_when_it_disagrees_with_a_naive_version_that_passes_its_checks(package):
    def vectorized_wrong_from_fifty_examples(W, X, y, reg):
        # Right on every small example of its own checks; only the comparison on N = 50 can catch it.
        loss, dW = svm_loss(W, X, y, reg)
        return (loss + 1e-3 if X.shape[0] >= 50 else loss), dW

    with pytest.raises(package.report.CheckFailed, match="same loss as svm_loss_naive"):
        package.loss_checks.check_svm_loss_vectorized(vectorized_wrong_from_fifty_examples, svm_loss)


@pytest.mark.parametrize("naive_mistake", ["off by a little", "raises"])
def test_a_wrong_naive_version_does_not_fail_a_right_vectorized_one(package, capsys, naive_mistake):
    def wrong_naive(W, X, y, reg):
        if naive_mistake == "raises":
            raise IndexError("index 3 is out of bounds for axis 0 with size 3")
        loss, dW = svm_loss(W, X, y, reg)
        return loss + 1e-3, dW

    package.loss_checks.check_svm_loss_vectorized(svm_loss, wrong_naive)
    assert ("comparison with svm_loss_naive skipped (svm_loss_naive does not pass its own checks yet"
            in capsys.readouterr().out)


def test_checks_report_overflow_without_writing_warnings(package, capsys):
    with pytest.raises(package.report.CheckFailed):
        package.loss_checks.check_softmax_loss_naive(functools.partial(softmax_loss, subtract_max=False))
    assert capsys.readouterr().err == ""
