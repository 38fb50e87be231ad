"""Timing helpers shared by the benchmarks."""

import time


def best_time(function, repeats=5, warmup=1):
    """Smallest wall time of ``repeats`` calls, in seconds, after ``warmup`` untimed calls.

    The minimum is the least noisy estimate on a shared machine: noise only ever adds time.
    """
    for _ in range(warmup):
        function()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)


def row(name, value, unit, baseline, goal, applies_to="ratio"):
    """One line of results.md: a measurement, the baseline it is compared with, their ratio and the goal.

    ``goal`` is a (comparison, bound) pair, e.g. ("<=", 1.3), on the ratio value / baseline, or on the
    value itself (in ``unit``) when ``applies_to`` is "value" (a latency budget, say). ``goal=None`` marks a
    row that explains another one (a bound, a second setting) and has no goal of its own: ``met`` is None.
    """
    value, baseline = float(value), float(baseline)
    ratio = value / baseline if baseline else float("nan")
    if goal is None:
        described, met = "(context)", None
    else:
        comparison, bound = goal
        checked = ratio if applies_to == "ratio" else value
        met = bool(checked <= bound if comparison == "<=" else checked >= bound)
        described = f"ratio {comparison} {bound}" if applies_to == "ratio" else f"{comparison} {bound} {unit}"
    return {"name": name, "value": value, "unit": unit, "baseline": baseline, "ratio": ratio,
            "goal": described, "met": met}
