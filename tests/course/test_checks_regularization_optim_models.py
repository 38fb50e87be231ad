"""The visible checks of 03_regularization and 04_optimization.

Each check must pass on the reference and on other correct formulations, and
fail with a hint a student can act on when given a plausible wrong
implementation written here.
"""

import importlib

import numpy as np
import pytest


@pytest.fixture
def lc(reference_as_notebooks_import_it):
    return reference_as_notebooks_import_it


def _fails_with(check, implementation, hint):
    """Run ``check`` on ``implementation``; assert it raises CheckFailed naming the mistake ``hint`` (an id of
    checks/mistakes.py) or, for a failure that is no mistake of the list, whose message contains ``hint``."""
    from linear_classifier.checks.mistakes import MISTAKES
    from linear_classifier.checks.report import CheckFailed

    with pytest.raises(CheckFailed) as failure:
        check(implementation)
    if hint in MISTAKES:
        assert hint in [getattr(h, "mistake", None) for h in failure.value.hints], str(failure.value)
    else:
        assert hint in str(failure.value), str(failure.value)
    return failure.value


# ---------------------------------------------------------------- reference passes

REGULARIZATION_CHECKS = ["check_l2_penalty", "check_l1_penalty", "check_elastic_net_penalty"]
OPTIM_CHECKS = ["check_sgd", "check_sgd_momentum", "check_step_decay", "check_cosine_decay"]
MODEL_CHECKS = ["check_linear_svm", "check_softmax_classifier"]


@pytest.mark.parametrize("module, name", [("regularization", n) for n in REGULARIZATION_CHECKS]
                         + [("optim", n) for n in OPTIM_CHECKS] + [("models", n) for n in MODEL_CHECKS])
def test_every_check_passes_on_the_reference_and_prints_only_to_stdout(lc, capfd, module, name):
    check = getattr(importlib.import_module(f"linear_classifier.checks.{module}"), name)
    check()
    out, err = capfd.readouterr()
    assert err == ""
    assert out.count("✓") >= 1 and "✗" not in out


def test_a_stub_raising_not_implemented_error_propagates_through_the_check(lc):
    from linear_classifier.checks.regularization import check_l2_penalty

    def stub(W):
        raise NotImplementedError("l2_penalty in linear_classifier/regularization.py is not implemented yet")

    with pytest.raises(NotImplementedError):
        check_l2_penalty(stub)


# ---------------------------------------------------------------- regularization

@pytest.mark.parametrize("implementation, hint", [
    (lambda W: (float(np.sum(W)), 2 * W), "without squaring"),
    (lambda W: (float(np.sqrt(np.sum(W ** 2))), 2 * W), "norm ||W||"),
    (lambda W: (float(0.5 * np.sum(W ** 2)), W), "extra factor 1/2"),
    (lambda W: (float(np.sum(W ** 2)), W), "l2_gradient_is_W"),
    (lambda W: (float(np.sum(W ** 2)), -2 * W), "wrong sign"),
    (lambda W: (W ** 2, 2 * W), "single number"),
    (lambda W: float(np.sum(W ** 2)), "pair (value, gradient)"),
    (lambda W: (float(np.sum(W ** 2)), 2 * W.T), "the gradient is transposed"),
], ids=["no-square", "norm", "half", "grad-W", "grad-sign", "array-value", "no-gradient", "transposed-grad"])
def test_l2_check_names_the_mistake(lc, implementation, hint):
    from linear_classifier.checks.regularization import check_l2_penalty

    _fails_with(check_l2_penalty, implementation, hint)


def test_l2_check_rejects_a_penalty_that_changes_w_in_place(lc):
    from linear_classifier.checks.regularization import check_l2_penalty

    def squares_in_place(W):
        W *= W
        return float(np.sum(W)), 2 * np.sqrt(W)

    _fails_with(check_l2_penalty, squares_in_place, "modified its input W in place")


def test_l2_check_catches_a_gradient_that_disagrees_with_the_value_off_the_hand_example(lc):
    from linear_classifier.checks.regularization import check_l2_penalty

    def clipped_gradient(W):
        # Right on the small integer example, wrong wherever |w| < 1.
        return float(np.sum(W ** 2)), np.where(np.abs(W) < 1, 0.0, 2 * W)

    _fails_with(check_l2_penalty, clipped_gradient, "the gradient does not match the slope")


