"""The autograder's tests judged in-process: full marks for the reference and for other correct
formulations, nothing for the release stubs, a diagnosis for common mistakes, and no expected value
in what a hidden test says."""

import importlib
import re
import textwrap

import numpy as np
import pytest

from autograder import catalogue, course, execution
from autograder.calls import runners
from autograder.points import group_points, load_points
from autograder.packages import Reference, load_reference
from support.submissions import make_submission


def grade_in_process(package_dir, seed=3, groups=None):
    """Verdicts of every test for the package at ``package_dir`` (loaded under an alias of its own)."""
    package = Reference(package_dir)
    plan = catalogue.build_plan(seed, groups)
    outcomes = execution.run_in_process(plan, list(plan.cases), package.module, load_reference())
    judge = catalogue.Judge(plan, load_reference())
    return {test.name: judge.verdict(test, outcomes) for test in plan.tests}


def package_with(tmp_path, base="reference", **append):
    """A submission's package directory: ``append`` maps module names to code added at their end."""
    folder = make_submission(tmp_path, "student", base, {f"{m}.py": code for m, code in append.items()})
    return folder / "linear_classifier"


@pytest.mark.parametrize("seed", [0, 1, 2 ** 62 + 7])
def test_reference_passes_every_test_for_any_seed(seed):
    reference = load_reference()
    verdicts = grade_in_process(reference.package_dir, seed)
    assert [name for name, v in verdicts.items() if not v.passed] == []
    assert list(verdicts) == catalogue.all_test_names()


def test_release_stubs_fail_every_test_as_not_implemented(tmp_path):
    verdicts = grade_in_process(package_with(tmp_path, "stubs"))
    assert {v.status for v in verdicts.values()} == {"not_implemented"}


def test_points_give_every_test_a_value_and_every_group_some_points():
    points = load_points()
    assert list(points) == catalogue.all_test_names()
    assert all(total > 0 for total in group_points(points).values())
    assert all(name.split(".")[0] + "." + name.split(".")[1] in catalogue.GROUPS for name in points)


def test_inputs_are_reproducible_per_seed_and_differ_between_seeds():
    first, again, other = (catalogue.build_plan(s) for s in (11, 11, 12))
    key = "losses.svm_loss_naive@basic"
    assert np.array_equal(first.cases[key].args["W"], again.cases[key].args["W"])
    assert not np.array_equal(first.cases[key].args["W"], other.cases[key].args["W"])


def test_inputs_cover_the_shapes_and_values_the_issue_asks_for():
    plan = catalogue.build_plan(5)
    shapes = {(len(c.args["y"]), *c.args["W"].shape) for c in plan.cases.values() if c.runner == "loss"}
    N, D, C = zip(*shapes)
    assert 1 in N and 2 in C and any(c not in (2, 10) for c in C) and 1 in D and max(D) >= 100
    W_zero = plan.cases["losses.svm_loss_naive@zero_weights"].args["W"]
    assert np.all(W_zero == 0)
    large = plan.cases["losses.softmax_loss_naive@large_scores"].args
    assert np.abs(large["X"] @ large["W"]).max() > 800  # exp() overflows without the max shift
    assert plan.cases["losses.svm_loss_naive@large_reg"].args["reg"] >= 100


