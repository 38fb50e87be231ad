"""The catalogue's vocabulary: cases, tests, failures, verdicts and plans (outcomes: :mod:`autograder.calls.status`).

A *case* is one call of one student function on one input set (run by a
runner of :mod:`autograder.calls.runners`). A *test* judges one or more cases and is
worth the points :mod:`autograder.points` gives its name. A *plan* holds every
case and test of one student.
"""

import zlib
from dataclasses import dataclass, field

import numpy as np

from .. import graded
from ..calls import wire
from ..calls.status import VERDICT, Status

#: Statuses a test can end with (grades.csv, results.json): :data:`autograder.calls.status.VERDICT`.
STATUSES = VERDICT


class GradingError(RuntimeError):
    """The grader itself cannot judge (e.g. the reference solution failed): grading must stop."""


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

    @property
    def declared(self):
        """The declaration (:mod:`autograder.graded`) of the function this case calls."""
        return graded.declared(f"{self.module}.{self.target}")

    def call(self):
        """The plain-data call a runner executes (in the sandbox or in this process)."""
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
    #: Tests of which one must earn points for this one to pay: a side property (inputs left alone, x
    #: restored) is only worth something in a function that computes its main values.
    requires: tuple = ()
    #: ``explain_error(judge, case, error)`` returns hints for an exception the student's call raised.
    explain_error: object = None


@dataclass
class Failure:
    """Why a case failed a check: a problem, likely causes, and (visible tests only) values to show."""

    problem: str
    hints: list = field(default_factory=list)
    expected: object = None
    got: object = None


@dataclass
class Verdict:
    """The result of one test for one student."""

    name: str
    group: str
    hidden: bool
    what: str
    #: One of :data:`STATUSES` (a string read back from a record becomes its :class:`Status`).
    status: Status
    message: str = ""
    #: Visible tests only: the failing case's inputs, expected and returned values.
    details: dict = None
    #: The fraction of the test's points earned: 1 when passed, 0 when failed, or the partial credit
    #: ``points.toml`` grants the mistake that explains every failing case.
    credit: float = None
    #: Ids of the mistakes (``checks/mistakes.py``) the message names.
    mistakes: tuple = ()

    def __post_init__(self):
        self.status = Status(self.status)
        if self.status not in VERDICT:
            raise ValueError(f"a test cannot end with status {self.status!r}")
        if self.credit is None:
            self.credit = 1.0 if self.passed else 0.0

    @property
    def passed(self):
        return self.status == Status.PASSED


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

    def test(self, name):
        """The test called ``name``."""
        return next(test for test in self.tests if test.name == name)


def as_scalar(value):
    """A float for a 0-d value, else the array: how a failure shows an expected or returned value."""
    value = np.asarray(value, dtype=float)
    return float(value) if value.ndim == 0 else value


def seeded_rng(seed, family):
    """The random generator of one family of inputs (``"loss:basic"``, ...) for a student seed."""
    return np.random.default_rng([int(seed) % 2 ** 63, zlib.crc32(family.encode())])
