"""What the autograder checks: the tests, their inputs, and how results are judged.

A *case* is one call of one student function on one input set (run by a
runner of :mod:`autograder.worker`). A *test* judges one or more cases and is
worth the points :mod:`autograder.points` gives its name. Test names begin with
their *group*, the ``module.function`` they check (one nbgrader test cell per
group, see :data:`GROUPS`).

Inputs are generated per student from a seed, as plain arrays, and every
expected value comes from the reference solution run by the same runner on
the same inputs, in the trusted grader. Diagnoses come from
``linear_classifier/checks/diagnosis.py`` of the reference. Visible tests may
show their inputs, expected and returned values; hidden tests show only their
name and diagnosis.

Tolerances: numbers are compared with ``checks/tolerances.py`` (RELATIVE and
ABSOLUTE). The few grading thresholds that are not float tolerances are the
module constants below.
"""

import zlib
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from .calls import runners, wire
from .course import GROUPS, grade_id  # noqa: F401 (grade_id: part of the catalogue's vocabulary)
from .packages import load_reference

#: A model passes ``accuracy`` when its trained weights classify at least this fraction of the
#: fixed validation set correctly (the reference reaches about 0.97).
MODEL_ACCURACY = 0.85
#: ``train`` must bring the full training loss (reference loss, requested reg) below this fraction
#: of the loss at W = 0 (C - 1 for the SVM, log C for softmax).
MODEL_LOSS_FRACTION = 0.5
#: ``x`` counts as restored when every entry is back within this many ulp-sized relative steps:
#: ``x[ix] += h; ...; x[ix] -= h`` may leave a rounding error, leaving ``x + h`` may not.
RESTORED_RELATIVE = 1e-12
RESTORED_ABSOLUTE = 1e-15
#: Statuses a test can end with (grades.csv, results.json).
STATUSES = ("passed", "failed", "error", "not_implemented", "timeout", "crashed", "protocol", "import_error",
            "missing", "skipped")


@dataclass(frozen=True)
class Case:
    """One call of a student function (``module.target``) on one input set."""

    key: str
    module: str
    target: str
    runner: str
    label: str
    args: dict
    seed: int
    #: The reference function whose outputs on the same args are expected, and the input set's name:
    #: cases with the same pair share one reference run.
    reference: tuple

    def call(self):
        """The plain-data call the worker executes."""
        return {"key": self.key, "module": self.module, "target": self.target, "runner": self.runner,
                "seed": self.seed, "args": wire.encode(self.args)}


@dataclass(frozen=True)
class GradingTest:
    """A graded test: ``check(judge, case, outputs)`` returns None or a Failure for each case."""

    name: str
    group: str
    hidden: bool
    what: str
    cases: tuple
    check: object
    #: Judge only the cases that returned (e.g. "inputs unmodified"); fail only if none did.
    returned_only: bool = False


@dataclass
class Failure:
    """Why a case failed a check: a problem, likely causes, and (visible tests only) values to show."""

    problem: str
    hints: list = field(default_factory=list)
    expected: object = None
    got: object = None


@dataclass
class Outcome:
    """What running a case on a student's code gave: outputs, or a status and an explanation."""

    status: str  # "ok", "error", "timeout", "crashed", "protocol", "import_error", "missing", "skipped"
    outputs: dict = None
    error: dict = None
    message: str = ""


@dataclass
class Verdict:
    """The result of one test for one student."""

    name: str
    group: str
    hidden: bool
    what: str
    status: str
    message: str = ""
    #: Visible tests only: the failing case's inputs, expected and returned values.
    details: dict = None

    @property
    def passed(self):
        return self.status == "passed"


class GradingError(RuntimeError):
    """The grader itself cannot judge (e.g. the reference solution failed): grading must stop."""


# -- inputs --------------------------------------------------------------------


def _rng(seed, family):
    return np.random.default_rng([int(seed) % 2 ** 63, zlib.crc32(family.encode())])


#: name, label, N, D, C, reg, special
LOSS_SETS = (
    ("basic", "a small batch (N = 8, D = 5, C = 4)", 8, 5, 4, 0.1, None),
    ("one_example", "a single example (N = 1)", 1, 6, 3, 0.05, None),
    ("two_classes", "two classes (C = 2)", 10, 4, 2, 0.2, None),
    ("seven_classes", "seven classes (C = 7)", 12, 3, 7, 0.01, None),
    ("one_feature", "a single feature (D = 1)", 9, 1, 5, 0.1, None),
    ("many_features", "many features (D = 300)", 15, 300, 10, 1e-3, None),
    ("zero_weights", "all-zero weights (W = 0)", 6, 4, 5, 0.5, "zeros"),
    ("some_zero_weights", "weights with exact zeros", 10, 6, 4, 0.3, "some_zeros"),
    ("large_reg", "strong regularization (reg = 1000)", 7, 5, 3, 1e3, None),
    ("no_reg", "no regularization (reg = 0)", 7, 5, 3, 0.0, None),
    ("large_scores", "large scores (hundreds, like the lecture's [123, 456, 789])", 6, 4, 5, 1e-3, "large"),
)


