"""The loss functions' tests: their input sets, their checks, and how they join a plan.

Each of the four losses is called on every input set of :data:`LOSS_SETS`;
its loss and its gradient are judged on a small batch (visible), on odd
shapes (more classes than a data set has, so that a hard-coded class count
shows), on edge values and on scores whose rows lie thousands apart
(hidden), and the inputs must come back unchanged. A wrong result is
explained from the reference's parts of the right answer (per-example
losses, the data gradient, the SVM's column parts); an exception from the
student's code, from its message.
"""

import numpy as np

from .model import Failure, as_scalar, seeded_rng
from .shared import check_inputs_unmodified

#: name, label, N, D, C, reg, special
LOSS_SETS = (
    ("basic", "a small batch (N = 8, D = 5, C = 4)", 8, 5, 4, 0.1, None),
    ("one_example", "a single example (N = 1)", 1, 6, 3, 0.05, None),
    ("two_classes", "two classes (C = 2)", 10, 4, 2, 0.2, None),
    ("seven_classes", "seven classes (C = 7)", 12, 3, 7, 0.01, None),
    ("one_feature", "a single feature (D = 1)", 9, 1, 5, 0.1, None),
    ("many_features", "many features (D = 300)", 15, 300, 10, 1e-3, None),
    ("twelve_classes", "more classes than examples (C = 12, N = 9)", 9, 6, 12, 0.05, None),
    ("twenty_classes", "twenty classes (C = 20)", 25, 3, 20, 0.02, None),
    ("zero_weights", "all-zero weights (W = 0)", 6, 4, 5, 0.5, "zeros"),
    ("some_zero_weights", "weights with exact zeros", 10, 6, 4, 0.3, "some_zeros"),
    ("large_reg", "strong regularization (reg = 1000)", 7, 5, 3, 1e3, None),
    ("no_reg", "no regularization (reg = 0)", 7, 5, 3, 0.0, None),
    ("large_scores", "large scores (hundreds, like the lecture's [123, 456, 789])", 6, 4, 5, 1e-3, "large"),
    ("rows_far_apart", "rows whose maximum scores lie over a thousand apart, all within exp()'s range",
     8, 5, 6, 1e-3, "far_apart"),
    ("rows_thousands_apart", "rows whose maximum scores lie thousands apart", 8, 5, 6, 1e-3, "thousands_apart"),
)
#: The offsets of the rows of those two sets span these ranges: within +-650 every score stays below exp()'s
#: overflow at 709 while the rows' maxima lie 1300 apart, beyond the 745 below which exp() underflows to 0.
ROW_OFFSETS = {"far_apart": 650.0, "thousands_apart": 3000.0}
#: The input sets of each aspect of the hidden tests: name, what it is about, input sets.
SHAPES = ("shapes", "for N = 1, C = 2, 7, 12 and 20, D = 1 and D = 300",
          ("one_example", "two_classes", "seven_classes", "twelve_classes", "twenty_classes", "one_feature",
           "many_features"))
EDGES = ("edge_values", "with zero weights, reg = 0 and a large reg",
         ("zero_weights", "some_zero_weights", "large_reg", "no_reg"))
LARGE = ("large_scores", "for scores in the hundreds and rows thousands apart (finite and correct)",
         ("large_scores", "rows_far_apart", "rows_thousands_apart"))
#: Each aspect a loss may declare.
ASPECTS = {aspect[0]: aspect for aspect in (SHAPES, EDGES, LARGE)}