ALTERNATIVES = {
    "momentum as in the lecture's second form": {"optim": """
        def sgd_momentum(w, dw, config=None):
            config = {} if config is None else config
            config.setdefault("learning_rate", 1e-2)
            config.setdefault("momentum", 0.9)
            v = config["momentum"] * config.get("velocity", np.zeros_like(w)) + dw
            config["velocity"] = v
            return w - config["learning_rate"] * v, config
        """},
    "sgd updating w in place": {"optim": """
        def sgd(w, dw, config=None):
            config = {} if config is None else config
            config.setdefault("learning_rate", 1e-2)
            w -= config["learning_rate"] * dw
            return w, config
        """},
    "L1 subgradient 1 at zero": {"regularization": """
        def l1_penalty(W):
            return float(np.abs(W).sum()), np.where(W >= 0, 1.0, -1.0)

        def elastic_net_penalty(W, beta=0.5):
            return float(np.sum(beta * W * W + np.abs(W))), 2 * beta * W + np.where(W > 0, 1.0, -1.0)
        """},
    "minibatches without replacement": {"models": """
        def _train(self, X, y, learning_rate=1e-3, reg=1e-5, num_iters=100, batch_size=200, verbose=False,
                   seed=None):
            rng = np.random.default_rng(seed)
            if self.W is None:
                self.W = 0.001 * rng.standard_normal((X.shape[1], int(np.max(y)) + 1))
            history = []
            for _ in range(num_iters):
                rows = rng.permutation(X.shape[0])[:batch_size]
                loss, grad = self.loss(X[rows], y[rows], reg)
                self.W = self.W - learning_rate * grad
                history.append(loss)
            return history

        LinearClassifier.train = _train
        """},
    "gradient checks that step x by +h, -2h, +h and sample flat indices": {"gradients": """
        def eval_numerical_gradient(f, x, h=1e-5):
            grad = np.zeros_like(x, dtype=float)
            flat, flat_grad = x.reshape(-1), grad.reshape(-1)
            for i in range(flat.size):
                flat[i] += h
                plus = f(x)
                flat[i] -= 2 * h
                minus = f(x)
                flat[i] += h
                flat_grad[i] = (plus - minus) / (2 * h)
            return grad

        def grad_check_sparse(f, x, analytic_grad, num_checks=10, h=1e-5, seed=None):
            state = np.random.RandomState(seed)
            errors = []
            for _ in range(num_checks):
                ix = np.unravel_index(state.randint(x.size), x.shape)
                old = x[ix]
                x[ix] = old + h
                plus = f(x)
                x[ix] = old - h
                minus = f(x)
                x[ix] = old
                num, ana = (plus - minus) / (2 * h), analytic_grad[ix]
                errors.append(0.0 if num == ana == 0 else abs(num - ana) / (abs(num) + abs(ana)))
            return np.array(errors)
        """},
}


@pytest.mark.parametrize("name", ALTERNATIVES)
def test_other_correct_formulations_get_full_marks(tmp_path, name):
    verdicts = grade_in_process(package_with(tmp_path, **ALTERNATIVES[name]))
    assert [f"{n}: {v.message}" for n, v in verdicts.items() if not v.passed] == []


