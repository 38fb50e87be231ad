"""The optimizers' tests: update rules over several steps, and learning-rate schedules."""

import numpy as np

from .model import Failure, seeded_rng

#: The input sets of each update rule (its kind): name, label, shape, steps, config: "lr", "lr+momentum" or
#: None (defaults)
OPTIMIZER_SETS = {
    "sgd": (("one_step", "one step with a given learning rate", (4, 3), 1, "lr"),
            ("defaults", "config=None (the default learning rate 1e-2)", (5,), 1, None),
            ("steps", "five steps, the config passed back each time", (3, 2, 2), 5, "lr")),
    "sgd_momentum": (("first_step", "the first step (velocity starts at 0)", (4, 3), 1, "lr+momentum"),
                     ("steps", "six steps, the config passed back each time", (3, 4), 6, "lr+momentum"),
                     ("defaults", "config=None (learning rate 1e-2, momentum 0.9), four steps", (5,), 4, None)),
}
#: The schedules' input sets.
SCHEDULE_SETS = (("values", "a few steps t"), ("edge_cases", "default arguments and edge steps"))


def optimizer_inputs(seed, function, name):
    """Starting weights, one gradient per step, and the config of optimizer input set ``name`` for ``function``
    (its declaration)."""
    _, _, shape, steps, config = next(s for s in OPTIMIZER_SETS[function.kind] if s[0] == name)
    rng = seeded_rng(seed, f"optim:{function.name}:{name}")
    args = {"w": rng.standard_normal(shape), "dws": [rng.standard_normal(shape) for _ in range(steps)],
            "config": None}
    if config:
        args["config"] = {"learning_rate": float(np.round(rng.uniform(0.05, 0.5), 4))}
        if config == "lr+momentum":
            args["config"]["momentum"] = float(np.round(rng.uniform(0.5, 0.95), 3))
    return args


def schedule_inputs(seed, function, name):
    """The keyword arguments of each call of schedule input set ``name`` for ``function`` (its declaration)."""
    rng = seeded_rng(seed, f"schedule:{function.name}:{name}")
    lr = float(np.round(rng.uniform(0.01, 1.0), 4))
    if function.kind == "step":
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


def check_update_rule(judge, case, got):
    expected, weights = judge.expected(case)["weights"], got["weights"]
    if weights.shape == expected.shape and judge.close(weights, expected):
        return None
    config = case.args["config"] or {}
    if weights.shape == expected.shape:
        hints = judge.diagnosis.diagnose_update_rule(
            weights, rule=case.declared.kind, w=case.args["w"], dws=case.args["dws"],
            learning_rate=config.get("learning_rate", 1e-2), momentum=config.get("momentum", 0.9))
    else:
        hints = [judge.mistakes.hint("next_w_shape", shape=case.args["w"].shape)]
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
    kind = case.declared.kind
    if kind == "step":
        del column["T"]
    else:
        del column["decay_rate"], column["decay_every"]
    hints = judge.diagnosis.diagnose_schedule(values, kind=kind, **column)
    return Failure("the learning rates are wrong", hints, expected, values)


def add_optimizer_tests(plan, function):
    group, (runner,) = function.group, function.runners
    sets = OPTIMIZER_SETS[function.kind]
    keys = {name: plan.case(group, name, runner, label, optimizer_inputs(plan.seed, function, name))
            for name, label, *_ in sets}
    for index, (name, label, *_) in enumerate(sets):
        plan.test(group, name, index > 0, label, [keys[name]], check_update_rule)


def add_schedule_tests(plan, function):
    group, (runner,) = function.group, function.runners
    keys = {name: plan.case(group, name, runner, label, schedule_inputs(plan.seed, function, name))
            for name, label in SCHEDULE_SETS}
    plan.test(group, "values", False, "the learning rate at a few steps", [keys["values"]], check_schedule)
    plan.test(group, "edge_cases", True, "defaults, t = 0, t = T and period boundaries", [keys["edge_cases"]],
              check_schedule)


#: The kinds of update rule and schedule this module grades (:attr:`autograder.graded.GradedFunction.kind`, the
#: diagnoses' word).
ADD_TESTS = {"sgd": add_optimizer_tests, "sgd_momentum": add_optimizer_tests, "step": add_schedule_tests,
             "cosine": add_schedule_tests}