def loss_inputs(seed, name):
    """The (W, X, y, reg) of loss input set ``name`` for a student seed."""
    _, _, N, D, C, reg, special = next(s for s in LOSS_SETS if s[0] == name)
    rng = seeded_rng(seed, "loss:" + name)
    X = rng.standard_normal((N, D))
    W = 0.5 * rng.standard_normal((D, C))
    y = rng.integers(C, size=N)
    if special == "zeros":
        W[:] = 0.0
    elif special == "some_zeros":
        W[rng.random(W.shape) < 0.4] = 0.0
    elif special == "large":
        # A bias column lifts every score by hundreds; the spread between classes stays below
        # exp()'s range once the row maximum is subtracted, as in the lecture's example.
        X[:, -1] = 1.0
        W = 40.0 * rng.standard_normal((D, C))
        W[-1, :] += rng.choice([-1.0, 1.0]) * 1000.0
    elif special in ROW_OFFSETS:
        # The last feature times a weight row of ones gives each row an offset of its own; the other features
        # spread the classes by a few units within a row. Only a shift by each row's own maximum keeps every
        # row's exponentials finite and non-zero.
        span = ROW_OFFSETS[special]
        X[:, -1] = rng.permutation(np.linspace(-span, span, N))
        W[-1, :] = 1.0
    return {"W": W, "X": X, "y": y, "reg": float(reg)}


# -- the reference's parts of the right answer, for diagnoses --------------------------------------------------


def _kind(case):
    return case.declared.kind


def _loss_parts(judge, case):
    """Per-example losses, data gradient, (SVM) squared hinge and per-example score gradients of the
    reference, for diagnoses.

    The score gradient of example i is the gradient of its data loss with respect to its row of scores
    X[i] @ W, recovered from the reference's dW for that example alone, which is outer(X[i], it).
    """
    def compute():
        function = judge.reference.target("losses", case.reference[0].split(".")[1])
        W, X, y = case.args["W"], case.args["X"], case.args["y"]
        singles = [function(W, X[i:i + 1], y[i:i + 1], 0.0) for i in range(len(y))]
        per_example = np.array([loss for loss, _ in singles])
        norms = np.einsum("nd,nd->n", X, X)
        score_grads = np.array([X[i] @ dW / norms[i] if norms[i] > 0 else np.zeros(W.shape[1])
                                for i, (_, dW) in enumerate(singles)])
        data_grad = function(W, X, y, 0.0)[1]
        squared = None
        if _kind(case) == "svm":
            scores = X @ W
            margins = np.maximum(0.0, scores - scores[np.arange(len(y)), y][:, None] + 1.0)
            margins[np.arange(len(y)), y] = 0.0
            squared = float(np.mean(np.sum(margins ** 2, axis=1)))
        return per_example, data_grad, squared, score_grads

    return judge.cached(("loss-parts",) + case.reference, compute)


def _class_losses(judge, case):
    """The reference loss of each example under each label (entry [i, c]; -log p[i, c] for softmax)."""
    def compute():
        function = judge.reference.target("losses", case.reference[0].split(".")[1])
        W, X = case.args["W"], case.args["X"]
        return np.array([[function(W, X[i:i + 1], np.array([c]), 0.0)[0] for c in range(W.shape[1])]
                         for i in range(X.shape[0])])

    return judge.cached(("class-losses",) + case.reference, compute)


def _svm_gradient_parts(judge, case):
    """The reference data gradient split into its wrong-class and correct-class columns, and the
    number of violated margins of each example (the wrong-class entries of its score gradient)."""
    _, _, _, score_grads = _loss_parts(judge, case)
    X, y = case.args["X"], case.args["y"]
    rows = np.arange(len(y))
    wrong = score_grads.copy()
    wrong[rows, y] = 0.0
    correct = score_grads - wrong
    return X.T @ wrong / len(y), X.T @ correct / len(y), wrong.sum(axis=1)


def _mixed_up_gradients(judge, case):
    """The reference's data gradient of the last example alone and with every label replaced by ``y[0]`` (None
    where no label differs from it): what a loop that mixes up its examples computes."""
    def compute():
        function = judge.reference.target("losses", case.reference[0].split(".")[1])
        W, X, y = case.args["W"], case.args["X"], case.args["y"]
        first = np.full_like(y, y[0])
        return {"last_example_grad": function(W, X[-1:], y[-1:], 0.0)[1],
                "first_label_grad": function(W, X, first, 0.0)[1] if np.any(y != y[0]) else None}

    return judge.cached(("mixed-up-gradients",) + case.reference, compute)


