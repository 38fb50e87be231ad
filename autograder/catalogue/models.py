"""The classifiers' tests: ``train`` on a fixed problem (observed through its calls of ``self.loss``) and
``predict``.

The thresholds below are grading thresholds, not float tolerances: they say
how well a correct training run must do on the fixed problem.
"""

import numpy as np

from .. import graded
from .model import Failure, seeded_rng
from .shared import check_inputs_unmodified

#: A model passes ``accuracy`` when its trained weights classify at least this fraction of the
#: fixed validation set correctly (the reference reaches about 0.97).
MODEL_ACCURACY = 0.85
#: ``train`` must bring the full training loss (the reference loss it trains with, requested reg) below this
#: fraction of the loss at W = 0 (C - 1 for an SVM loss, log C for softmax).
MODEL_LOSS_FRACTION = 0.5
#: The fixed training problem of the model tests (the same for every student).
MODEL_PROBLEM_SEED = 20240601
#: Hyperparameters every student's model is trained with, by classifier.
MODEL_TRAINING = {
    "LinearSVM": {"learning_rate": 0.01, "reg": 0.0123, "num_iters": 200, "batch_size": 37},
    "Softmax": {"learning_rate": 0.05, "reg": 0.0123, "num_iters": 200, "batch_size": 37},
}
PREDICT_SETS = (("basic", "6 rows, 3 classes"), ("one_row", "a single row"))


def model_problem():
    """Four Gaussian classes in 8 dimensions plus a bias column: 400 training and 300 validation rows."""
    rng = np.random.default_rng(MODEL_PROBLEM_SEED)
    num_classes, dim = 4, 8
    means = 1.5 * rng.standard_normal((num_classes, dim))

    def sample(n):
        y = rng.integers(num_classes, size=n)
        X = means[y] + rng.standard_normal((n, dim))
        return np.hstack([X, np.ones((n, 1))]), y

    X_train, y_train = sample(400)
    X_val, y_val = sample(300)
    return X_train, y_train, X_val, y_val


def predict_inputs(seed, name):
    """Weights and rows of predict input set ``name``."""
    rng = seeded_rng(seed, "predict:" + name)
    rows = 1 if name == "one_row" else 6
    return {"W": rng.standard_normal((5, 3)), "X": rng.standard_normal((rows, 5))}


# -- checks -------------------------------------------------------------------------------------------------------


def _model_loss(judge, case, W):
    function = case.declared.service_loss(judge.reference)
    return function(W, case.args["X"], case.args["y"], case.args["kwargs"]["reg"])[0]


def _trained_weights(judge, case, got):
    X, y = case.args["X"], case.args["y"]
    shape = (X.shape[1], int(y.max()) + 1)
    W = got["W"]
    if W.shape != shape:
        return None, Failure("self.W has the wrong shape after training",
                             [judge.mistakes.hint("train_W_shape", shape=shape)])
    if not np.all(np.isfinite(W)):
        return None, Failure("self.W contains NaN or inf after training", [judge.mistakes.hint("train_uphill")])
    return W, None


def check_training(judge, case, got):
    W, failure = _trained_weights(judge, case, got)
    if failure:
        return failure
    history, num_iters = got["history"], case.args["kwargs"]["num_iters"]
    if history.shape != (num_iters,):
        return Failure(f"train returned {history.size} losses for num_iters={num_iters}",
                       [judge.mistakes.hint("loss_history")])
    num_classes = W.shape[1]
    loss_kind = graded.declared(case.declared.trains_with).kind
    at_zero = (num_classes - 1.0) if loss_kind == "svm" else float(np.log(num_classes))
    final = _model_loss(judge, case, W)
    if not final <= MODEL_LOSS_FRACTION * at_zero:
        return Failure("training did not reduce the loss enough",
                       judge.diagnosis.diagnose_trained_loss(final, at_zero=at_zero))
    return None


