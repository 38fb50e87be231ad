"""How a batch is graded: every option of ``grade`` in one checked value."""

from dataclasses import dataclass
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
    #: Wall-clock seconds allowed for each call of a student function.
    timeout: float = Limits.timeout
    #: Wall-clock seconds allowed for importing each student module.
    import_timeout: float = Limits.import_timeout
    #: Wall-clock seconds for one whole submission (None: :func:`default_budget`).
    budget: float = None
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
    #: Sandbox limits other than the times above (None: the defaults).
    limits: Limits = None
    #: Called as ``on_event(name, **details)`` at each step of the run (benchmarks and progress displays).
    on_event: Callable = None

    def check(self):
        """Raise GradingSetupError naming the first option that cannot work."""
        if not isinstance(self.jobs, int) or self.jobs < 1:
            raise GradingSetupError(f"--jobs must be at least 1, got {self.jobs}.")
        for name in ("timeout", "import_timeout"):
            if not getattr(self, name) > 0:
                raise GradingSetupError(f"--{name.replace('_', '-')} must be a positive number of seconds, "
                                        f"got {getattr(self, name)}.")
        if self.budget is not None and not self.budget > 0:
            raise GradingSetupError(f"--budget must be a positive number of seconds, got {self.budget}.")
        if self.shard is not None and self.gradebook:
            raise GradingSetupError(f"--gradebook {self.gradebook} with --shard: shards leave the gradebook to "
                                    "`python -m autograder merge`, which writes it once for the whole batch; give "
                                    "--gradebook to merge instead.")

    def sandbox_limits(self):
        """The Limits of each submission's sandbox."""
        budget = self.budget if self.budget is not None else default_budget(self.timeout, self.import_timeout)
        return Limits(**{**(self.limits.__dict__ if self.limits else {}), "timeout": float(self.timeout),
                         "import_timeout": float(self.import_timeout), "budget": float(budget)})

    def emit(self, name, **details):
        if self.on_event is not None:
            self.on_event(name, **details)