def loss_inputs(seed, name):
    """The (W, X, y, reg) of loss input set ``name`` for a student seed."""
    _, _, N, D, C, reg, special = next(s for s in LOSS_SETS if s[0] == name)
    rng = _rng(seed, "loss:" + name)
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
    return {"W": W, "X": X, "y": y, "reg": float(reg)}


#: name, label, shape, h
NUMERICAL_GRADIENT_SETS = (
    ("basic", "x of shape (3, 4)", (3, 4), None),
    ("vector", "a 1-D x of shape (7,)", (7,), None),
    ("tensor", "a 3-D x of shape (2, 3, 2)", (2, 3, 2), None),
    ("single", "x with a single entry", (1,), None),
    ("wide_step", "a larger step h = 1e-3", (4, 3), 1e-3),
)


def numerical_gradient_inputs(seed, name):
    """x and a cubic f whose forward differences differ clearly from centered ones."""
    _, _, shape, h = next(s for s in NUMERICAL_GRADIENT_SETS if s[0] == name)
    rng = _rng(seed, "numgrad:" + name)
    x = rng.uniform(0.05, 0.5, shape) * rng.choice([-1.0, 1.0], shape)
    function = {"a": rng.uniform(-1, 1, shape), "b": rng.uniform(2, 5, shape) * rng.choice([-1.0, 1.0], shape),
                "c": rng.uniform(-1, 1, shape)}
    return {"x": x, "h": h, "function": function}


#: name, label, shape, num_checks, h, zero entries
GRAD_CHECK_SETS = (
    ("basic", "x of shape (5, 4), 10 checks", (5, 4), 10, None, False),
    ("wide_step", "a larger step h = 1e-3", (6,), 8, 1e-3, False),
    ("tensor", "a 3-D x, 15 checks", (2, 3, 4), 15, None, False),
    ("zero_entries", "entries where the numerical and analytic gradients are both 0", (4, 4), 12, None, True),
    ("many_checks", "60 checks on 9 entries", (3, 3), 60, None, False),
)
#: analytic = factor * true gradient: relative errors 0, 1/5, 1/3, 1, 1/2, 1/21, 1/19, 1 whichever entry is checked.
GRAD_CHECK_FACTORS = (1.0, 1.5, 0.5, -1.0, 3.0, 1.1, 0.9, -0.25)


def grad_check_inputs(seed, name):
    """A quadratic f (centered differences are exact), x, and an analytic gradient with known errors."""
    _, _, shape, num_checks, h, zero_entries = next(s for s in GRAD_CHECK_SETS if s[0] == name)
    rng = _rng(seed, "gradcheck:" + name)
    x = rng.uniform(-1, 1, shape)
    b = rng.uniform(1, 4, shape) * rng.choice([-1.0, 1.0], shape)
    c = rng.uniform(-1, 1, shape)
    gradient = 2 * b * x + c
    # Keep gradients away from 0, where rounding would make relative errors meaningless.
    small = np.abs(gradient) < 0.2
    c[small] += np.where(gradient[small] >= 0, 0.5, -0.5)
    gradient = 2 * b * x + c
    factors = rng.choice(GRAD_CHECK_FACTORS, shape)
    factors.flat[: len(GRAD_CHECK_FACTORS)] = GRAD_CHECK_FACTORS[: factors.size]
    analytic = factors * gradient
    if zero_entries:
        # Entries f does not depend on: both gradients are exactly 0, the error is 0 by convention.
        unused = rng.random(shape) < 0.5
        b[unused] = c[unused] = analytic[unused] = 0.0
    function = {"a": np.zeros(shape), "b": b, "c": c}
    return {"x": x, "analytic_grad": analytic, "function": function, "num_checks": num_checks, "h": h,
            "seed": int(rng.integers(2 ** 31)), "repeat": 2}


#: name, label, shape, special, elastic-net beta (None: the default)
PENALTY_SETS = (
    ("basic", "W of shape (4, 3)", (4, 3), None, None),
    ("with_zeros", "W with exact zeros", (5, 4), "zeros", 0.2),
    ("vector", "a 1-D W", (7,), None, 1.5),
    ("tensor", "a 3-D W", (2, 3, 2), None, None),
    ("large", "large weights (about 1000)", (3, 3), "large", 0.05),
    ("all_zeros", "W = 0", (3, 4), "all_zeros", 0.3),
    ("beta_zero", "beta = 0 (elastic net only)", (4, 4), None, 0.0),
)


def penalty_inputs(seed, function, name):
    _, _, shape, special, beta = next(s for s in PENALTY_SETS if s[0] == name)
    rng = _rng(seed, f"penalty:{function}:{name}")
    W = rng.standard_normal(shape)
    if special == "zeros":
        W[rng.random(shape) < 0.4] = 0.0
    elif special == "large":
        W *= 1000.0
    elif special == "all_zeros":
        W[:] = 0.0
    args = {"W": W}
    if function == "elastic_net_penalty":
        args["beta"] = beta
    return args