@pytest.mark.parametrize("subgradient_at_zero", [0.0, 1.0, -1.0, 0.5])
def test_l1_check_accepts_any_subgradient_in_minus_one_to_one_at_zero(lc, subgradient_at_zero):
    from linear_classifier.checks.regularization import check_l1_penalty

    check_l1_penalty(lambda W: (float(np.abs(W).sum()), np.where(W == 0, subgradient_at_zero, np.sign(W))))


@pytest.mark.parametrize("implementation, hint", [
    (lambda W: (float(np.sum(W)), np.sign(W)), "l1_no_abs"),
    (lambda W: (float(np.sum(W ** 2)), np.sign(W)), "this is the L2 penalty"),
    (lambda W: (float(np.abs(W).sum()), W.copy()), "l1_gradient_is_W"),
    (lambda W: (float(np.abs(W).sum()), 2 * W), "this is the L2 gradient"),
    (lambda W: (float(np.abs(W).sum()), W / np.abs(W)), "gradient_nan_at_zero"),
    (lambda W: (float(np.abs(W).sum()), np.where(W == 0, 2.0, np.sign(W))), "subgradient_outside"),
], ids=["no-abs", "squares", "grad-W", "grad-2W", "nan-at-zero", "two-at-zero"])
def test_l1_check_names_the_mistake(lc, capfd, implementation, hint):
    from linear_classifier.checks.regularization import check_l1_penalty

    _fails_with(check_l1_penalty, implementation, hint)
    # W / |W| divides by zero: the warning must not reach stderr (nbgrader scores such a cell 0).
    assert capfd.readouterr().err == ""


@pytest.mark.parametrize("implementation, hint", [
    (lambda W, beta=0.5: (float(np.sum(W ** 2 + beta * np.abs(W))), 2 * W + beta * np.sign(W)),
     "beta multiplies the L1 part"),
    (lambda W, beta=0.5: (float(np.sum(beta * W ** 2 + np.abs(W))), beta * W + np.sign(W)),
     "elastic_gradient_no_two"),
    (lambda W, beta=0.5: (float(np.sum(0.5 * W ** 2 + np.abs(W))), W + np.sign(W)),
     "the beta argument is ignored"),
    (lambda W, beta=0.5: (float(np.sum(beta * W ** 2)), 2 * beta * W), "elastic_l1_missing"),
], ids=["beta-on-l1", "no-factor-2", "beta-ignored", "no-l1"])
def test_elastic_net_check_names_the_mistake(lc, implementation, hint):
    from linear_classifier.checks.regularization import check_elastic_net_penalty

    _fails_with(check_elastic_net_penalty, implementation, hint)


# ---------------------------------------------------------------- optimizers

def _sgd_in_place(w, dw, config=None):
    config = {} if config is None else config
    config.setdefault("learning_rate", 1e-2)
    w -= config["learning_rate"] * dw
    return w, config


def test_sgd_check_accepts_an_in_place_update(lc):
    from linear_classifier.checks.optim import check_sgd

    check_sgd(_sgd_in_place)


def _sgd(rule):
    """An sgd whose step is ``rule(w, dw, learning_rate)``, with the given config handling."""
    def sgd(w, dw, config=None):
        config = {} if config is None else config
        config.setdefault("learning_rate", 1e-2)
        return rule(w, dw, config["learning_rate"]), config
    return sgd


@pytest.mark.parametrize("sgd, hint", [
    (_sgd(lambda w, dw, lr: w + lr * dw), "uphill"),
    (_sgd(lambda w, dw, lr: w - dw), "learning_rate_missing"),
    (_sgd(lambda w, dw, lr: w - 1e-2 * dw), "not read from config"),
    (_sgd(lambda w, dw, lr: w), "returned unchanged"),
    (_sgd(lambda w, dw, lr: -lr * dw), "only the step was returned"),
], ids=["uphill", "no-lr", "default-lr", "unchanged", "step-only"])
def test_sgd_check_names_the_mistake(lc, sgd, hint):
    from linear_classifier.checks.optim import check_sgd

    _fails_with(check_sgd, sgd, hint)


def _momentum(update, store=True, default_momentum=0.9):
    """A momentum rule built from ``update(w, dw, v, lr, rho) -> (w, v)``."""
    def sgd_momentum(w, dw, config=None):
        config = {} if config is None else config
        config.setdefault("learning_rate", 1e-2)
        config.setdefault("momentum", default_momentum)
        velocity = config.get("velocity", np.zeros_like(w))
        w, velocity = update(w, dw, velocity, config["learning_rate"], config["momentum"])
        config["velocity"] = velocity if store else np.zeros_like(w)
        return w, config
    return sgd_momentum


