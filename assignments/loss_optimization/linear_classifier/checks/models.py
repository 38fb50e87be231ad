"""Visible checks of ``LinearClassifier.train`` and ``predict`` (04_optimization).

Training is observed from the outside: a subclass records every call of
``loss`` (the minibatch, ``reg`` and the weights it saw) and the checks compare
consecutive weights with one SGD step on the gradient ``loss`` returned.
Minibatches drawn with or without replacement, in any order, are accepted.
"""

import numpy as np

from .. import models
from ..data import get_digits_data
from .diagnosis import diagnose_batches, diagnose_predict, diagnose_trained_loss, diagnose_training_step
from .mistakes import hint
from .report import CheckFailed, close, passed, quiet_numerics

#: Smallest validation accuracy a short training run must reach on the digits (a correct one reaches about 0.95).
MIN_DIGITS_ACCURACY = 0.90
#: Settings of that short run, per classifier.
QUICK_SETTINGS = {
    "LinearSVM": dict(learning_rate=0.1, reg=1e-3, num_iters=300, batch_size=200, seed=0),
    "Softmax": dict(learning_rate=0.5, reg=1e-3, num_iters=300, batch_size=200, seed=0),
}


#: The budget of each run of notebook 04's hyperparameter searches (its ``search_settings``).
SEARCH_BUDGET = {"num_iters": 300, "batch_size": 200, "seed": 0}
#: Runs a search of the student's own design may use.
MAX_SEARCH_RUNS = 20
#: Validation accuracy the settings that search found must reach: 290 of the 300 images (the first search's grid,
#: which stops at learning rate 0.8, reaches about 0.957).
MIN_SEARCH_ACCURACY = 0.965


def check_linear_svm(model_class=None):
    """Check ``train`` and ``predict`` through ``LinearSVM``.

    Parameters
    ----------
    model_class : type or None
        The classifier to check; the student's ``models.LinearSVM`` by default.
    """
    _check_classifier(model_class or models.LinearSVM, "LinearSVM")


def check_softmax_classifier(model_class=None):
    """Check ``train`` and ``predict`` through ``Softmax``.

    Parameters
    ----------
    model_class : type or None
        The classifier to check; the student's ``models.Softmax`` by default.
    """
    _check_classifier(model_class or models.Softmax, "Softmax")


def _check_classifier(model_class, name):
    with quiet_numerics():
        _check_training_steps(model_class, name)
        _check_update_rule(model_class, name)
        _check_predict(model_class, name)
        _check_digits(model_class, name)


def _recording(model_class):
    """A subclass of ``model_class`` that records what each call of ``loss`` received and returned."""

    class Recording(model_class):
        def __init__(self):
            super().__init__()
            self.calls = []

        def loss(self, X_batch, y_batch, reg):
            W_seen = np.array(self.W, dtype=float)
            loss, dW = super().loss(X_batch, y_batch, reg)
            self.calls.append({
                "X": np.array(X_batch), "y": np.array(y_batch), "reg": reg,
                "W": W_seen, "loss": loss, "dW": np.array(dW, dtype=float),
            })
            return loss, dW

    return Recording


