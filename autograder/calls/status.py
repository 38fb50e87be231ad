"""The one status vocabulary from the sandbox's host to the page, and the one type for what happened to a call.

Every layer a call passes through speaks these words: the host's result events (:mod:`autograder.sandbox.worker`),
the sandbox's reports (:mod:`autograder.sandbox.session`), the Outcomes the judge reads (:mod:`autograder.execution`,
:mod:`autograder.catalogue.judge`), the verdicts written to disk and the pages (:mod:`autograder.outputs`).
A status is a :class:`Status`; its values are the strings the records on disk hold (grades.csv, results.json,
shard records), unchanged. What a student reads for each way a call ends is written here once (:data:`MESSAGES`,
:func:`sentence`); the layers pass only the facts that fill it in.

Standalone (standard library only): the sandbox runs it from a read-only copy beside the runners.
"""

from dataclasses import dataclass
from enum import StrEnum


class Status(StrEnum):
    """What happened to a call (:data:`CALL`) or how a test ended (:data:`VERDICT`)."""

    #: The call returned its outputs (in a host's report: its result, which may hold the student's exception).
    OK = "ok"
    PASSED = "passed"
    #: A wrong result (or, for a call, a result the runner refused: ``bad_result``).
    FAILED = "failed"
    #: The student's code raised an exception.
    ERROR = "error"
    NOT_IMPLEMENTED = "not_implemented"
    TIMEOUT = "timeout"
    #: The call process (or the sandbox) ended abnormally, or sent what the grader cannot read.
    CRASHED = "crashed"
    #: The call broke the grader's protocol (its channel, or the loss service's bounds).
    PROTOCOL = "protocol"
    IMPORT_ERROR = "import_error"
    #: The module or the function to call is not there.
    MISSING = "missing"
    #: Not run: an earlier call of the same function hung, or a limit (budget, restarts) was reached.
    SKIPPED = "skipped"


#: Statuses a call ends with (an :class:`Outcome`).
CALL = (Status.OK, Status.ERROR, Status.TIMEOUT, Status.CRASHED, Status.PROTOCOL, Status.IMPORT_ERROR,
        Status.MISSING, Status.SKIPPED)
#: Statuses the sandbox's host reports in a result event (a call process that prints too much is ``crashed``,
#: with ``"cause": "flood"``).
HOST = (Status.OK, Status.IMPORT_ERROR, Status.TIMEOUT, Status.CRASHED, Status.PROTOCOL)
#: Statuses a test ends with (a verdict: grades.csv, results.json), in the order the records list them.
VERDICT = tuple(status for status in Status if status is not Status.OK)
#: Statuses after which a module's remaining calls run last.
DEFERRING = (Status.TIMEOUT, Status.CRASHED, Status.PROTOCOL)

#: The verdict status of a call whose student code raised, by the runner's ``kind`` of the exception
#: (:func:`autograder.calls.runners.describe_exception`).
ERROR_KINDS = {"error": Status.ERROR, "not_implemented": Status.NOT_IMPLEMENTED, "bad_result": Status.FAILED,
               "missing": Status.MISSING, "memory": Status.ERROR, "exit": Status.ERROR, "interrupt": Status.ERROR}

#: How each verdict status reads on a page (feedback.html, summary.html).
WORDS = {
    Status.PASSED: "passed", Status.FAILED: "wrong result", Status.ERROR: "raised an error",
    Status.NOT_IMPLEMENTED: "not implemented", Status.TIMEOUT: "time limit", Status.CRASHED: "crashed",
    Status.PROTOCOL: "broke the grader's protocol", Status.IMPORT_ERROR: "does not import", Status.MISSING: "missing",
    Status.SKIPPED: "not run",
}


@dataclass
class Outcome:
    """What happened to one call, from the sandbox's report to the judge: a status and what goes with it.

    ``ok``: ``outputs``, checked by :func:`autograder.execution.outcome_from_result` (a sandbox's ``ok`` report
    holds the host's plain-data ``result`` until then); ``error``: ``error``, the exception the student's code
    raised (type, kind, message, where); any other status: ``message``, what happened in the student's words.
    """

    status: Status
    outputs: dict = None
    error: dict = None
    message: str = ""
    #: A sandbox's ``ok`` report: the host's result (plain data), before it is checked.
    result: dict = None

    def __post_init__(self):
        self.status = Status(self.status)


