"""A student's plan: every case and test of the requested groups, assembled from the topic modules.

Each graded function is declared once, in :mod:`autograder.graded`; the topic module of its student module
(:mod:`.losses`, :mod:`.gradients`, :mod:`.regularization`, :mod:`.optim`, :mod:`.models`) maps each kind it
grades to a function ``add(plan, function)`` that adds that function's cases and tests through a
:class:`PlanBuilder`. Test names begin with their group (``module.function``, one nbgrader test cell per
group, see :data:`autograder.course.GROUPS`).
"""

import zlib

from .. import graded
from ..calls import runners, wire
from ..course import GROUPS
from . import gradients, losses, models, optim, regularization
from .model import Case, GradingTest, Plan

#: The topic module of each student module.
TOPICS = {"losses": losses, "gradients": gradients, "regularization": regularization, "optim": optim,
          "models": models}


def _adder(function):
    """The topic's function that adds the tests of a declared ``function``; ImportError if nothing grades it."""
    add = getattr(TOPICS.get(function.module), "ADD_TESTS", {}).get(function.kind)
    unknown = [name for name in function.runners if name not in runners.RUNNERS]
    if add is None or unknown:
        raise ImportError(f"autograder/graded.py declares {function.group} of kind {function.kind!r} with runners "
                          f"{function.runners}, but no topic module of autograder/catalogue/ grades that kind, or "
                          f"{unknown} are not runners of calls/runners.RUNNERS")
    return add


#: group -> the function that adds its cases and tests to a plan.
ADD_TESTS = {function.group: _adder(function) for function in graded.FUNCTIONS}


class PlanBuilder:
    """Collects one student's cases and tests; topic modules add theirs through :meth:`case` and :meth:`test`."""

    def __init__(self, seed):
        self.seed = seed
        self.cases = {}
        self.tests = []

    def case(self, group, name, runner, label, args, reference=None):
        """Add a call of the group's function on input set ``name``; returns its key.

        ``reference`` names the reference function whose outputs are expected (by default the one the group's
        declaration names).
        """
        module, target = group.split(".")
        key = f"{group}@{name}"
        # Round-trip the inputs through the wire format: the reference sees exactly what the student sees.
        self.cases[key] = Case(key, module, target, runner, label, wire.decode(wire.encode(args)),
                               (self.seed + zlib.crc32(key.encode())) % 2 ** 32,
                               (reference or graded.declared(group).reference, name))
        return key

    def test(self, group, aspect, hidden, what, keys, check, **options):
        """Add the test ``<group>.<aspect>`` judging the cases ``keys`` (options: see GradingTest)."""
        self.tests.append(GradingTest(f"{group}.{aspect}", group, hidden, what, tuple(keys), check, **options))


def build_plan(seed, groups=None):
    """All cases and tests of ``groups`` (every group by default) for one student seed."""
    groups = list(groups) if groups is not None else list(GROUPS)
    unknown = set(groups) - set(GROUPS)
    if unknown:
        raise ValueError(f"unknown groups {sorted(unknown)}; the groups are {GROUPS}")
    builder = PlanBuilder(seed)
    for group in GROUPS:
        if group in groups:
            ADD_TESTS[group](builder, graded.declared(group))
    return Plan(seed, builder.cases, builder.tests)


def all_test_names():
    """Every test name, in catalogue order (the same for every seed)."""
    return [test.name for test in build_plan(0).tests]
