"""A student's plan: every case and test of the requested groups, assembled from the topic modules.

Each topic module (:mod:`.losses`, :mod:`.gradients`, :mod:`.regularization`,
:mod:`.optim`, :mod:`.models`) maps each group it grades to a function that
adds that group's cases and tests through a :class:`PlanBuilder`. Test names
begin with their group (``module.function``, one nbgrader test cell per
group, see :data:`autograder.course.GROUPS`).
"""

import zlib

from ..calls import wire
from ..course import GROUPS
from . import gradients, losses, models, optim, regularization
from .model import Case, GradingTest, Plan

TOPICS = (losses, gradients, regularization, optim, models)
#: group -> the function that adds its cases and tests to a plan.
ADD_TESTS = {group: add for topic in TOPICS for group, add in topic.GROUPS.items()}
if set(ADD_TESTS) != set(GROUPS):
    raise ImportError(f"the catalogue's topics grade {sorted(ADD_TESTS)}, but autograder/course.py lists the "
                      f"groups {sorted(GROUPS)}: add the group to its topic module (and points.toml), or to course.py")


class PlanBuilder:
    """Collects one student's cases and tests; topic modules add theirs through :meth:`case` and :meth:`test`."""

    def __init__(self, seed):
        self.seed = seed
        self.cases = {}
        self.tests = []

    def case(self, group, name, runner, label, args, reference=None):
        """Add a call of the group's function on input set ``name``; returns its key.

        ``reference`` names the reference function whose outputs are expected (the group's own by default).
        """
        module, target = group.split(".")
        key = f"{group}@{name}"
        # Round-trip the inputs through the wire format: the reference sees exactly what the student sees.
        self.cases[key] = Case(key, module, target, runner, label, wire.decode(wire.encode(args)),
                               (self.seed + zlib.crc32(key.encode())) % 2 ** 32, (reference or group, name))
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
            ADD_TESTS[group](builder, group)
    return Plan(seed, builder.cases, builder.tests)


def all_test_names():
    """Every test name, in catalogue order (the same for every seed)."""
    return [test.name for test in build_plan(0).tests]