#: The student's sentence for each way a call can end other than with outputs, by (status, cause): the one place
#: they are written. A cause is where it happened (``import``, ``call``) or, for an exception the student's code
#: raised, the runner's ``kind`` of it (:data:`ERROR_KINDS`). The judge puts the case's label before a call's.
MESSAGES = {
    (Status.IMPORT_ERROR, "import"): "{module} does not import: {problem}",
    (Status.TIMEOUT, "import"): "importing {module} did not finish within {seconds:g} s (the import time limit): "
                                "{likely}",
    (Status.TIMEOUT, "call"): "did not finish within {seconds:g} s (time limit): {likely}",
    (Status.TIMEOUT, "budget"): "stopped: {cut}",
    (Status.CRASHED, "flood"): "the process running this test printed more than {megabytes} MB of output (the output "
                               "is capped)",
    (Status.CRASHED, "import"): "importing {module} {message}",
    (Status.CRASHED, "call"): "the process running this test {message}",
    #: The grader lost the sandbox's host, or it did not start (``lost``: how, in words).
    (Status.CRASHED, "sandbox"): "the grading sandbox {lost}",
    (Status.CRASHED, "malformed"): "the grader received {what}",
    (Status.PROTOCOL, "service"): "the grader's loss service ended this test: {message}",
    (Status.PROTOCOL, "call"): "the process running this test {message}: the grader's channel carries only the "
                               "function's results",
    (Status.SKIPPED, "hung"): "not run: {target} already exceeded the time limit of {seconds:g} s in an earlier test",
    (Status.SKIPPED, "cut"): "not run: {cut}",
    (Status.MISSING, "module"): "{problem}",
    (Status.MISSING, "function"): "{package}/{module}.py defines no {target}",
    (Status.ERROR, "error"): "{type}: {message}{where}",
    (Status.NOT_IMPLEMENTED, "not_implemented"): "{type}: {message}{where}",
    (Status.MISSING, "missing"): "{type}: {message}{where}",
    (Status.FAILED, "bad_result"): "{message}",
    (Status.ERROR, "memory"): "ran out of memory (MemoryError{where}): the grader limits memory; avoid huge arrays",
    (Status.ERROR, "interrupt"): "raised KeyboardInterrupt{where}: a graded function must return its result",
    (Status.ERROR, "exit"): "called exit() or sys.exit() (SystemExit{where}): a graded function must return its "
                            "result, not end the program",
    (Status.ERROR, "grader"): "the grader failed on this submission; the instructor has been told",
}
#: What a call that ran out of time most likely did (the ``likely`` of a timeout's sentence).
LIKELY_CAUSES = {
    "import": "is there an endless loop or a long computation at module level? Move it into a function.",
    "call": "an endless loop, or far slower than needed?",
    #: When it held a quarter of its memory limit or more.
    "memory": "it held {held} MB of memory when it was stopped (the limit is {limit} MB): a large array or list "
              "built step by step is slow to fill. Is one far larger than the data?",
}


def sentence(status, cause, **fields):
    """The student's sentence for a call that ended with ``status`` for ``cause`` (:data:`MESSAGES`)."""
    return MESSAGES[status, cause].format(**fields)


def ended(status, cause, **fields):
    """The Outcome of a call that ended with ``status`` for ``cause``, its message built from ``fields``."""
    return Outcome(status, message=sentence(status, cause, **fields))


def exception_message(error):
    """The student's sentence for an exception their code raised (a runner's description of it)."""
    kind = error.get("kind") if error.get("kind") in ERROR_KINDS else "error"
    where = f" ({error['where']})" if error.get("where") else ""
    return sentence(ERROR_KINDS[kind], kind, type=error.get("type"), message=error.get("message"), where=where)