MISTAKES = [
    ("svm counts the correct class", "losses", """
        def svm_loss_vectorized(W, X, y, reg):
            scores = X @ W
            margins = np.maximum(0, scores - scores[np.arange(len(y)), y][:, None] + 1)
            loss = margins.sum() / len(y) + reg * np.sum(W * W)
            coefficients = (margins > 0).astype(float)
            coefficients[np.arange(len(y)), y] -= coefficients.sum(axis=1)
            return loss, X.T @ coefficients / len(y) + 2 * reg * W
        """, "losses.svm_loss_vectorized.loss", r"1 too high"),
    ("regularization gradient not doubled", "losses", """
        _correct = svm_loss_vectorized
        def svm_loss_vectorized(W, X, y, reg):
            loss, dW = _correct(W, X, y, reg)
            return loss, dW - reg * W
        """, "losses.svm_loss_vectorized.gradient", r"2 \* reg \* W"),
    ("softmax without the max shift", "losses", """
        def softmax_loss_vectorized(W, X, y, reg):
            scores = X @ W
            probs = np.exp(scores) / np.exp(scores).sum(axis=1, keepdims=True)
            loss = -np.log(probs[np.arange(len(y)), y]).mean() + reg * np.sum(W * W)
            probs[np.arange(len(y)), y] -= 1
            return loss, X.T @ probs / len(y) + 2 * reg * W
        """, "losses.softmax_loss_vectorized.loss.large_scores", r"subtract each row's maximum"),
    ("softmax shifted by the batch's maximum", "losses", """
        def softmax_loss_vectorized(W, X, y, reg):
            scores = X @ W
            scores -= np.max(scores)
            probs = np.exp(scores) / np.sum(np.exp(scores), axis=1, keepdims=True)
            loss = -np.mean(np.log(probs[np.arange(len(y)), y])) + reg * np.sum(W * W)
            probs[np.arange(len(y)), y] -= 1
            return loss, X.T @ probs / len(y) + 2 * reg * W
        """, "losses.softmax_loss_vectorized.loss.large_scores", r"one maximum for the whole batch"),
    ("regularization gradient added before dividing by N", "losses", """
        def svm_loss_naive(W, X, y, reg):
            dW = np.zeros(W.shape)
            loss = 0.0
            for i in range(X.shape[0]):
                scores = X[i].dot(W)
                for j in range(W.shape[1]):
                    margin = scores[j] - scores[y[i]] + 1
                    if j != y[i] and margin > 0:
                        loss += margin
                        dW[:, j] += X[i]
                        dW[:, y[i]] -= X[i]
            dW += 2 * reg * W
            return loss / X.shape[0] + reg * np.sum(W * W), dW / X.shape[0]
        """, "losses.svm_loss_naive.gradient", r"divided by N along with the data gradient"),
    ("svm mask counting the correct class's own margin", "losses", """
        def svm_loss_vectorized(W, X, y, reg):
            N = X.shape[0]
            scores = X @ W
            margins = np.maximum(0, scores - scores[np.arange(N), y][:, None] + 1)
            mask = (margins > 0).astype(float)
            margins[np.arange(N), y] = 0
            mask[np.arange(N), y] = -mask.sum(axis=1)
            return margins.sum() / N + reg * np.sum(W * W), X.T @ mask / N + 2 * reg * W
        """, "losses.svm_loss_vectorized.gradient", r"own margin"),
    ("sum(W * W) without reg", "losses", """
        _correct = softmax_loss_naive
        def softmax_loss_naive(W, X, y, reg):
            loss, dW = _correct(W, X, y, 0.0)
            return loss + np.sum(W * W), dW + 2 * reg * W
        """, "losses.softmax_loss_naive.loss", r"without its strength reg"),
    ("loss functions that return their starting zeros", "losses", """
        def svm_loss_naive(W, X, y, reg):
            return 0.0, np.zeros(W.shape)
        """, "losses.svm_loss_naive.gradient", r"dW is exactly 0 everywhere"),
    ("the 2015 layout, W of shape (C, D)", "losses", """
        def svm_loss_naive(W, X, y, reg):
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
        """, "losses.svm_loss_naive.loss", r"layout of CS231n's 2015 assignment"),
    ("a loop over a fixed ten classes", "losses", """
        def softmax_loss_naive(W, X, y, reg):
            loss, dW = 0.0, np.zeros(W.shape)
            for i in range(X.shape[0]):
                scores = X[i] @ W
                scores = scores - np.max(scores)
                total = sum(np.exp(scores[j]) for j in range(10))
                loss += np.log(total) - scores[y[i]]
                for j in range(10):
                    dW[:, j] += (np.exp(scores[j]) / total - (j == y[i])) * X[i]
            return loss / X.shape[0] + reg * np.sum(W * W), dW / X.shape[0] + 2 * reg * W
        """, "losses.softmax_loss_naive.loss", r"loop over range\(W.shape\[1\]\)"),
    ("softmax modifies X in place", "losses", """
        _correct = softmax_loss_naive
        def softmax_loss_naive(W, X, y, reg):
            result = _correct(W, X, y, reg)
            X *= 1.0 + 1e-3
            return result
        """, "losses.softmax_loss_naive.inputs_unmodified", r"modified its input X"),
    ("forward differences", "gradients", """
        def eval_numerical_gradient(f, x, h=1e-5):
            grad = np.zeros(x.shape)
            base = f(x)
            for ix in np.ndindex(x.shape):
                old = x[ix]
                x[ix] = old + h
                grad[ix] = (f(x) - base) / h
                x[ix] = old
            return grad
        """, "gradients.eval_numerical_gradient.values", r"forward difference"),
    ("grad_check_sparse returns only the largest error", "gradients", """
        _correct = grad_check_sparse
        def grad_check_sparse(f, x, analytic_grad, num_checks=10, h=1e-5, seed=None):
            return float(np.max(_correct(f, x, analytic_grad, num_checks, h, seed)))
        """, "gradients.grad_check_sparse.errors", r"not a single number"),
    ("L2 gradient without the factor 2", "regularization", """
        def l2_penalty(W):
            return float(np.sum(W * W)), W.copy()
        """, "regularization.l2_penalty.gradient", r"2 \* W"),
    ("step decay without the floor", "optim", """
        def step_decay(learning_rate, t, decay_rate=0.5, decay_every=100):
            return learning_rate * decay_rate ** (t / decay_every)
        """, "optim.step_decay.values", r"integer division"),
    ("momentum that forgets its velocity", "optim", """
        def sgd_momentum(w, dw, config=None):
            config = {} if config is None else config
            config.setdefault("learning_rate", 1e-2)
            return w - config["learning_rate"] * dw, config
        """, "optim.sgd_momentum.steps", r"velocity"),
    ("training on the whole set", "models", """
        def _train(self, X, y, learning_rate=1e-3, reg=1e-5, num_iters=100, batch_size=200, verbose=False,
                   seed=None):
            if self.W is None:
                self.W = 0.001 * np.random.default_rng(seed).standard_normal((X.shape[1], int(np.max(y)) + 1))
            history = []
            for _ in range(num_iters):
                loss, grad = self.loss(X, y, reg)
                self.W -= learning_rate * grad
                history.append(loss)
            return history

        LinearClassifier.train = _train
        """, "models.LinearSVM.batch_size", r"whole training set"),
]