#: name, label, shape, steps, config: "lr", "lr+momentum" or None (defaults)
OPTIMIZER_SETS = {
    "sgd": (("one_step", "one step with a given learning rate", (4, 3), 1, "lr"),
            ("defaults", "config=None (the default learning rate 1e-2)", (5,), 1, None),
            ("steps", "five steps, the config passed back each time", (3, 2, 2), 5, "lr")),
    "sgd_momentum": (("first_step", "the first step (velocity starts at 0)", (4, 3), 1, "lr+momentum"),
                     ("steps", "six steps, the config passed back each time", (3, 4), 6, "lr+momentum"),
                     ("defaults", "config=None (learning rate 1e-2, momentum 0.9), four steps", (5,), 4, None)),
}


def optimizer_inputs(seed, function, name):
    _, _, shape, steps, config = next(s for s in OPTIMIZER_SETS[function] if s[0] == name)
    rng = _rng(seed, f"optim:{function}:{name}")
    args = {"w": rng.standard_normal(shape), "dws": [rng.standard_normal(shape) for _ in range(steps)],
            "config": None}
    if config:
        args["config"] = {"learning_rate": float(np.round(rng.uniform(0.05, 0.5), 4))}
        if config == "lr+momentum":
            args["config"]["momentum"] = float(np.round(rng.uniform(0.5, 0.95), 3))
    return args


def schedule_inputs(seed, function, name):
    rng = _rng(seed, f"schedule:{function}:{name}")
    lr = float(np.round(rng.uniform(0.01, 1.0), 4))
    if function == "step_decay":
        if name == "values":
            cases = [{"learning_rate": lr, "t": t, "decay_rate": 0.5, "decay_every": 100} for t in (0, 50, 100, 250)]
        else:
            cases = [{"learning_rate": lr, "t": t} for t in (0, 99, 100, 199, 200, 1234)]
            cases += [{"learning_rate": lr, "t": 7, "decay_rate": 0.1, "decay_every": 1},
                      {"learning_rate": lr, "t": 89, "decay_rate": 0.9, "decay_every": 30},
                      {"learning_rate": lr, "t": 90, "decay_rate": 0.9, "decay_every": 30}]
    else:
        if name == "values":
            cases = [{"learning_rate": lr, "t": t, "T": 100} for t in (0, 25, 50, 100)]
        else:
            steps = ((0, 1), (1, 1), (3, 7), (999, 1000), (500, 1000))
            cases = [{"learning_rate": lr, "t": t, "T": T} for t, T in steps]
    return {"cases": cases}


#: The fixed training problem of the model tests (the same for every student).
MODEL_PROBLEM_SEED = 20240601
#: Hyperparameters every student's model is trained with.
MODEL_TRAINING = {
    "LinearSVM": {"learning_rate": 0.01, "reg": 0.0123, "num_iters": 200, "batch_size": 37},
    "Softmax": {"learning_rate": 0.05, "reg": 0.0123, "num_iters": 200, "batch_size": 37},
}


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
    rng = _rng(seed, "predict:" + name)
    rows = 1 if name == "one_row" else 6
    return {"W": rng.standard_normal((5, 3)), "X": rng.standard_normal((rows, 5))}


# -- checks ----------------------------------------------------------------------


class Judge:
    """Judges a student's outcomes against the reference run on the same inputs.

    Reference runs are made lazily and at most once per (reference function, input set).
    """

    def __init__(self, plan, reference=None):
        self.plan = plan
        self.reference = reference or load_reference()
        self._expected = {}
        self._cache = {}

    @cached_property
    def tolerances(self):
        return self.reference.tolerances

    @cached_property
    def diagnosis(self):
        return self.reference.diagnosis

    def close(self, got, expected, **kwargs):
        return self.reference.report.close(got, expected, **kwargs)

    def expected(self, case):
        """The reference outputs for ``case`` (plain data, exactly as a student's would come back)."""
        key = case.reference
        if key not in self._expected:
            module, target = key[0].split(".")
            services = runners.loss_service(case.runner, case.target, case.args, self.reference.module("losses"))
            result = runners.run_call(case.call(), self.reference.target(module, target), services=services)
            if "error" in result:
                error = result["error"]
                raise GradingError(f"the reference {key[0]} failed on input set {key[1]!r}: "
                                   f"{error['type']}: {error['message']}")
            self._expected[key] = wire.decode(result["outputs"])
            if services:
                self._expected[key].update(services.records())
        return self._expected[key]

    def cached(self, key, compute):
        if key not in self._cache:
            self._cache[key] = compute()
        return self._cache[key]

    def verdict(self, test, outcomes):
        """Judge one test from the outcomes of its cases."""
        first_problem = None
        judged = 0
        for key in test.cases:
            case, outcome = self.plan.cases[key], outcomes[key]
            if outcome.status != "ok":
                if test.returned_only:
                    first_problem = first_problem or (case, outcome)
                    continue
                return self._unrun(test, case, outcome)
            judged += 1
            try:
                failure = test.check(self, case, outcome.outputs)
            except GradingError:
                raise
            except Exception as error:  # noqa: BLE001 (a result no check foresaw must not stop the batch)
                failure = Failure(f"the result could not be judged ({type(error).__name__}: {error})")
            if failure is not None:
                return self._failed(test, case, failure)
        if judged == 0 and first_problem is not None:
            return self._unrun(test, *first_problem)
        return Verdict(test.name, test.group, test.hidden, test.what, "passed")

    def _failed(self, test, case, failure):
        message = f"{case.label}: {failure.problem}"
        if failure.hints:
            message += "; likely cause: " + "; ".join(failure.hints)
        details = None
        if not test.hidden:
            details = {"inputs": {k: v for k, v in case.args.items() if k != "function"},
                       "expected": failure.expected, "got": failure.got}
        return Verdict(test.name, test.group, test.hidden, test.what, "failed", message, details)

    def _unrun(self, test, case, outcome):
        status, message = outcome.status, outcome.message
        if outcome.status == "error":
            error = outcome.error
            where = f" ({error['where']})" if error.get("where") else ""
            status = {"not_implemented": "not_implemented", "bad_result": "failed", "missing": "missing"}.get(
                error.get("kind"), "error")
            if error.get("kind") == "bad_result":
                message = error["message"]
            elif error.get("kind") == "memory":
                message = f"ran out of memory (MemoryError{where}): the grader limits memory; avoid huge arrays"
            elif error.get("kind") == "interrupt":
                message = f"raised KeyboardInterrupt{where}: a graded function must return its result"
            elif error.get("kind") == "exit":
                message = (f"called exit() or sys.exit() (SystemExit{where}): a graded function must return "
                           "its result, not end the program")
            else:
                message = f"{error['type']}: {error['message']}{where}"
        return Verdict(test.name, test.group, test.hidden, test.what, status, f"{case.label}: {message}")


