"""The one status vocabulary from the sandbox's host to the page, and the one type for what happened to a call.

Every layer a call passes through speaks these words: the host's result events (:mod:`autograder.sandbox.worker`),
the sandbox's reports (:mod:`autograder.sandbox.session`), the Outcomes the judge reads (:mod:`autograder.execution`,
:mod:`autograder.catalogue.judge`), the verdicts written to disk and the pages (:mod:`autograder.outputs`).
A status is a :class:`Status`; its values are the strings the records on disk hold (grades.csv, results.json,
shard records), unchanged.

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