def _unmasked_svm_gradients(case):
    """SVM data gradients whose mask of violated margins was built before max(0, .): each negative margin kept
    with its value, or every wrong class counted as violated (the grader's side: students get the diagnoses)."""
    W, X, y = case.args["W"], case.args["X"], case.args["y"]
    rows = np.arange(len(y))
    scores = X @ W
    margins = scores - scores[rows, y][:, None] + 1.0
    margins[rows, y] = 0.0
    gradients = []
    for coefficients in (np.where(margins > 0, 1.0, margins), (margins != 0).astype(float)):
        coefficients[rows, y] = 0.0
        coefficients[rows, y] = -coefficients.sum(axis=1)
        gradients.append(X.T @ coefficients / len(y))
    return gradients


def _squared_hinge_gradient(case):
    """The data gradient of the squared hinge loss (SVM cases; None for softmax), which a squared hinge gives."""
    if _kind(case) != "svm":
        return None
    W, X, y = case.args["W"], case.args["X"], case.args["y"]
    rows = np.arange(len(y))
    scores = X @ W
    coefficients = 2.0 * np.maximum(0.0, scores - scores[rows, y][:, None] + 1.0)
    coefficients[rows, y] = 0.0
    coefficients[rows, y] = -coefficients.sum(axis=1)
    return X.T @ coefficients / len(y)


def _scores(case):
    return case.args["X"] @ case.args["W"]


# -- checks -------------------------------------------------------------------------------------------------------


def check_loss_value(judge, case, got):
    expected, W = judge.expected(case)["loss"], case.args["W"]
    loss = got["loss"]
    if loss.ndim != 0:
        return Failure("the loss is not a single number",
                       judge.diagnosis.diagnose_result_type(loss, None, W), as_scalar(expected), loss)
    if judge.close(loss, expected):
        return None
    hints = judge.diagnosis.diagnose_result_type(float(loss), None, W, _scores(case))
    if not hints:
        per_example, _, squared, _ = _loss_parts(judge, case)
        reg = case.args["reg"]
        reg_term = reg * float(np.sum(W * W))
        hints = judge.diagnosis.diagnose_loss(float(loss), kind=_kind(case), data_losses=per_example,
                                              reg_term=reg_term, penalty=float(np.sum(W * W)), squared_hinge=squared,
                                              bias_reg_term=reg * float(np.sum(W[-1] ** 2)),
                                              half_reg_gradient=_half_reg_gradient(judge, case, got["dW"]))
        if not hints:
            hints = judge.diagnosis.diagnose_class_losses(float(loss), class_losses=_class_losses(judge, case),
                                                          y=case.args["y"], reg_term=reg_term)
        if not hints and _kind(case) == "softmax":
            hints = judge.diagnosis.diagnose_softmax_loss(float(loss), class_losses=_class_losses(judge, case),
                                                          y=case.args["y"], reg_term=reg_term, scores=_scores(case))
    return Failure("the loss is wrong", hints, as_scalar(expected), float(loss))


def _half_reg_loss(judge, case, loss):
    """Whether the student's loss is the reference's with half the regularization term."""
    if loss.ndim != 0:
        return False
    per_example, _, _, _ = _loss_parts(judge, case)
    W = case.args["W"]
    return judge.close(loss, per_example.mean() + 0.5 * case.args["reg"] * float(np.sum(W * W)))


def _half_reg_gradient(judge, case, dW):
    """Whether the student's dW is the reference's with half the regularization gradient (reg * W)."""
    W = case.args["W"]
    if dW.shape != W.shape:
        return False
    _, data_grad, _, _ = _loss_parts(judge, case)
    return judge.close(dW, data_grad + case.args["reg"] * W)


