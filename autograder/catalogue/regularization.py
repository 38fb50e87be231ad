"""The regularization penalties' tests: value and (sub)gradient on W of any shape, W left unchanged."""

import numpy as np

from .model import Failure, as_scalar, seeded_rng
from .shared import check_inputs_unmodified


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
    """The W (and, for the elastic net, beta) of penalty input set ``name`` for ``function`` (its declaration)."""
    _, _, shape, special, beta = next(s for s in PENALTY_SETS if s[0] == name)
    rng = seeded_rng(seed, f"penalty:{function.name}:{name}")
    W = rng.standard_normal(shape)
    if special == "zeros":
        W[rng.random(shape) < 0.4] = 0.0
    elif special == "large":
        W *= 1000.0
    elif special == "all_zeros":
        W[:] = 0.0
    args = {"W": W}
    if function.kind == "elastic_net":
        args["beta"] = beta
    return args


def _kind(case):
    return case.declared.kind


def _beta(case):
    return 0.5 if case.args.get("beta") is None else case.args["beta"]


def check_penalty_value(judge, case, got):
    expected, value = judge.expected(case)["value"], got["value"]
    if value.ndim == 0 and judge.close(value, expected):
        return None
    if value.ndim != 0:
        return Failure("the value is not a single number",
                       [judge.mistakes.hint("penalty_not_scalar", shape=value.shape)], as_scalar(expected), value)
    hints = judge.diagnosis.diagnose_penalty_value(float(value), kind=_kind(case), W=case.args["W"], beta=_beta(case))
    return Failure("the penalty value is wrong", hints, as_scalar(expected), float(value))


def check_penalty_gradient(judge, case, got):
    expected, grad, W = judge.expected(case)["grad"], got["grad"], case.args["W"]
    kind = _kind(case)
    if grad.shape == W.shape:
        # At W == 0 any subgradient of |w| in [-1, 1] is correct; the L2 part is 0 there.
        free = (W == 0) if kind != "l2" else np.zeros(W.shape, dtype=bool)
        tolerance = judge.tolerances.ABSOLUTE
        if judge.close(grad[~free], expected[~free]) and np.all(np.abs(grad[free]) <= 1 + tolerance):
            return None
    hints = judge.diagnosis.diagnose_penalty_gradient(grad, kind=kind, W=W, beta=_beta(case))
    return Failure("the (sub)gradient is wrong", hints, expected, grad)


def add_tests(plan, function):
    """Add the cases and tests of the penalty ``function`` (its declaration) to ``plan``."""
    group, (runner,) = function.group, function.runners
    names = [s[0] for s in PENALTY_SETS if s[0] != "beta_zero" or function.kind == "elastic_net"]
    labels = {s[0]: s[1] for s in PENALTY_SETS}
    keys = {name: plan.case(group, name, runner, labels[name], penalty_inputs(plan.seed, function, name))
            for name in names}
    edge_keys = [keys[n] for n in names if n != "basic"]
    plan.test(group, "value", False, "the penalty of a (4, 3) W", [keys["basic"]], check_penalty_value)
    plan.test(group, "value.edge_cases", True, "the penalty for zeros, 1-D and 3-D W and large weights", edge_keys,
              check_penalty_value)
    plan.test(group, "gradient", False, "the (sub)gradient for a (4, 3) W", [keys["basic"]], check_penalty_gradient)
    plan.test(group, "gradient.edge_cases", True, "the (sub)gradient for zeros, 1-D and 3-D W and large weights",
              edge_keys, check_penalty_gradient)
    plan.test(group, "inputs_unmodified", True, "W is unchanged", list(keys.values()), check_inputs_unmodified("W"),
              returned_only=True, requires=(f"{group}.value", f"{group}.gradient"))


#: The kinds of penalty this module grades (:attr:`autograder.graded.GradedFunction.kind`, the diagnoses' word).
ADD_TESTS = {"l2": add_tests, "l1": add_tests, "elastic_net": add_tests}