def _scalar(value):
    value = np.asarray(value, dtype=float)
    return float(value) if value.ndim == 0 else value


def _loss_kind(case):
    return "svm" if case.target.startswith("svm") else "softmax"


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
        if _loss_kind(case) == "svm":
            scores = X @ W
            margins = np.maximum(0.0, scores - scores[np.arange(len(y)), y][:, None] + 1.0)
            margins[np.arange(len(y)), y] = 0.0
            squared = float(np.mean(np.sum(margins ** 2, axis=1)))
        return per_example, data_grad, squared, score_grads

    return judge.cached(("loss-parts",) + case.reference, compute)


def _class_losses(judge, case):
    """The reference loss of each example under each label: entry [i, c] is -log p[i, c] for softmax."""
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


def check_loss_value(judge, case, got):
    expected, W = judge.expected(case)["loss"], case.args["W"]
    loss = got["loss"]
    if loss.ndim != 0:
        return Failure("the loss is not a single number", judge.diagnosis.diagnose_result_type(loss, None, W),
                       _scalar(expected), loss)
    if judge.close(loss, expected):
        return None
    hints = judge.diagnosis.diagnose_result_type(float(loss), None, W)
    if not hints:
        per_example, _, squared, _ = _loss_parts(judge, case)
        reg_term = case.args["reg"] * float(np.sum(W * W))
        hints = judge.diagnosis.diagnose_loss(float(loss), kind=_loss_kind(case), data_losses=per_example,
                                              reg_term=reg_term, squared_hinge=squared)
        if not hints and _loss_kind(case) == "softmax":
            hints = judge.diagnosis.diagnose_softmax_loss(float(loss), class_losses=_class_losses(judge, case),
                                                          y=case.args["y"], reg_term=reg_term)
    return Failure("the loss is wrong", hints, _scalar(expected), float(loss))


def check_loss_gradient(judge, case, got):
    expected, W = judge.expected(case)["dW"], case.args["W"]
    dW = got["dW"]
    if dW.shape == expected.shape and judge.close(dW, expected):
        return None
    hints = judge.diagnosis.diagnose_result_type(0.0, dW, W)
    if not hints:
        _, data_grad, _, _ = _loss_parts(judge, case)
        hints = judge.diagnosis.diagnose_gradient(dW, data_grad=data_grad, W=W, reg=case.args["reg"],
                                                  num_examples=len(case.args["y"]))
        if not hints and _loss_kind(case) == "softmax":
            hints = judge.diagnosis.diagnose_softmax_gradient(dW, data_grad=data_grad, X=case.args["X"],
                                                              y=case.args["y"], W=W, reg=case.args["reg"])
        elif not hints:
            wrong_class, correct_class, violations = _svm_gradient_parts(judge, case)
            hints = judge.diagnosis.diagnose_svm_gradient(
                dW, wrong_class_grad=wrong_class, correct_class_grad=correct_class, violations=violations,
                X=case.args["X"], y=case.args["y"], W=W, reg=case.args["reg"])
    return Failure("the gradient dW is wrong", hints, expected, dW)


def check_inputs_unmodified(*names):
    def check(judge, case, got):
        before = {name: case.args[name] for name in names}
        after = {name: got[name] for name in names}
        hints = judge.diagnosis.diagnose_modified_inputs(before, after)
        if hints:
            changed = [name for name in names if not np.array_equal(before[name], after[name])]
            return Failure(f"the input {', '.join(changed)} was modified", hints)
        if got.get("wrote_read_only"):
            # The grader passes inputs read-only: the write failed, and the call's values come from a rerun.
            return Failure(f"the function writes into its input{'s' if len(names) > 1 else ''} "
                           f"{', '.join(names)} in place",
                           ["numpy refused a write to an input (the grader passes them read-only): work on a copy, "
                            "e.g. scores = scores - max instead of scores -= max on a view of an input"])
        return None

    return check