def _lecture_first_form(w, dw, v, lr, rho):
    v = rho * v - lr * dw
    return w + v, v


def _lecture_second_form(w, dw, v, lr, rho):
    v = rho * v + dw
    return w - lr * v, v


def _in_place_form(w, dw, v, lr, rho):
    v *= rho
    v -= lr * dw
    w += v
    return w, v


@pytest.mark.parametrize("update", [_lecture_first_form, _lecture_second_form, _in_place_form],
                         ids=["v-rho-v-minus-lr-dw", "v-rho-v-plus-dw", "in-place"])
def test_momentum_check_accepts_every_formulation_of_the_lecture(lc, update):
    from linear_classifier.checks.optim import check_sgd_momentum

    check_sgd_momentum(_momentum(update))


def test_momentum_check_reports_a_velocity_that_is_not_kept(lc):
    from linear_classifier.checks.optim import check_sgd_momentum

    _fails_with(check_sgd_momentum, _momentum(_lecture_first_form, store=False), "velocity is not stored in config")


def test_momentum_check_reports_a_momentum_fixed_at_its_default(lc):
    from linear_classifier.checks.optim import check_sgd_momentum

    _fails_with(check_sgd_momentum, _momentum(lambda w, dw, v, lr, rho: _lecture_first_form(w, dw, v, lr, 0.9)),
                "fixed at 0.9")


@pytest.mark.parametrize("update, hint", [
    (lambda w, dw, v, lr, rho: (w + (-rho * v - lr * dw), -rho * v - lr * dw), "old_velocity_sign"),
    # The check's first step starts from a velocity of 0, where this is w unchanged: what the weights did.
    (lambda w, dw, v, lr, rho: (w + v, rho * v - lr * dw), "w_unchanged"),
    (lambda w, dw, v, lr, rho: (w + (rho * v + lr * dw), rho * v + lr * dw), "velocity_sign"),
    (lambda w, dw, v, lr, rho: (w - (rho * v + dw), rho * v + dw), "learning_rate_missing"),
], ids=["rho-sign", "old-velocity", "uphill", "no-lr"])
def test_momentum_check_names_the_mistake(lc, update, hint):
    from linear_classifier.checks.optim import check_sgd_momentum

    _fails_with(check_sgd_momentum, _momentum(update), hint)


