"""The judge: a student's outcomes against the reference run on the same inputs, as verdicts.

Every expected value comes from the reference solution run by the same
runner on the same inputs, in the trusted grader; diagnoses, numerics and
tolerances come from the reference package's ``checks``. Visible tests may
show their inputs, expected and returned values; hidden tests show only
their name and diagnosis.

A verdict's credit is the fraction of the test's points it earns: 1 when the
test passes, 0 when it fails, unless every failing case is explained by a
mistake that ``[partial_credit]`` in points.toml grants a fraction (see
:mod:`.credit`). A test that ``requires`` others (a side property such as
"inputs unmodified") earns nothing unless one of them earns something.
"""

from functools import cached_property

from ..calls import runners, wire
from ..calls.status import ERROR_KINDS, Status, exception_message
from ..packages import load_reference
from .credit import load_partial_credit
from .model import Failure, GradingError, Verdict


class Judge:
    """Judges a student's outcomes against the reference run on the same inputs.

    Reference runs are made lazily and at most once per (reference function, input set).
    """

    def __init__(self, plan, reference=None, partial_credit=None):
        """``partial_credit``: ``{mistake id: fraction}``; the ``[partial_credit]`` table of points.toml by default."""
        self.plan = plan
        self.reference = reference or load_reference()
        self.partial_credit = load_partial_credit() if partial_credit is None else dict(partial_credit)
        self._expected = {}
        self._cache = {}
        #: test name -> (the outcomes it was judged on, its verdict), for the tests others require.
        self._verdicts = {}

    @cached_property
    def tolerances(self):
        return self.reference.tolerances

    @cached_property
    def diagnosis(self):
        return self.reference.diagnosis

    @cached_property
    def numerics(self):
        return self.reference.module("checks.numerics")

    @cached_property
    def mistakes(self):
        return self.reference.module("checks.mistakes")

    def close(self, got, expected, **kwargs):
        return self.reference.report.close(got, expected, **kwargs)

    def expected(self, case):
        """The reference outputs for ``case`` (plain data, exactly as a student's would come back)."""
        key = case.reference
        if key not in self._expected:
            module, target = key[0].split(".")
            services = runners.loss_service(case.runner, case.args, case.declared.service_loss(self.reference))
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
        """``compute()``, computed once per judge for ``key`` (reference parts a check shares)."""
        if key not in self._cache:
            self._cache[key] = compute()
        return self._cache[key]

    def verdict(self, test, outcomes):
        """Judge one test from the outcomes of its cases."""
        judged = self._verdicts.get(test.name)
        if judged is not None and judged[0] is outcomes:
            return judged[1]
        verdict = self._judge(test, outcomes)
        if verdict.credit > 0:
            verdict = self._unless_required_fail(test, outcomes, verdict)
        self._verdicts[test.name] = (outcomes, verdict)
        return verdict

    def _judge(self, test, outcomes):
        first_problem = None
        judged = 0
        credited = []
        for key in test.cases:
            case, outcome = self.plan.cases[key], outcomes[key]
            if outcome.status != Status.OK:
                if test.returned_only:
                    first_problem = first_problem or (case, outcome)
                    continue
                return self._unrun(test, case, outcome)
            judged += 1
            failure = self._check(test, case, outcome)
            if failure is not None:
                credit = self._credit(failure)
                if credit == 0:
                    return self._failed(test, case, failure)
                credited.append((case, failure, credit))
        if credited:
            case, failure, _ = credited[0]
            return self._failed(test, case, failure, min(credit for *_, credit in credited))
        if judged == 0 and first_problem is not None:
            return self._unrun(test, *first_problem)
        return Verdict(test.name, test.group, test.hidden, test.what, Status.PASSED)

    def _credit(self, failure):
        """The fraction a failure earns: the largest partial credit of the mistakes its hints name."""
        return max((self.partial_credit.get(getattr(h, "mistake", None), 0.0) for h in failure.hints), default=0.0)

    def _unless_required_fail(self, test, outcomes, verdict):
        if not test.requires:
            return verdict
        required = [self.verdict(self.plan.test(name), outcomes) for name in test.requires]
        if any(other.credit > 0 for other in required):
            return verdict
        names = " or ".join(f"{other.name} ({other.what})" for other in required)
        return Verdict(test.name, test.group, test.hidden, test.what, Status.FAILED,
                       f"not awarded: this test counts only when {names} earns points, and none did")

    def _check(self, test, case, outcome):
        try:
            return test.check(self, case, outcome.outputs)
        except GradingError:
            raise
        except Exception as error:  # noqa: BLE001 (a result no check foresaw must not stop the batch)
            return Failure(f"the result could not be judged ({type(error).__name__}: {error})")

    def _failed(self, test, case, failure, credit=0.0):
        message = f"{case.label}: {failure.problem}"
        if failure.hints:
            message += "; likely cause: " + "; ".join(failure.hints)
        if credit:
            message += f" (partial credit: {credit:.0%} of the points for this recognised mistake)"
        details = None
        if not test.hidden:
            details = {"inputs": {k: v for k, v in case.args.items() if k != "function"},
                       "expected": failure.expected, "got": failure.got}
        return Verdict(test.name, test.group, test.hidden, test.what, Status.FAILED, message, details, credit,
                       _mistakes(failure.hints))

    def _unrun(self, test, case, outcome):
        status, message = outcome.status, outcome.message
        if outcome.status == Status.ERROR:
            status = ERROR_KINDS.get(outcome.error.get("kind"), Status.ERROR)
            message = exception_message(outcome.error)
        hints = []
        if status == Status.ERROR and test.explain_error is not None:
            hints = test.explain_error(self, case, outcome.error)
            if hints:
                message += "; likely cause: " + "; ".join(hints)
        return Verdict(test.name, test.group, test.hidden, test.what, status, f"{case.label}: {message}",
                       mistakes=_mistakes(hints))


def _mistakes(hints):
    return tuple(getattr(h, "mistake") for h in hints if hasattr(h, "mistake"))