def check_loss_gradient(judge, case, got):
    expected, W = judge.expected(case)["dW"], case.args["W"]
    dW = got["dW"]
    if dW.shape == expected.shape and judge.close(dW, expected):
        return None
    hints = judge.diagnosis.diagnose_result_type(0.0, dW, W, _scores(case))
    if not hints:
        _, data_grad, _, _ = _loss_parts(judge, case)
        hints = judge.diagnosis.diagnose_gradient(dW, data_grad=data_grad, W=W, reg=case.args["reg"],
                                                  num_examples=len(case.args["y"]),
                                                  half_reg_loss=_half_reg_loss(judge, case, got["loss"]),
                                                  squared_hinge_grad=_squared_hinge_gradient(case))
        mixed_up = _mixed_up_gradients(judge, case)
        if not hints and _kind(case) == "softmax":
            hints = judge.diagnosis.diagnose_softmax_gradient(dW, data_grad=data_grad, X=case.args["X"],
                                                              y=case.args["y"], W=W, reg=case.args["reg"], **mixed_up)
        elif not hints:
            wrong_class, correct_class, violations = _svm_gradient_parts(judge, case)
            hints = judge.diagnosis.diagnose_svm_gradient(
                dW, wrong_class_grad=wrong_class, correct_class_grad=correct_class, violations=violations,
                X=case.args["X"], y=case.args["y"], W=W, reg=case.args["reg"],
                unmasked_grads=_unmasked_svm_gradients(case), **mixed_up)
    return Failure("the gradient dW is wrong", hints, expected, dW)


def explain_error(judge, case, error):
    """Hints for an exception the student's loss raised (W used as (C, D), a fixed number of classes)."""
    return judge.diagnosis.diagnose_error(error.get("type", ""), error.get("message", ""),
                                          W_shape=case.args["W"].shape, X_shape=case.args["X"].shape)


# -- the plan -------------------------------------------------------------------------------------------------------


def _aspects(function):
    """The hidden aspects of a loss: those it declares (:mod:`autograder.graded`), with their input sets. A loss
    not judged on large scores apart (an SVM's hinge cannot overflow) meets them among its edge values."""
    if "large_scores" in function.aspects:
        return [ASPECTS[aspect] for aspect in function.aspects]
    edges = (EDGES[0], "with zero weights, reg = 0, a large reg and large scores", EDGES[2] + LARGE[2])
    return [edges if aspect == "edge_values" else ASPECTS[aspect] for aspect in function.aspects]


def add_tests(plan, function):
    """Add the cases and tests of the loss ``function`` (its declaration) to ``plan``."""
    group, (runner,) = function.group, function.runners
    keys = {name: plan.case(group, name, runner, label, loss_inputs(plan.seed, name))
            for name, label, *_ in LOSS_SETS}
    aspects = _aspects(function)
    plan.test(group, "loss", False, "the loss on a small batch", [keys["basic"]], check_loss_value,
              explain_error=explain_error)
    for aspect, what, names in aspects:
        plan.test(group, f"loss.{aspect}", True, f"the loss {what}", [keys[n] for n in names], check_loss_value,
                  explain_error=explain_error)
    plan.test(group, "gradient", False, "the gradient dW on a small batch", [keys["basic"]], check_loss_gradient,
              explain_error=explain_error)
    for aspect, what, names in aspects:
        plan.test(group, f"gradient.{aspect}", True, f"dW {what}", [keys[n] for n in names], check_loss_gradient,
                  explain_error=explain_error)
    plan.test(group, "inputs_unmodified", True, "W, X and y are unchanged after every call", list(keys.values()),
              check_inputs_unmodified("W", "X", "y"), returned_only=True, requires=(f"{group}.loss", f"{group}.gradient"))


#: The kinds of loss this module grades (:attr:`autograder.graded.GradedFunction.kind`).
ADD_TESTS = {"svm": add_tests, "softmax": add_tests}