@pytest.mark.parametrize("title, module, code, test, diagnosis", MISTAKES, ids=[m[0] for m in MISTAKES])
def test_common_mistakes_fail_with_their_diagnosis(tmp_path, title, module, code, test, diagnosis):
    verdicts = grade_in_process(package_with(tmp_path, **{module: code}))
    # A wrong value fails; an exception (of a function written for another layout, say) is an error.
    assert verdicts[test].status in ("failed", "error")
    assert re.search(diagnosis, verdicts[test].message), verdicts[test].message
    untouched = [n for n, v in verdicts.items() if not v.passed and not n.startswith(module) and
                 not (module == "losses" and n.startswith("models"))]
    assert untouched == []


def test_hidden_tests_never_show_expected_values(tmp_path):
    package = package_with(tmp_path, losses="""
        _correct = svm_loss_naive
        def svm_loss_naive(W, X, y, reg):
            loss, dW = _correct(W, X, y, reg)
            return 2 * loss, 2 * dW
        """)
    verdicts = grade_in_process(package, seed=8)
    plan = catalogue.build_plan(8)
    reference = load_reference().module("losses")
    hidden = [v for n, v in verdicts.items() if n.startswith("losses.svm_loss_naive.") and v.hidden]
    assert hidden and all(v.details is None for v in hidden)
    assert all(v.status == "failed" for v in hidden if not v.name.endswith("inputs_unmodified"))
    for case in plan.cases.values():
        if case.target == "svm_loss_naive":
            loss = reference.svm_loss_vectorized(case.args["W"], case.args["X"], case.args["y"], case.args["reg"])[0]
            for verdict in hidden:
                assert f"{loss:.4g}" not in verdict.message
    visible = verdicts["losses.svm_loss_naive.loss"]
    assert not visible.hidden and visible.details["expected"] is not None


@pytest.mark.parametrize("result", [
    None, "text", {"outputs": {"loss": 1.0}}, {"outputs": "garbage"},
    {"outputs": {"loss": {"__array__": "object", "shape": [], "b64": ""}}},
    {"outputs": {name: {"__array__": "float64", "shape": [3], "b64": "AAAA"} for name in runners.OUTPUTS["loss"]}},
    {"error": {"type": 3}}, {"error": "boom"},
])
def test_malformed_results_from_a_sandbox_become_crashed_outcomes(result):
    case = catalogue.build_plan(0).cases["losses.svm_loss_naive@basic"]
    assert execution.outcome_from_result(case, result).status == "crashed"


def test_results_of_the_wrong_shape_fail_only_their_test():
    plan = catalogue.build_plan(0)
    judge = catalogue.Judge(plan, load_reference())
    outcomes = {}
    for key, case in plan.cases.items():
        outputs = execution.run_call(case, load_reference().target(case.module, case.target), load_reference()).outputs
        if case.target == "svm_loss_naive":
            outputs.update(loss=np.zeros(7), dW=np.zeros((2, 2, 2)))
        outcomes[key] = catalogue.Outcome("ok", outputs={k: (v.astype(float) if isinstance(v, np.ndarray) else v)
                                                         for k, v in outputs.items()})
    verdicts = {t.name: judge.verdict(t, outcomes) for t in plan.tests}
    failed = sorted(n for n, v in verdicts.items() if not v.passed)
    assert failed and all(n.startswith("losses.svm_loss_naive.") for n in failed)
    # The inputs came back unchanged, but that is worth nothing from a loss that is not a number.
    assert verdicts["losses.svm_loss_naive.inputs_unmodified"].message.startswith(
        "not awarded: this test counts only when losses.svm_loss_naive.loss (the loss on a small batch) or "
        "losses.svm_loss_naive.gradient")


