"""How a batch is graded: every option of ``grade`` in one checked value."""

from dataclasses import dataclass, replace
from typing import Callable

from ..sandbox import Limits


class GradingSetupError(RuntimeError):
    """Grading cannot run at all (bad arguments, broken reference, unreadable points...)."""


#: Seconds of a submission's default budget beyond its time limits: about twenty times what the reference
#: needs in the sandbox (about a second), for a slow but honest submission.
BUDGET_ALLOWANCE = 20.0


def default_budget(timeout, import_timeout):
    """A submission's default budget: two calls and two imports at their limits, plus :data:`BUDGET_ALLOWANCE`.

    So a student with a function or two that never return is still graded on everything else, while the
    worst submission costs about this much instead of every call's limit over again (about an hour).
    """
    return 2 * timeout + 2 * import_timeout + BUDGET_ALLOWANCE


@dataclass(frozen=True)
class GradeOptions:
    """The options of one grading run (see ``python -m autograder grade --help``)."""

    #: Submissions graded at the same time.
    jobs: int = 1
    #: Every submission's sandbox limits, as the command line gave them; their ``budget`` None stands for
    #: :func:`default_budget` of their time limits (see :meth:`sandbox_limits`).
    limits: Limits = Limits()
    #: Batch seed, mixed with the course secret, each student id and each submission.
    seed: int = 0
    #: The course secret; ``$AUTOGRADER_SECRET`` or a public default when None.
    secret: str = None
    #: True: fail unless bubblewrap runs; False: resource limits only; None: bubblewrap when it works.
    require_sandbox: bool = None
    #: nbgrader gradebook URL to write the scores into (None: none).
    gradebook: str = None
    #: Show a progress bar on stderr.
    progress: bool = False
    #: Grade only this part of the batch (:class:`autograder.grading.shard.Shard`) and write what merge needs.
    shard: object = None
    #: CSV file mapping the LMS's ids to the course's (:mod:`autograder.lms.roster`), None for none.
    roster: str = None
    #: TOML file of the course's late policy (:mod:`autograder.grading.late`), None for none (no penalty).
    late_policy: str = None
    #: Replace an earlier output folder whole (without it, an OUT that holds files is refused).
    force: bool = False
    #: Grade the reference first and refuse to grade when it fails (off only where that was done once for many
    #: runs with the same code: a Gradescope image, whose setup.sh runs it).
    self_test: bool = True
    #: Called as ``on_event(name, **details)`` at each step of the run (benchmarks and progress displays).
    on_event: Callable = None

    def check(self):
        """Raise GradingSetupError naming the first option that cannot work."""
        if not isinstance(self.jobs, int) or self.jobs < 1:
            raise GradingSetupError(f"--jobs must be at least 1, got {self.jobs}.")
        for name in ("timeout", "import_timeout", "budget"):
            value = getattr(self.limits, name)
            if value is None and name == "budget":  # the default budget, resolved by sandbox_limits
                continue
            if not value > 0:
                raise GradingSetupError(f"--{name.replace('_', '-')} must be a positive number of seconds, "
                                        f"got {value}.")
        if not self.limits.memory_mb > 0:
            raise GradingSetupError(f"--memory-mb must be a positive number of MB, got {self.limits.memory_mb}.")
        if self.shard is not None and self.gradebook:
            raise GradingSetupError(f"--gradebook {self.gradebook} with --shard: shards leave the gradebook to "
                                    "`python -m autograder merge`, which writes it once for the whole batch; give "
                                    "--gradebook to merge instead.")

    def sandbox_limits(self):
        """The Limits of each submission's sandbox: :attr:`limits` with its budget resolved."""
        limits = self.limits
        budget = limits.budget if limits.budget is not None else default_budget(limits.timeout, limits.import_timeout)
        return replace(limits, timeout=float(limits.timeout), import_timeout=float(limits.import_timeout),
                       budget=float(budget))

    def emit(self, name, **details):
        if self.on_event is not None:
            self.on_event(name, **details)