def _loss_called(judge, case, seen):
    num_iters = case.args["kwargs"]["num_iters"]
    if seen.size == 0:
        return Failure("train never called self.loss", [judge.mistakes.hint("loss_never_called")])
    if seen.size < num_iters:
        return Failure(f"train called self.loss {seen.size} times for num_iters={num_iters}",
                       [judge.mistakes.hint("loss_calls_per_iteration")])
    return None


def check_batch_size(judge, case, got):
    sizes, wanted = got["batch_sizes"], case.args["kwargs"]["batch_size"]
    failure = _loss_called(judge, case, sizes)
    if failure or np.all(sizes == wanted):
        return failure
    return Failure("the minibatches do not have the requested size",
                   judge.diagnosis.diagnose_batches(sizes, batch_size=wanted, num_train=case.args["X"].shape[0]))


def check_reg(judge, case, got):
    regs, wanted = got["regs"], case.args["kwargs"]["reg"]
    if regs.size == 0:
        return Failure("train never called self.loss", [judge.mistakes.hint("loss_never_called")])
    if np.all(np.abs(regs - wanted) <= judge.tolerances.REG_PASSED_RELATIVE * wanted):
        return None
    seen = ", ".join(f"{r:g}" for r in sorted({float(r) for r in regs})[:3])
    return Failure("self.loss did not get the requested reg",
                   [judge.mistakes.hint("reg_not_passed", seen=seen, wanted=f"{wanted:g}")])


def check_accuracy(judge, case, got):
    W, failure = _trained_weights(judge, case, got)
    if failure:
        return failure
    _, _, X_val, y_val = judge.cached(("model-problem",), model_problem)
    accuracy = float(np.mean(np.argmax(X_val @ W, axis=1) == y_val))
    if accuracy >= MODEL_ACCURACY:
        return None
    return Failure(f"the trained weights reach a validation accuracy of {accuracy:.2f}, below the required "
                   f"{MODEL_ACCURACY:.2f}", [judge.mistakes.hint("poor_accuracy")])


def check_predict(judge, case, got):
    expected, labels = judge.expected(case)["labels"], got["labels"]
    if labels.shape == expected.shape and np.array_equal(labels, expected):
        return None
    hints = judge.diagnosis.diagnose_predict(labels, X=case.args["X"], W=case.args["W"])
    return Failure("the predicted labels are wrong", hints, expected, labels)


# -- the plan -------------------------------------------------------------------------------------------------------


def add_tests(plan, function):
    """Add the cases and tests of the classifier ``function`` (its declaration) to ``plan``."""
    group, (train_runner, predict_runner) = function.group, function.runners
    X_train, y_train, _, _ = model_problem()
    train_args = {"X": X_train, "y": y_train,
                  "kwargs": dict(MODEL_TRAINING[function.name], seed=int(plan.seed % 2 ** 31))}
    train = plan.case(group, "train", train_runner, "training on a fixed 4-class problem", train_args)
    predict = [plan.case(group, name, predict_runner, label, predict_inputs(plan.seed, name))
               for name, label in PREDICT_SETS]
    plan.test(group, "predict", False, "one label per row: the class with the highest score", predict, check_predict)
    plan.test(group, "train", True, "W has shape (D, C), one loss per iteration, the loss goes down", [train],
              check_training)
    plan.test(group, "batch_size", True, "self.loss sees minibatches of the requested size", [train],
              check_batch_size)
    plan.test(group, "reg", True, "self.loss gets the requested reg", [train], check_reg)
    plan.test(group, "accuracy", True, f"validation accuracy of at least {MODEL_ACCURACY}", [train], check_accuracy)
    plan.test(group, "inputs_unmodified", True, "X and y are unchanged by train", [train],
              check_inputs_unmodified("X", "y"), returned_only=True, requires=(f"{group}.train", f"{group}.accuracy"))


#: The kinds this module grades (:attr:`autograder.graded.GradedFunction.kind`).
ADD_TESTS = {"classifier": add_tests}