#: A mistake planted in one function: (module, code defining the function, the notebook check that runs it,
#: the grader's test that fails on it, the id of the mistake both must name).
PLANTED = {
    "L2 penalty halved": ("regularization", """
        def l2_penalty(W):
            return float(0.5 * np.sum(W * W)), 2.0 * W
        """, "check_l2_penalty", "regularization.l2_penalty.value", "l2_half"),
    "elastic net with beta on the L1 part": ("regularization", """
        def elastic_net_penalty(W, beta=0.5):
            return float(np.sum(W * W + beta * np.abs(W))), 2.0 * beta * W + np.sign(W)
        """, "check_elastic_net_penalty", "regularization.elastic_net_penalty.value", "elastic_beta_on_l1"),
    "sgd stepping uphill": ("optim", """
        def sgd(w, dw, config=None):
            config = {} if config is None else config
            config.setdefault("learning_rate", 1e-2)
            return w + config["learning_rate"] * dw, config
        """, "check_sgd", "optim.sgd.one_step", "step_uphill"),
    "momentum that never reads its velocity back": ("optim", """
        def sgd_momentum(w, dw, config=None):
            config = {} if config is None else config
            config.setdefault("learning_rate", 1e-2)
            config.setdefault("momentum", 0.9)
            config["velocity"] = -config["learning_rate"] * dw
            return w + config["velocity"], config
        """, "check_sgd_momentum", "optim.sgd_momentum.steps", "velocity_not_stored"),
    "step decay without the floor": ("optim", """
        def step_decay(learning_rate, t, decay_rate=0.5, decay_every=100):
            return learning_rate * decay_rate ** (t / decay_every)
        """, "check_step_decay", "optim.step_decay.values", "step_decay_smooth"),
    "cosine decay in degrees": ("optim", """
        def cosine_decay(learning_rate, t, T):
            return 0.5 * learning_rate * (1 + np.cos(180 * t / T))
        """, "check_cosine_decay", "optim.cosine_decay.values", "cosine_degrees"),
    "forward differences": ("gradients", """
        def eval_numerical_gradient(f, x, verbose=False, h=1e-5):
            grad = np.zeros(x.shape)
            base = f(x)
            for ix in np.ndindex(x.shape):
                old = x[ix]
                x[ix] = old + h
                grad[ix] = (f(x) - base) / h
                x[ix] = old
            return grad
        """, "check_eval_numerical_gradient", "gradients.eval_numerical_gradient.values", "forward_difference"),
    "gradient check errors not divided": ("gradients", """
        def grad_check_sparse(f, x, analytic_grad, num_checks=10, h=1e-5, seed=None, verbose=False):
            rng = np.random.default_rng(seed)
            errors = np.zeros(num_checks)
            for k in range(num_checks):
                ix = tuple(int(rng.integers(n)) for n in x.shape)
                old = x[ix]
                x[ix] = old + h
                plus = f(x)
                x[ix] = old - h
                minus = f(x)
                x[ix] = old
                errors[k] = abs((plus - minus) / (2 * h) - analytic_grad[ix])
            return errors
        """, "check_grad_check_sparse", "gradients.grad_check_sparse.errors", "errors_not_divided"),
    "SVM counting the correct class": ("losses", """
        def svm_loss_naive(W, X, y, reg):
            dW = np.zeros(W.shape)
            loss = 0.0
            for i in range(X.shape[0]):
                scores = X[i].dot(W)
                for j in range(W.shape[1]):
                    margin = scores[j] - scores[y[i]] + 1
                    if margin > 0:
                        loss += margin
                        dW[:, j] += X[i]
                        dW[:, y[i]] -= X[i]
            return loss / X.shape[0] + reg * np.sum(W * W), dW / X.shape[0] + 2 * reg * W
        """, "check_svm_loss_naive", "losses.svm_loss_naive.loss", "svm_correct_class_counted"),
    "softmax without the max shift": ("losses", """
        def softmax_loss_vectorized(W, X, y, reg):
            scores = X @ W
            probs = np.exp(scores) / np.exp(scores).sum(axis=1, keepdims=True)
            loss = -np.log(probs[np.arange(len(y)), y]).mean() + reg * np.sum(W * W)
            probs[np.arange(len(y)), y] -= 1
            return loss, X.T @ probs / len(y) + 2 * reg * W
        """, "check_softmax_loss_vectorized", "losses.softmax_loss_vectorized.loss.large_scores", "exp_overflow"),
    "softmax shifted by the batch's maximum": ("losses", """
        def softmax_loss_vectorized(W, X, y, reg):
            scores = X @ W
            scores = scores - np.max(scores)
            probs = np.exp(scores) / np.exp(scores).sum(axis=1, keepdims=True)
            loss = -np.log(probs[np.arange(len(y)), y]).mean() + reg * np.sum(W * W)
            probs[np.arange(len(y)), y] -= 1
            return loss, X.T @ probs / len(y) + 2 * reg * W
        """, "check_softmax_loss_vectorized", "losses.softmax_loss_vectorized.loss.large_scores",
        "global_max_shift"),
    "SVM in CS231n's 2015 layout": ("losses", """
        def svm_loss_naive(W, X, y, reg):
            dW = np.zeros(W.shape)
            loss = 0.0
            for i in range(X.shape[1]):
                scores = W.dot(X[:, i])
                for j in range(W.shape[0]):
                    margin = scores[j] - scores[y[i]] + 1
                    if j != y[i] and margin > 0:
                        loss += margin
                        dW[j, :] += X[:, i]
                        dW[y[i], :] -= X[:, i]
            return loss / X.shape[1] + reg * np.sum(W * W), dW / X.shape[1] + 2 * reg * W
        """, "check_svm_loss_naive", "losses.svm_loss_naive.loss", "cs231n_2015_layout"),
}