def _restored(before, after):
    return before.shape == after.shape and bool(
        np.all(np.abs(after - before) <= RESTORED_ABSOLUTE + RESTORED_RELATIVE * np.abs(before)))


def _forward_differences(args):
    f = runners.make_function(args["function"])
    x = args["x"].copy()
    h = args["h"] if args.get("h") is not None else 1e-5
    grad = np.zeros(x.shape)
    base = f(x)
    for ix in np.ndindex(x.shape):
        old = x[ix]
        x[ix] = old + h
        grad[ix] = (f(x) - base) / h
        x[ix] = old
    return grad


def check_numerical_gradient(judge, case, got):
    expected = judge.expected(case)["grad"]
    grad = got["grad"]
    if grad.shape == expected.shape and judge.close(grad, expected):
        return None
    hints = judge.diagnosis.diagnose_numerical_gradient(
        grad, centered=expected, forward=_forward_differences(case.args),
        modified_input=not _restored(case.args["x"], got["x"]))
    return Failure("the numerical gradient is wrong", hints, expected, grad)


def check_x_restored(judge, case, got):
    if _restored(case.args["x"], got["x"]):
        return None
    return Failure("x was not restored", ["x was not restored: put each entry back to its old value after "
                                          "evaluating f(x + h) and f(x - h)"], case.args["x"], got["x"])


def _grad_check_tables(judge, case):
    """Relative errors at every entry of x: correct, and as common mistakes would compute them."""
    def compute():
        args = case.args
        h = args["h"] if args.get("h") is not None else 1e-5
        f = runners.make_function(args["function"])
        numeric = judge.reference.target("gradients", "eval_numerical_gradient")(f, args["x"].copy(), h=h)
        forward = _forward_differences(args)
        analytic = args["analytic_grad"]

        def relative(num, denominator):
            with np.errstate(all="ignore"):
                safe = np.where(denominator > 0, denominator, 1.0)
                return np.where(denominator > 0, np.abs(num - analytic) / safe, 0.0)

        return {
            "per_entry": relative(numeric, np.abs(numeric) + np.abs(analytic)),
            "forward": relative(forward, np.abs(forward) + np.abs(analytic)),
            "signed": relative(numeric, np.abs(numeric + analytic)),
            "absolute": np.abs(numeric - analytic),
        }

    return judge.cached(("grad-check-tables",) + case.reference, compute)


def check_grad_check_errors(judge, case, got):
    errors, num_checks = got["errors"], case.args["num_checks"]
    tables = _grad_check_tables(judge, case)
    per_entry = tables["per_entry"].reshape(-1)
    tolerance = judge.tolerances

    def matches(value):
        return bool(np.any(np.abs(per_entry - value) <= tolerance.NUMERICAL_GRADIENT_ABSOLUTE
                           + tolerance.NUMERICAL_GRADIENT_RELATIVE * np.abs(per_entry)))

    shown = np.unique(np.round(per_entry, 6))
    if errors.shape == (num_checks,) and all(matches(e) for e in errors):
        distinct = len(np.unique(np.round(errors, 6)))
        if num_checks >= 30 and distinct == 1 and len(shown) > 1:
            return Failure("every check reports the same entry",
                           ["pick a new random entry for each check (e.g. rng.integers for every axis, inside "
                            "the loop)"], shown, errors)
        return None
    hints = judge.diagnosis.diagnose_gradient_check(
        errors, num_checks=num_checks, per_entry=per_entry, forward=tables["forward"],
        signed=tables["signed"], absolute=tables["absolute"])
    return Failure("the reported relative errors are not the errors at any entries of x", hints, shown, errors)


def check_grad_check_seed(judge, case, got):
    if got["errors"].shape == got["repeated"].shape and np.array_equal(got["errors"], got["repeated"]):
        return None
    return Failure("two calls with the same seed reported different errors",
                   ["draw the entries from np.random.default_rng(seed), created inside the function"])


def check_grad_check_inputs(judge, case, got):
    if not _restored(case.args["x"], got["x"]):
        return Failure("x was not restored", ["x was not restored: put each entry back to its old value after "
                                              "evaluating f(x + h) and f(x - h)"])
    return check_inputs_unmodified("analytic_grad")(judge, case, got)


def _penalty_kind(case):
    return {"l2_penalty": "l2", "l1_penalty": "l1", "elastic_net_penalty": "elastic_net"}[case.target]


def _beta(case):
    return 0.5 if case.args.get("beta") is None else case.args["beta"]


def check_penalty_value(judge, case, got):
    expected, value = judge.expected(case)["value"], got["value"]
    if value.ndim == 0 and judge.close(value, expected):
        return None
    if value.ndim != 0:
        return Failure("the value is not a single number",
                       [f"R(W) must be one number summed over all entries; got shape {value.shape}"],
                       _scalar(expected), value)
    hints = judge.diagnosis.diagnose_penalty_value(float(value), kind=_penalty_kind(case), W=case.args["W"],
                                                   beta=_beta(case))
    return Failure("the penalty value is wrong", hints, _scalar(expected), float(value))