@pytest.mark.parametrize("step_decay, hint", [
    (lambda lr, t, decay_rate=0.5, decay_every=100: lr * decay_rate ** (t / decay_every), "step_decay_smooth"),
    (lambda lr, t, decay_rate=0.5, decay_every=100: lr * decay_rate ** (t // decay_every + 1), "too early"),
    (lambda lr, t, decay_rate=0.5, decay_every=100: lr * decay_rate * (t // decay_every), "step_decay_multiplied"),
    (lambda lr, t, decay_rate=0.5, decay_every=100: lr * 0.5 ** (t // 100), "arguments are ignored"),
    (lambda lr, t, decay_rate=0.5, decay_every=100: np.full(2, lr), "single number"),
], ids=["no-floor", "early", "linear", "ignores-args", "array"])
def test_step_decay_check_names_the_mistake(lc, step_decay, hint):
    from linear_classifier.checks.optim import check_step_decay

    _fails_with(check_step_decay, step_decay, hint)


def test_step_decay_check_accepts_a_loop_that_halves_the_rate(lc):
    from linear_classifier.checks.optim import check_step_decay

    def step_decay(learning_rate, t, decay_rate=0.5, decay_every=100):
        for _ in range(int(t) // int(decay_every)):
            learning_rate *= decay_rate
        return learning_rate

    check_step_decay(step_decay)


@pytest.mark.parametrize("cosine_decay, hint", [
    (lambda lr, t, T: lr * (1 + np.cos(np.pi * t / T)), "factor 1/2 is missing"),
    (lambda lr, t, T: 0.5 * lr * (1 + np.cos(t / T)), "lacks pi"),
    (lambda lr, t, T: 0.5 * lr * (1 + np.cos(180 * t / T)), "in degrees"),
    (lambda lr, t, T: 0.5 * lr * (1 - np.cos(np.pi * t / T)), "backwards"),
    (lambda lr, t, T: 0.5 * (1 + np.cos(np.pi * t / T)), "not multiplied by learning_rate"),
], ids=["no-half", "no-pi", "degrees", "backwards", "no-lr"])
def test_cosine_decay_check_names_the_mistake(lc, cosine_decay, hint):
    from linear_classifier.checks.optim import check_cosine_decay

    _fails_with(check_cosine_decay, cosine_decay, hint)


# ---------------------------------------------------------------- models

def _rule_step(rule, W, dW, rate, config):
    config["learning_rate"] = rate
    return rule(W, dW, config)


def _with_train(base, draw_batch=None, step=None, reg_passed=None, rule_step=None, scheduled=True,
                copy_config=True):
    """A subclass of ``base`` whose train follows the API but with one part replaced.

    ``draw_batch(rng, X, y, batch_size, it) -> (X_batch, y_batch)``, ``step(W, dW, rate) -> W``,
    ``reg_passed(reg) -> reg``, ``rule_step(update_rule, W, dW, rate, config) -> (W, config)``;
    ``scheduled=False`` ignores lr_schedule, ``copy_config=False`` uses optim_config itself as the config.
    """
    draw_batch = draw_batch or (lambda rng, X, y, size, it: _rows(X, y, rng.choice(len(X), size)))
    step = step or (lambda W, dW, lr: W - lr * dW)
    reg_passed = reg_passed or (lambda reg: reg)
    rule_step = rule_step or _rule_step

    class Variant(base):
        def train(self, X, y, learning_rate=1e-3, reg=1e-5, num_iters=100, batch_size=200, verbose=False,
                  seed=None, update_rule=None, optim_config=None, lr_schedule=None):
            rng = np.random.default_rng(seed)
            if self.W is None:
                self.W = 0.001 * rng.standard_normal((X.shape[1], int(np.max(y)) + 1))
            config = dict(optim_config or {}) if copy_config else optim_config
            history = []
            for it in range(num_iters):
                rate = learning_rate if lr_schedule is None or not scheduled else lr_schedule(learning_rate, it)
                X_batch, y_batch = draw_batch(rng, X, y, batch_size, it)
                loss, dW = self.loss(X_batch, y_batch, reg_passed(reg))
                if update_rule is None:
                    self.W = step(self.W, dW, rate)
                else:
                    self.W, config = rule_step(update_rule, self.W, dW, rate, config)
                history.append(float(loss))
            return history

    return Variant


def _rows(X, y, indices):
    return X[indices], y[indices]


def _model_check(lc, name):
    from linear_classifier.checks import models as checks

    return {"LinearSVM": (checks.check_linear_svm, lc.models.LinearSVM),
            "Softmax": (checks.check_softmax_classifier, lc.models.Softmax)}[name]


@pytest.mark.parametrize("name", ["LinearSVM", "Softmax"])
def test_model_checks_accept_minibatches_without_replacement_and_epochs_in_order(lc, name):
    check, base = _model_check(lc, name)

    def without_replacement(rng, X, y, size, it):
        return _rows(X, y, rng.permutation(len(X))[:size])

    def sequential_epochs(rng, X, y, size, it):
        start = (it * size) % (len(X) - size + 1)
        return X[start:start + size], y[start:start + size]

    check(_with_train(base, draw_batch=without_replacement))
    check(_with_train(base, draw_batch=sequential_epochs))


@pytest.mark.parametrize("name", ["LinearSVM", "Softmax"])
@pytest.mark.parametrize("variant, hint", [
    (dict(draw_batch=lambda rng, X, y, size, it: (X, y)), "the whole training set was passed to self.loss"),
    (dict(draw_batch=lambda rng, X, y, size, it: (X[:size], y[:size])), "same minibatch"),
    (dict(draw_batch=lambda rng, X, y, size, it: (X[rng.choice(len(X), size)], y[rng.choice(len(X), size)])),
     "labels of the rows in X_batch"),
    (dict(draw_batch=lambda rng, X, y, size, it: _rows(X, y, np.random.choice(len(X), size))), "not from np.random"),
    (dict(reg_passed=lambda reg: 0.0), "instead of its own argument reg"),
    (dict(step=lambda W, dW, lr: W + lr * dW), "uphill"),
    (dict(step=lambda W, dW, lr: W - dW), "learning rate is missing"),
    (dict(rule_step=lambda rule, W, dW, rate, config: (W - rate * dW, config)), "update_rule_ignored"),
    (dict(scheduled=False), "schedule_ignored"),
    (dict(rule_step=lambda rule, W, dW, rate, config: rule(W, dW, {"learning_rate": rate})),
     "optim_config_not_carried"),
    (dict(rule_step=lambda rule, W, dW, rate, config: (rule(W, dW, dict(config, learning_rate=rate))[0], config)),
     "optim_config_not_carried"),
    (dict(copy_config=False), "must not change the optim_config"),
], ids=["full-batch", "same-batch", "mismatched-labels", "global-random", "reg-dropped", "uphill", "no-lr",
        "rule-ignored", "schedule-ignored", "config-dropped", "config-not-handed-back", "optim-config-changed"])
def test_model_checks_name_the_training_mistake(lc, name, variant, hint):
    check, base = _model_check(lc, name)
    _fails_with(check, _with_train(base, **variant), hint)


@pytest.mark.parametrize("name", ["LinearSVM", "Softmax"])
@pytest.mark.parametrize("predict, hint", [
    (lambda self, X: np.argmax(X @ self.W, axis=0), "predict_axis_0"),
    (lambda self, X: X @ self.W, "one label per row"),
    (lambda self, X: np.argmax(X @ self.W, axis=1).astype(float), "integer labels"),
    (lambda self, X: np.argmin(X @ self.W, axis=1), ".predict on scores"),
], ids=["axis-0", "scores", "float-labels", "argmin"])
def test_model_checks_name_the_predict_mistake(lc, name, predict, hint):
    check, base = _model_check(lc, name)
    variant = type("WrongPredict", (base,), {"predict": predict})
    _fails_with(check, variant, hint)


def test_model_check_propagates_a_train_stub(lc):
    check, base = _model_check(lc, "LinearSVM")

    def train(self, *args, **kwargs):
        raise NotImplementedError("LinearClassifier.train in linear_classifier/models.py is not implemented yet")

    with pytest.raises(NotImplementedError):
        check(type("Stub", (base,), {"train": train}))


# ---------------------------------------------------------------- notebook 04's search of the student's own design

BUDGET = {"num_iters": 300, "batch_size": 200, "seed": 0}


def test_search_check_passes_settings_beyond_the_first_searchs_range(lc, capfd):
    from linear_classifier.checks.models import check_search

    check_search({"learning_rate": 1.6, "reg": 1e-5}, dict(BUDGET), num_runs=12)
    assert "at least 290 needed" in capfd.readouterr().out


@pytest.mark.parametrize("best_settings, search_settings, num_runs, hint", [
    ({"learning_rate": 0.8, "reg": 1e-4}, BUDGET, 9, "search_below_threshold"),
    ({"learning_rate": 1.6, "reg": 1e-5, "num_iters": 3000}, BUDGET, 9, "must not change the budget: remove num_iters"),
    ({"learning_rate": 1.6, "reg": 1e-5}, dict(BUDGET, num_iters=3000), 9, "must stay as given"),
    ({"learning_rate": 1.6, "reg": 1e-5}, BUDGET, 21, "the budget is 1 to 20"),
    ({"learning_rate": 1.6, "reg": 1e-5}, BUDGET, 0, "the budget is 1 to 20"),
    (None, BUDGET, 9, "must be a dict of train's keyword arguments"),
], ids=["edge-of-the-first-range", "more-steps", "budget-changed", "too-many-runs", "no-runs", "nothing-stored"])
def test_search_check_says_what_is_wrong(lc, best_settings, search_settings, num_runs, hint):
    from linear_classifier.checks.models import check_search

    _fails_with(lambda _: check_search(best_settings, search_settings, num_runs), None, hint)


def test_search_checks_budget_is_the_one_notebook_04_gives_every_run(lc):
    import json

    from autograder import course
    from linear_classifier.checks.models import SEARCH_BUDGET

    notebook = json.loads((course.reference_dir() / "04_optimization.ipynb").read_text(encoding="utf-8"))
    sources = ["".join(cell["source"]) for cell in notebook["cells"] if cell["cell_type"] == "code"]
    assert any(source.startswith(f"search_settings = dict(num_iters={SEARCH_BUDGET['num_iters']}, batch_size="
                                 f"{SEARCH_BUDGET['batch_size']}, seed={SEARCH_BUDGET['seed']})")
               for source in sources)