@pytest.mark.parametrize("title", PLANTED)
def test_the_notebook_check_and_the_grader_name_a_planted_mistake_with_the_same_sentence(
        tmp_path, reference_as_notebooks_import_it, title):
    module_name, code, check_name, test, mistake = PLANTED[title]
    package = reference_as_notebooks_import_it
    module = getattr(package, module_name)
    namespace = dict(vars(module))
    exec(textwrap.dedent(code), namespace)
    function = namespace[re.search(r"def (\w+)", code).group(1)]
    check = getattr(importlib.import_module(f"{course.PACKAGE}.checks.{module_name}"), check_name)
    with np.errstate(all="ignore"), pytest.raises(package.checks.report.CheckFailed) as failure:
        check(function)
    in_notebook = {getattr(h, "mistake", None): str(h) for h in failure.value.hints}

    verdict = grade_in_process(package_with(tmp_path, **{module_name: code}), groups=[course.group_of(test)])[test]
    assert mistake in in_notebook and mistake in verdict.mistakes, (in_notebook, verdict.message)
    # The sentence of the list of mistakes in both, the fields (shapes of the inputs) filled in for each.
    template = load_reference().module("checks.mistakes").MISTAKES[mistake]
    for part in re.split(r"\{\w+\}", template):
        assert part in in_notebook[mistake] and part in verdict.message, part


# --- integrity: points only for facts a function that computes nothing cannot earn ------------------------------------

NOTHING = {
    "losses": """
        def _nothing(W, X, y, reg):
            return 0.0, np.zeros(W.shape)

        svm_loss_naive = svm_loss_vectorized = softmax_loss_naive = softmax_loss_vectorized = _nothing
        """,
    "gradients": """
        def eval_numerical_gradient(f, x, verbose=False, h=1e-5):
            return np.zeros(x.shape)

        def grad_check_sparse(f, x, analytic_grad, num_checks=10, h=1e-5, seed=None, verbose=False):
            return np.zeros(num_checks)
        """,
    "regularization": """
        def _nothing(W, beta=0.5):
            return 0.0, np.zeros(W.shape)

        l2_penalty = l1_penalty = elastic_net_penalty = _nothing
        """,
    "optim": """
        def sgd(w, dw, config=None):
            return w, config or {}

        sgd_momentum = sgd

        def step_decay(learning_rate, t, decay_rate=0.5, decay_every=100):
            return 0.0

        def cosine_decay(learning_rate, t, T):
            return 0.0
        """,
    "models": """
        def _train(self, X, y, learning_rate=1e-3, reg=1e-5, num_iters=100, batch_size=200, verbose=False,
                   seed=None):
            self.W = np.zeros((X.shape[1], int(np.max(y)) + 1))
            return [0.0] * num_iters

        def _predict(self, X):
            return np.zeros(X.shape[0], dtype=int)

        LinearClassifier.train = _train
        LinearClassifier.predict = _predict
        """,
}