def check_penalty_gradient(judge, case, got):
    expected, grad, W = judge.expected(case)["grad"], got["grad"], case.args["W"]
    kind = _penalty_kind(case)
    if grad.shape == W.shape:
        # At W == 0 any subgradient of |w| in [-1, 1] is correct; the L2 part is 0 there.
        free = (W == 0) if kind != "l2" else np.zeros(W.shape, dtype=bool)
        tolerance = judge.tolerances.ABSOLUTE
        if judge.close(grad[~free], expected[~free]) and np.all(np.abs(grad[free]) <= 1 + tolerance):
            return None
    hints = judge.diagnosis.diagnose_penalty_gradient(grad, kind=kind, W=W, beta=_beta(case))
    if not hints and grad.shape == W.shape and np.any(np.abs(grad[W == 0]) > 1):
        hints = ["at W == 0 the subgradient of |w| must lie in [-1, 1]"]
    return Failure("the (sub)gradient is wrong", hints, expected, grad)


def check_update_rule(judge, case, got):
    expected, weights = judge.expected(case)["weights"], got["weights"]
    if weights.shape == expected.shape and judge.close(weights, expected):
        return None
    config = case.args["config"] or {}
    hints = []
    if weights.shape == expected.shape:
        hints = judge.diagnosis.diagnose_update_rule(
            weights, rule=case.target, w=case.args["w"], dws=case.args["dws"],
            learning_rate=config.get("learning_rate", 1e-2), momentum=config.get("momentum", 0.9))
    else:
        hints = [f"next_w must have w's shape {case.args['w'].shape}"]
    problem = "the weights after the step are wrong" if len(case.args["dws"]) == 1 else \
        "the sequence of weights is wrong"
    return Failure(problem, hints, expected, weights)


def check_schedule(judge, case, got):
    expected, values = judge.expected(case)["values"], got["values"]
    if values.shape == expected.shape and judge.close(values, expected):
        return None
    cases = case.args["cases"]
    column = {name: np.array([c.get(name, default) for c in cases], dtype=float)
              for name, default in (("learning_rate", 0), ("t", 0), ("decay_rate", 0.5), ("decay_every", 100),
                                    ("T", 1))}
    kind = "step" if case.target == "step_decay" else "cosine"
    hints = judge.diagnosis.diagnose_schedule(values, kind=kind, **column) if values.shape == expected.shape else []
    return Failure("the learning rates are wrong", hints, expected, values)


def _model_loss(judge, case, W):
    X, y = case.args["X"], case.args["y"]
    function = judge.reference.target("losses", "svm_loss_vectorized" if case.target == "LinearSVM"
                                      else "softmax_loss_vectorized")
    return function(W, X, y, case.args["kwargs"]["reg"])[0]


def _trained_weights(case, got):
    X, y = case.args["X"], case.args["y"]
    shape = (X.shape[1], int(y.max()) + 1)
    W = got["W"]
    if W.shape != shape:
        return None, Failure("self.W has the wrong shape after training",
                             [f"W must have shape (D, C) = {shape}: D = X.shape[1], C = max(y) + 1"])
    if not np.all(np.isfinite(W)):
        return None, Failure("self.W contains NaN or inf after training",
                             ["the training diverged: check the sign of the update W -= learning_rate * dW"])
    return W, None


def check_training(judge, case, got):
    W, failure = _trained_weights(case, got)
    if failure:
        return failure
    history, num_iters = got["history"], case.args["kwargs"]["num_iters"]
    if history.shape != (num_iters,):
        return Failure("train returned the wrong number of losses",
                       [f"return a list with the loss of every iteration: {num_iters} values for "
                        f"num_iters={num_iters}; got {history.size}"])
    num_classes = W.shape[1]
    at_zero = (num_classes - 1.0) if case.target == "LinearSVM" else float(np.log(num_classes))
    final = _model_loss(judge, case, W)
    if not final <= MODEL_LOSS_FRACTION * at_zero:
        hints = []
        if final > at_zero:
            hints.append("the loss grew during training: step against the gradient, W -= learning_rate * dW")
        else:
            hints.append("the loss barely went down: every iteration must take one step "
                         "W -= learning_rate * dW with the minibatch gradient")
        return Failure("training did not reduce the loss enough", hints)
    return None


def check_batch_size(judge, case, got):
    sizes, wanted = got["batch_sizes"], case.args["kwargs"]["batch_size"]
    num_iters = case.args["kwargs"]["num_iters"]
    if sizes.size == 0:
        return Failure("train never called self.loss",
                       ["each iteration must compute the minibatch loss with self.loss(X_batch, y_batch, reg)"])
    if np.all(sizes == wanted) and sizes.size >= num_iters:
        return None
    if sizes.size < num_iters:
        return Failure("train called self.loss fewer times than num_iters",
                       [f"take one minibatch step per iteration: {num_iters} iterations, {sizes.size} calls"])
    seen = sorted({int(s) for s in sizes if np.isfinite(s)})
    hint = f"self.loss saw batches of {', '.join(map(str, seen[:5]))} examples, not batch_size = {wanted}"
    if seen == [case.args["X"].shape[0]]:
        hint += ": that is the whole training set; sample batch_size rows each iteration"
    return Failure("the minibatches do not have the requested size", [hint])