def _small_problem(seed=0):
    """30 distinct random examples in 4 dimensions with labels 0..2."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((30, 4))
    y = np.arange(30) % 3
    return X, y


def _check_training_steps(model_class, name):
    X, y = _small_problem()
    settings = dict(learning_rate=0.1, reg=0.25, num_iters=5, batch_size=7, seed=3)
    model = _recording(model_class)()
    start = 0.001 * np.random.default_rng(1).standard_normal((4, 3))
    model.W = start.copy()
    X_before, y_before = X.copy(), y.copy()
    history = model.train(X, y, **settings)
    what = f"{name}.train(X, y, learning_rate=0.1, reg=0.25, num_iters=5, batch_size=7) on 30 examples"

    if not np.array_equal(X, X_before) or not np.array_equal(y, y_before):
        raise CheckFailed(f"{what} must not change X or y", hints=[hint("train_modifies_data")])
    calls = model.calls
    if len(calls) != settings["num_iters"]:
        raise CheckFailed(f"{what}: calls of self.loss", expected=settings["num_iters"], got=len(calls),
                          hints=[hint("loss_calls_per_iteration")])
    sizes = [len(call["y"]) for call in calls]
    if any(size != settings["batch_size"] for size in sizes) or any(len(c["X"]) != len(c["y"]) for c in calls):
        hints = diagnose_batches(sizes, batch_size=settings["batch_size"], num_train=len(X))
        raise CheckFailed(f"{what}: rows of each minibatch", expected=[settings["batch_size"]] * len(calls),
                          got=sizes, hints=hints)
    for call in calls:
        # Every row of X is distinct, so a batch row identifies the example it came from.
        matches = np.all(np.isclose(call["X"][:, None, :], X[None, :, :]), axis=2)
        if not np.all(matches.any(axis=1)):
            raise CheckFailed(f"{what}: X_batch must be made of rows of X", hints=[hint("batch_not_rows")])
        source = matches.argmax(axis=1)
        if not np.array_equal(call["y"], y[source]):
            raise CheckFailed(f"{what}: y_batch must hold the labels of the rows in X_batch",
                              expected=y[source], got=call["y"], hints=[hint("batch_labels_mismatch")])
    if all(np.array_equal(call["X"], calls[0]["X"]) for call in calls):
        raise CheckFailed(f"{what}: every iteration used the same minibatch", hints=[hint("same_minibatch")])
    regs = [call["reg"] for call in calls]
    if not all(np.ndim(r) == 0 and close(r, settings["reg"]) for r in regs):
        seen = ", ".join(f"{r:g}" for r in sorted({float(np.ravel(r)[0]) for r in regs})[:3])
        raise CheckFailed(f"{what}: reg passed to self.loss", expected=settings["reg"], got=regs,
                          hints=[hint("reg_not_passed", seen=seen, wanted=f"{settings['reg']:g}")])
    if not close(calls[0]["W"], start):
        raise CheckFailed(f"{what}: weights at the first iteration", expected=start, got=calls[0]["W"],
                          hints=[hint("train_restarts_W")])

    weights_after = [call["W"] for call in calls[1:]] + [np.array(model.W, dtype=float)]
    for step, (call, after) in enumerate(zip(calls, weights_after)):
        expected = call["W"] - settings["learning_rate"] * call["dW"]
        if not close(after, expected):
            hints = diagnose_training_step(after, W=call["W"], dW=call["dW"], learning_rate=settings["learning_rate"])
            raise CheckFailed(f"{what}: W after step {step} must be W - learning_rate * dW, with the dW that "
                              "self.loss returned at that step", expected=expected, got=after, hints=hints)
    if not (isinstance(history, list) and close(history, [call["loss"] for call in calls])):
        raise CheckFailed(f"{what}: the returned loss history", expected=[call["loss"] for call in calls],
                          got=history, hints=[hint("loss_history")])
    passed(f"{name}.train calls loss once per step with a minibatch of batch_size rows and reg, "
           "and steps W -= learning_rate * dW")

    again = _recording(model_class)()
    again.W = start.copy()
    if not close(again.train(X, y, **settings), history):
        raise CheckFailed(f"{what}: two runs with the same seed gave different losses",
                          hints=[hint("train_not_seeded")])
    passed(f"{name}.train is reproducible for a fixed seed")


def _sign_descent(log):
    """An update rule for the check only (sign descent, not one of optim.py's) that counts its calls in its
    ``config`` and appends, at each call, the count and the momentum it found there to ``log``."""
    def rule(w, dw, config):
        config["calls"] = config.get("calls", 0) + 1
        log.append((config["calls"], config.get("momentum")))
        return w - config["learning_rate"] * np.sign(dw), config
    return rule


def _check_update_rule(model_class, name):
    X, y = _small_problem()
    num_iters, learning_rate, momentum = 4, 0.2, 0.5
    optim_config, log = {"momentum": momentum}, []
    model = _recording(model_class)()
    model.W = 0.001 * np.random.default_rng(2).standard_normal((4, 3))
    what = (f"{name}.train(..., learning_rate={learning_rate}, num_iters={num_iters}, update_rule=rule, "
            f"optim_config={optim_config}, lr_schedule=lambda rate, t: rate / (t + 1))")
    model.train(X, y, learning_rate=learning_rate, reg=0.0, num_iters=num_iters, batch_size=5, seed=4,
                update_rule=_sign_descent(log), optim_config=optim_config,
                lr_schedule=lambda rate, t: rate / (t + 1))
    calls = model.calls
    weights_after = [call["W"] for call in calls[1:]] + [np.array(model.W, dtype=float)]
    for step, (call, after) in enumerate(zip(calls, weights_after)):
        rate = learning_rate / (step + 1)
        by_rule = call["W"] - rate * np.sign(call["dW"])
        if not close(after, by_rule):
            unscheduled = close(after, call["W"] - learning_rate * np.sign(call["dW"]))
            raise CheckFailed(f"{what}: W after step {step} must be what the rule returned for the rate "
                              f"lr_schedule({learning_rate}, {step}) = {rate:g}", expected=by_rule, got=after,
                              hints=[hint("schedule_ignored") if unscheduled else hint("update_rule_ignored")])
    carried = [(step, momentum) for step in range(1, num_iters + 1)]
    if log != carried:
        raise CheckFailed(f"{what}: (count, momentum) the rule found in config at each step", expected=carried,
                          got=log, hints=[hint("optim_config_not_carried")])
    if optim_config != {"momentum": momentum}:
        raise CheckFailed(f"{what}: train must not change the optim_config it was given",
                          expected={"momentum": momentum}, got=optim_config, hints=[hint("optim_config_not_carried")])
    passed(f"{name}.train steps with the update_rule it is given, at the rate lr_schedule gives each step, and "
           "hands the rule its config back")


def _check_predict(model_class, name):
    model = model_class()
    # X selects rows of W, so the scores of the first three examples are W's rows:
    # [0, 5, 0, 0] -> 1, [0, 0, 0, 7] -> 3, [2, 0, 1, 0] -> 0, and the sum [2, 5, 1, 7] -> 3.
    model.W = np.array([[0.0, 5.0, 0.0, 0.0], [0.0, 0.0, 0.0, 7.0], [2.0, 0.0, 1.0, 0.0]])
    X = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0], [1.0, 1.0, 1.0]])
    expected = np.array([1, 3, 0, 3])
    got = np.asarray(model.predict(X.copy()))
    if got.shape != expected.shape or not np.array_equal(got, expected):
        raise CheckFailed(f"{name}.predict on scores [[0,5,0,0], [0,0,0,7], [2,0,1,0], [2,5,1,7]]",
                          expected=expected, got=got, hints=diagnose_predict(got, X=X, W=model.W))
    if not np.issubdtype(got.dtype, np.integer):
        raise CheckFailed(f"{name}.predict must return integer labels", got=got.dtype, hints=[hint("predict_float")])
    passed(f"{name}.predict returns the highest-scoring class of each row")


def _check_digits(model_class, name):
    data = get_digits_data()
    settings = QUICK_SETTINGS[name]
    model = model_class()
    history = model.train(data["X_train"], data["y_train"], **settings)
    first, last = history[0], float(np.mean(history[-20:]))
    if not last < 0.5 * first:
        raise CheckFailed(f"{name} on the digits: the mean loss of the last 20 of {settings['num_iters']} "
                          f"iterations should be below half the first loss {first:.3f}", got=last,
                          hints=diagnose_trained_loss(last, at_zero=first, steps_checked=True))
    accuracy = float(np.mean(model.predict(data["X_val"]) == data["y_val"]))
    if accuracy < MIN_DIGITS_ACCURACY:
        raise CheckFailed(f"{name} on the digits, {settings}: validation accuracy",
                          expected=f">= {MIN_DIGITS_ACCURACY}", got=accuracy, hints=[hint("poor_accuracy")])
    passed(f"{name} trained on the digits: loss {first:.2f} -> {last:.2f}, validation accuracy {accuracy:.3f}")


def check_search(best_settings, search_settings, num_runs, model_class=None):
    """Check the settings a hyperparameter search of the student's own design found (notebook 04, section 8).

    A fresh model is trained on the digits' training split with ``**search_settings, **best_settings``; the check
    passes when it classifies at least :data:`MIN_SEARCH_ACCURACY` of the validation split correctly.

    Parameters
    ----------
    best_settings : dict
        ``train``'s keyword arguments of the best run, without the budget (``num_iters``, ``batch_size``, ``seed``).
    search_settings : dict
        The budget of every run, :data:`SEARCH_BUDGET`.
    num_runs : int
        How many runs the search made; at most :data:`MAX_SEARCH_RUNS`.
    model_class : type or None
        The classifier; the student's ``models.Softmax`` by default.
    """
    if not isinstance(best_settings, dict) or not best_settings:
        raise CheckFailed("best_settings must be a dict of train's keyword arguments, such as "
                          "dict(learning_rate=1.0, reg=1e-4)", got=best_settings)
    if dict(search_settings) != SEARCH_BUDGET:
        raise CheckFailed("search_settings is the budget of every run and must stay as given", expected=SEARCH_BUDGET,
                          got=search_settings)
    budget = sorted(set(best_settings) & set(SEARCH_BUDGET))
    if budget:
        raise CheckFailed(f"best_settings must not change the budget: remove {', '.join(budget)} from it "
                          "(every run takes them from search_settings)")
    if not 0 < num_runs <= MAX_SEARCH_RUNS:
        raise CheckFailed(f"the search made {num_runs} runs (own_results has one entry per run); the budget is 1 to "
                          f"{MAX_SEARCH_RUNS}", got=num_runs)
    data = get_digits_data()
    model = (model_class or models.Softmax)()
    with quiet_numerics():
        model.train(data["X_train"], data["y_train"], **search_settings, **best_settings)
    correct = int(np.sum(model.predict(data["X_val"]) == data["y_val"]))
    total = len(data["y_val"])
    needed = int(np.ceil(MIN_SEARCH_ACCURACY * total))
    if correct < needed:
        raise CheckFailed(f"Softmax trained with **search_settings, **best_settings = {best_settings}: validation "
                          "images classified correctly", expected=f">= {needed} of {total}",
                          got=f"{correct} of {total}", hints=[hint("search_below_threshold")])
    passed(f"the search's best settings, retrained: validation accuracy {correct / total:.3f} ({correct} of "
           f"{total}, at least {needed} needed) within {num_runs} runs of {SEARCH_BUDGET['num_iters']} steps")