def test_a_submission_that_computes_nothing_and_leaves_its_inputs_alone_earns_no_points(tmp_path):
    verdicts = grade_in_process(package_with(tmp_path, **NOTHING))
    points = load_points()
    earned = {name: points[name] * v.credit for name, v in verdicts.items() if v.credit}
    assert earned == {}
    side = verdicts["regularization.l1_penalty.inputs_unmodified"]
    assert side.status == "failed" and "counts only when regularization.l1_penalty.value" in side.message


def test_a_side_property_pays_once_one_main_value_is_right_even_if_other_tests_fail(tmp_path):
    package = package_with(tmp_path, regularization="""
        def l1_penalty(W):
            return float(np.sum(np.abs(W))), np.zeros(W.shape)
        """)
    verdicts = grade_in_process(package, groups=["regularization.l1_penalty"])
    assert verdicts["regularization.l1_penalty.value"].passed
    assert not verdicts["regularization.l1_penalty.gradient"].passed
    assert verdicts["regularization.l1_penalty.inputs_unmodified"].passed


@pytest.mark.parametrize("errors", ["np.zeros(num_checks)", "np.ones(num_checks)", "np.full(num_checks, 0.5)",
                                    "np.full(num_checks, _one_real_error(f, x, analytic_grad, h))"],
                         ids=["zeros", "ones", "a half", "one entry's error repeated"])
def test_grad_check_sparse_reporting_made_up_errors_earns_nothing(tmp_path, errors):
    package = package_with(tmp_path, gradients=f"""
        def _one_real_error(f, x, analytic_grad, h):
            ix = (0,) * x.ndim
            old = x[ix]
            x[ix] = old + h
            plus = f(x)
            x[ix] = old - h
            minus = f(x)
            x[ix] = old
            num, ana = (plus - minus) / (2 * h), analytic_grad[ix]
            return abs(num - ana) / (abs(num) + abs(ana)) if num or ana else 0.0

        def grad_check_sparse(f, x, analytic_grad, num_checks=10, h=1e-5, seed=None, verbose=False):
            return {errors}
        """)
    verdicts = grade_in_process(package, groups=["gradients.grad_check_sparse"])
    assert {name: v.credit for name, v in verdicts.items() if v.credit} == {}


@pytest.mark.parametrize("seed", [0, 7, 2 ** 40 + 3])
def test_every_gradient_check_input_gives_each_entry_its_own_error_and_0_or_1_only_at_improbable_entries(seed):
    numerics = load_reference().module("checks.numerics")
    threshold = load_reference().tolerances.RANDOM_ENTRIES_CHANCE
    plan = catalogue.build_plan(seed, ["gradients.grad_check_sparse"])
    for case in plan.cases.values():
        args = case.args
        per_entry = numerics.error_tables(runners.make_function(args["function"]), args["x"], args["analytic_grad"],
                                          args["h"] or numerics.DEFAULT_STEP)["per_entry"].ravel()
        others = per_entry[(per_entry != 0) & (np.abs(per_entry - 1) > 1e-12)]
        assert all(numerics.matching_entries(error, others).size == 1 for error in others), case.key
        for value in (0.0, 1.0):
            assert numerics.chance_of_entries(np.full(args["num_checks"], value), per_entry) < threshold, case.key
        assert numerics.chance_of_entries(np.full(args["num_checks"], others[0]), per_entry) < 1, case.key


# --- partial credit -----------------------------------------------------------------------------------------------------

HALF_REG = """
    def svm_loss_vectorized(W, X, y, reg):
        num_train = X.shape[0]
        scores = X.dot(W)
        correct = scores[np.arange(num_train), y][:, np.newaxis]
        margins = np.maximum(0, scores - correct + 1.0)
        margins[np.arange(num_train), y] = 0
        loss = np.sum(margins) / num_train + 0.5 * reg * np.sum(W * W)
        binary = (margins > 0).astype(float)
        binary[np.arange(num_train), y] = -np.sum(binary, axis=1)
        dW = X.T.dot(binary) / num_train + reg * W
        return loss, dW
    """