def check_reg(judge, case, got):
    regs, wanted = got["regs"], case.args["kwargs"]["reg"]
    if regs.size == 0:
        return Failure("train never called self.loss",
                       ["each iteration must compute the minibatch loss with self.loss(X_batch, y_batch, reg)"])
    if np.all(np.abs(regs - wanted) <= 1e-12 * wanted):
        return None
    seen = sorted({float(r) for r in regs})[:3]
    return Failure("self.loss did not get the requested reg",
                   [f"train passed reg = {', '.join(f'{r:g}' for r in seen)} to self.loss instead of its own "
                    f"argument reg = {wanted:g}"])


def check_accuracy(judge, case, got):
    W, failure = _trained_weights(case, got)
    if failure:
        return failure
    _, _, X_val, y_val = judge.cached(("model-problem",), model_problem)
    accuracy = float(np.mean(np.argmax(X_val @ W, axis=1) == y_val))
    if accuracy >= MODEL_ACCURACY:
        return None
    return Failure(f"the trained weights reach a validation accuracy of {accuracy:.2f}, below the required "
                   f"{MODEL_ACCURACY:.2f}", ["check the update W -= learning_rate * dW and the minibatch sampling"])


def check_predict(judge, case, got):
    expected, labels = judge.expected(case)["labels"], got["labels"]
    if labels.shape == expected.shape and np.array_equal(labels, expected):
        return None
    rows = case.args["X"].shape[0]
    hints = []
    if labels.shape != expected.shape:
        if labels.ndim == 2:
            hints.append(f"predict returned an array of shape {labels.shape}: return one label per row, "
                         "np.argmax(scores, axis=1)")
        else:
            hints.append(f"predict must return one label per row of X: shape ({rows},), got {labels.shape}")
    elif np.array_equal(labels, np.argmin(case.args["X"] @ case.args["W"], axis=1)):
        hints.append("these are the lowest-scoring classes: use argmax")
    return Failure("the predicted labels are wrong", hints, expected, labels)


# -- the plan ------------------------------------------------------------------


@dataclass
class Plan:
    """Every case and test for one seed (one student)."""

    seed: int
    cases: dict
    tests: list

    def calls(self, keys=None):
        return [self.cases[k].call() for k in (keys if keys is not None else self.cases)]

    def groups(self):
        return list(dict.fromkeys(test.group for test in self.tests))