def test_the_half_reg_convention_earns_the_partial_credit_points_toml_grants(tmp_path):
    package = package_with(tmp_path, losses=HALF_REG)
    verdicts = grade_in_process(package, groups=["losses.svm_loss_vectorized"])
    credits = {name.removeprefix("losses.svm_loss_vectorized."): v.credit for name, v in verdicts.items()}
    assert credits == {"loss": 0.5, "loss.shapes": 0.5, "loss.edge_values": 0.5, "gradient": 0.5,
                       "gradient.shapes": 0.5, "gradient.edge_values": 0.5, "inputs_unmodified": 1.0}
    loss = verdicts["losses.svm_loss_vectorized.loss"]
    assert loss.status == "failed" and loss.mistakes == ("half_reg",)
    assert "partial credit: 50% of the points" in loss.message
    assert verdicts["losses.svm_loss_vectorized.gradient"].mistakes == ("half_reg",)


def test_without_a_partial_credit_rule_the_half_reg_convention_scores_nothing(tmp_path):
    plan = catalogue.build_plan(3, ["losses.svm_loss_vectorized"])
    outcomes = execution.run_in_process(plan, list(plan.cases),
                                        Reference(package_with(tmp_path, losses=HALF_REG)).module)
    judge = catalogue.Judge(plan, load_reference(), partial_credit={})
    assert judge.verdict(plan.test("losses.svm_loss_vectorized.loss"), outcomes).credit == 0


def test_partial_credit_needs_every_failing_case_explained_by_the_credited_mistake(tmp_path):
    # The half convention, and one more mistake on W = 0 only: the edge-value tests lose everything.
    package = package_with(tmp_path, losses=HALF_REG + """
    _half = svm_loss_vectorized

    def svm_loss_vectorized(W, X, y, reg):
        loss, dW = _half(W, X, y, reg)
        return (loss + 1.0, dW) if not np.any(W) else (loss, dW)
    """)
    verdicts = grade_in_process(package, groups=["losses.svm_loss_vectorized"])
    assert verdicts["losses.svm_loss_vectorized.loss"].credit == 0.5
    assert verdicts["losses.svm_loss_vectorized.loss.edge_values"].credit == 0


@pytest.mark.parametrize("table, complaint", [
    ("[partial_credit]\nno_such_mistake = 0.5\n", "'no_such_mistake', which the checks do not know"),
    ("[partial_credit]\nhalf_reg = 1.5\n", "half_reg must be a fraction in (0, 1]"),
    ("[partial_credit]\nhalf_reg = 0\n", "half_reg must be a fraction in (0, 1]"),
])
def test_points_refuse_a_partial_credit_rule_for_an_unknown_mistake_or_a_bad_fraction(tmp_path, table, complaint):
    from autograder.points import POINTS_FILE, PointsError

    path = tmp_path / "points.toml"
    text = POINTS_FILE.read_text(encoding="utf-8")
    path.write_text(text[:text.index("\n[partial_credit]\n") + 1] + table, encoding="utf-8")
    with pytest.raises(PointsError) as error:
        load_points(path)
    assert complaint in str(error.value)


# --- fairness: real students' code ---------------------------------------------------------------------------------------

def test_loss_inputs_have_more_classes_than_a_data_set_and_rows_thousands_apart():
    plan = catalogue.build_plan(9, ["losses.softmax_loss_vectorized"])
    classes = {case.args["W"].shape[1] for case in plan.cases.values()}
    assert {12, 20} <= classes
    for name in ("rows_far_apart", "rows_thousands_apart"):
        args = plan.cases[f"losses.softmax_loss_vectorized@{name}"].args
        row_maxima = (args["X"] @ args["W"]).max(axis=1)
        assert row_maxima.max() - row_maxima.min() > 1000
    far = plan.cases["losses.softmax_loss_vectorized@rows_far_apart"].args
    assert np.abs(far["X"] @ far["W"]).max() < 700  # no shift at all still works: only a global shift fails
    large_scores = plan.test("losses.softmax_loss_vectorized.loss.large_scores").cases
    assert "losses.softmax_loss_vectorized@rows_far_apart" in large_scores