def build_plan(seed, groups=None):
    """All cases and tests of ``groups`` (every group by default) for one student seed."""
    groups = list(groups) if groups is not None else list(GROUPS)
    unknown = set(groups) - set(GROUPS)
    if unknown:
        raise ValueError(f"unknown groups {sorted(unknown)}; the groups are {GROUPS}")
    cases, tests = {}, []
    call_index = [0]

    def case(group, name, runner, label, args, reference_target):
        module, target = group.split(".")
        key = f"{group}@{name}"
        call_index[0] += 1
        # Round-trip the inputs through the wire format: the reference sees exactly what the student sees.
        cases[key] = Case(key, module, target, runner, label, wire.decode(wire.encode(args)),
                          (seed + zlib.crc32(key.encode())) % 2 ** 32, (reference_target, name))
        return key

    def test(group, aspect, hidden, what, keys, check, returned_only=False):
        tests.append(GradingTest(f"{group}.{aspect}", group, hidden, what, tuple(keys), check, returned_only))

    by_name = {s[0]: s for s in LOSS_SETS}
    for group in [g for g in GROUPS if g.startswith("losses.") and g in groups]:
        target = group.split(".")[1]
        reference = "losses." + ("svm" if target.startswith("svm") else "softmax") + "_loss_vectorized"
        keys = {name: case(group, name, "loss", by_name[name][1], loss_inputs(seed, name), reference)
                for name in by_name}
        shapes = ["one_example", "two_classes", "seven_classes", "one_feature", "many_features"]
        edges = ["zero_weights", "some_zero_weights", "large_reg", "no_reg"]
        if target.startswith("svm"):
            edges.append("large_scores")
        aspects = [("shapes", "for N = 1, C = 2, C = 7, D = 1 and D = 300", shapes),
                   ("edge_values", "with zero weights, reg = 0 and a large reg", edges)]
        if target.startswith("softmax"):
            aspects.append(("large_scores", "for scores in the hundreds (finite and correct)", ["large_scores"]))
        test(group, "loss", False, "the loss on a small batch", [keys["basic"]], check_loss_value)
        for aspect, what, names in aspects:
            test(group, f"loss.{aspect}", True, f"the loss {what}", [keys[n] for n in names], check_loss_value)
        test(group, "gradient", False, "the gradient dW on a small batch", [keys["basic"]], check_loss_gradient)
        for aspect, what, names in aspects:
            test(group, f"gradient.{aspect}", True, f"dW {what}", [keys[n] for n in names], check_loss_gradient)
        test(group, "inputs_unmodified", True, "W, X and y are unchanged after every call", list(keys.values()),
             check_inputs_unmodified("W", "X", "y"), returned_only=True)

    group = "gradients.eval_numerical_gradient"
    if group in groups:
        keys = {name: case(group, name, "numerical_gradient", label, numerical_gradient_inputs(seed, name), group)
                for name, label, _, _ in NUMERICAL_GRADIENT_SETS}
        test(group, "values", False, "centered differences on an x of shape (3, 4)", [keys["basic"]],
             check_numerical_gradient)
        test(group, "any_shape", True, "1-D, 3-D and single-entry x, and a larger h",
             [keys[n] for n in ("vector", "tensor", "single", "wide_step")], check_numerical_gradient)
        test(group, "restores_x", True, "x holds its original values afterwards", list(keys.values()),
             check_x_restored, returned_only=True)

    group = "gradients.grad_check_sparse"
    if group in groups:
        keys = {name: case(group, name, "grad_check", label, grad_check_inputs(seed, name), group)
                for name, label, *_ in GRAD_CHECK_SETS}
        test(group, "errors", False, "each reported error is the relative error at some entry of x",
             [keys["basic"]], check_grad_check_errors)
        test(group, "edge_cases", True, "a larger h, a 3-D x, entries where both gradients are 0, many checks",
             [keys[n] for n in ("wide_step", "tensor", "zero_entries", "many_checks")], check_grad_check_errors)
        test(group, "seed", True, "the same seed gives the same errors", list(keys.values()), check_grad_check_seed)
        test(group, "inputs_unmodified", True, "x is restored and analytic_grad unchanged", list(keys.values()),
             check_grad_check_inputs, returned_only=True)

    for function in ("l2_penalty", "l1_penalty", "elastic_net_penalty"):
        group = "regularization." + function
        if group not in groups:
            continue
        names = [s[0] for s in PENALTY_SETS if s[0] != "beta_zero" or function == "elastic_net_penalty"]
        labels = {s[0]: s[1] for s in PENALTY_SETS}
        keys = {name: case(group, name, "penalty", labels[name], penalty_inputs(seed, function, name), group)
                for name in names}
        edge_keys = [keys[n] for n in names if n != "basic"]
        test(group, "value", False, "the penalty of a (4, 3) W", [keys["basic"]], check_penalty_value)
        test(group, "value.edge_cases", True, "the penalty for zeros, 1-D and 3-D W and large weights", edge_keys,
             check_penalty_value)
        test(group, "gradient", False, "the (sub)gradient for a (4, 3) W", [keys["basic"]], check_penalty_gradient)
        test(group, "gradient.edge_cases", True, "the (sub)gradient for zeros, 1-D and 3-D W and large weights",
             edge_keys, check_penalty_gradient)
        test(group, "inputs_unmodified", True, "W is unchanged", list(keys.values()), check_inputs_unmodified("W"),
             returned_only=True)

    for function in ("sgd", "sgd_momentum"):
        group = "optim." + function
        if group not in groups:
            continue
        sets = OPTIMIZER_SETS[function]
        keys = {name: case(group, name, "optimizer", label, optimizer_inputs(seed, function, name), group)
                for name, label, *_ in sets}
        first, *others = [s[0] for s in sets]
        test(group, first, False, sets[0][1], [keys[first]], check_update_rule)
        for name in others:
            label = next(s[1] for s in sets if s[0] == name)
            test(group, name, True, label, [keys[name]], check_update_rule)

    for function in ("step_decay", "cosine_decay"):
        group = "optim." + function
        if group not in groups:
            continue
        keys = {name: case(group, name, "schedule", label, schedule_inputs(seed, function, name), group)
                for name, label in (("values", "a few steps t"), ("edge_cases", "default arguments and edge steps"))}
        test(group, "values", False, "the learning rate at a few steps", [keys["values"]], check_schedule)
        test(group, "edge_cases", True, "defaults, t = 0, t = T and period boundaries", [keys["edge_cases"]],
             check_schedule)

    X_train, y_train, _, _ = model_problem()
    for model in ("LinearSVM", "Softmax"):
        group = "models." + model
        if group not in groups:
            continue
        train_args = {"X": X_train, "y": y_train, "kwargs": dict(MODEL_TRAINING[model], seed=int(seed % 2 ** 31))}
        train = case(group, "train", "train", "training on a fixed 4-class problem", train_args, group)
        predict = [case(group, name, "predict", label, predict_inputs(seed, name), group)
                   for name, label in (("basic", "6 rows, 3 classes"), ("one_row", "a single row"))]
        test(group, "predict", False, "one label per row: the class with the highest score", predict, check_predict)
        test(group, "train", True, "W has shape (D, C), one loss per iteration, the loss goes down", [train],
             check_training)
        test(group, "batch_size", True, "self.loss sees minibatches of the requested size", [train], check_batch_size)
        test(group, "reg", True, "self.loss gets the requested reg", [train], check_reg)
        test(group, "accuracy", True, f"validation accuracy of at least {MODEL_ACCURACY}", [train], check_accuracy)
        test(group, "inputs_unmodified", True, "X and y are unchanged by train", [train],
             check_inputs_unmodified("X", "y"), returned_only=True)
    return Plan(seed, cases, tests)


def all_test_names():
    """Every test name, in catalogue order (the same for every seed)."""
    return [test.name for test in build_plan(0).tests]
