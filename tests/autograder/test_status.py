"""One status vocabulary from the sandbox's host to the page: every status the host can report reaches a verdict
status, and every verdict status a page word, through the same :class:`Status` and :class:`Outcome`."""

import ast
import json
import re
from pathlib import Path

import pytest
from markupsafe import escape

from autograder import catalogue, execution
from autograder.calls import runners, status
from autograder.calls.status import Outcome, Status
from autograder.outputs import render
from autograder.outputs.student import feedback_html, results_json
from autograder.packages import load_reference
from autograder.results import Row, StudentResult
from autograder.sandbox.session import Limits, Sandbox, _Submission

WORKER = Path(__file__).resolve().parents[2] / "autograder" / "sandbox" / "worker.py"
CALL_PROCESS = WORKER.with_name("call_process.py")
#: The test the round trips are judged by (hidden: its page shows the status and the message, no values).
TEST = "losses.svm_loss_naive.loss"


def test_the_layers_share_one_vocabulary():
    assert catalogue.STATUSES == status.VERDICT
    assert render.STATUS_TEXT is status.WORDS
    assert set(status.CALL) | set(status.VERDICT) == set(Status)
    assert set(status.HOST) <= set(status.CALL) and set(status.DEFERRING) <= set(status.CALL)
    assert set(status.ERROR_KINDS.values()) <= set(status.VERDICT)
    # The strings the records on disk hold, unchanged (grades.csv, results.json, shard records).
    assert [s.value for s in status.VERDICT] == ["passed", "failed", "error", "not_implemented", "timeout",
                                                 "crashed", "protocol", "import_error", "missing", "skipped"]


def test_every_status_a_test_can_end_with_has_its_words_on_the_page():
    assert set(status.WORDS) == set(status.VERDICT)
    assert all(status.WORDS[s] for s in status.VERDICT)


def test_a_verdict_refuses_a_status_outside_the_vocabulary_and_reads_a_records_string_back_as_its_status():
    with pytest.raises(ValueError):
        catalogue.Verdict("t", "losses.f", True, "", "flood")
    with pytest.raises(ValueError):
        catalogue.Verdict("t", "losses.f", True, "", Status.OK)
    assert catalogue.Verdict("t", "losses.f", True, "", "timeout").status is Status.TIMEOUT
    with pytest.raises(ValueError):
        Outcome("passed_with_flying_colours")


def _host_statuses():
    """Every status the host's source reports (CallEnded(Status.X, ...) and {"status": Status.X})."""
    found = set()
    for node in ast.walk(ast.parse(WORKER.read_text())):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "Status":
            found.add(Status[node.attr])
    return found


def test_the_host_reports_only_the_statuses_the_vocabulary_lists_for_it():
    assert _host_statuses() == set(status.HOST)
    assert '"status": "' not in WORKER.read_text() and not re.search(r'CallEnded\("', WORKER.read_text())


def _error_kinds():
    """Every ``kind`` the runners and the call processes give a student's exception."""
    kinds = {runners.describe_exception(error)["kind"] for error in
             (ValueError("x"), NotImplementedError(), runners.ResultError("x"), MemoryError(), SystemExit(1),
              KeyboardInterrupt())}
    return kinds | set(re.findall(r'"kind": "(\w+)"', CALL_PROCESS.read_text()))


def test_every_kind_of_student_exception_has_its_verdict_status():
    assert _error_kinds() == set(status.ERROR_KINDS)


def _error(kind):
    return {"type": "ValueError", "message": "boom", "kind": kind, "where": "losses.py line 3, in svm_loss_naive"}


#: Host result events (as the worker sends them) and the verdict status each must end with.
HOST_EVENTS = [
    ({"status": "import_error", "error": _error("error")}, Status.IMPORT_ERROR),
    ({"status": "timeout", "phase": "import", "seconds": 10.0, "resident_bytes": 0}, Status.TIMEOUT),
    ({"status": "timeout", "phase": "call", "seconds": 20.0, "resident_bytes": 0}, Status.TIMEOUT),
    ({"status": "crashed", "cause": "flood", "message": ""}, Status.CRASHED),
    ({"status": "crashed", "phase": "import", "message": "crashed with a segmentation fault"}, Status.CRASHED),
    ({"status": "crashed", "phase": "call", "message": "crashed with a segmentation fault"}, Status.CRASHED),
    ({"status": "protocol", "service": True, "message": "asked for 10 batches"}, Status.PROTOCOL),
    ({"status": "protocol", "message": "sent malformed data (x)"}, Status.PROTOCOL),
    ({"status": "ok", "result": {"outputs": 7}}, Status.CRASHED),  # what the grader cannot read
] + [({"status": "ok", "result": {"error": _error(kind)}}, verdict) for kind, verdict in status.ERROR_KINDS.items()]


@pytest.fixture(scope="module")
def judged():
    plan = catalogue.build_plan(0)
    test = plan.test(TEST)

    def judge(outcome_of):
        """The verdict and the student's page for ``TEST`` when each of its cases ends with ``outcome_of(case)``."""
        outcomes = {key: outcome_of(plan.cases[key]) for key in test.cases}
        verdict = catalogue.Judge(plan, load_reference()).verdict(test, outcomes)
        student = StudentResult("s1", 0, [Row(verdict, 0.0, 2.0)], [])
        return verdict, feedback_html(student), results_json(student)["tests"][0]

    return judge


def _report(event, case, tmp_path):
    submission = _Submission(Sandbox(Limits()), [], tmp_path, None, "linear_classifier", tmp_path)
    call = case.call()
    report = submission.sandbox_report(dict(event, call=call["key"]), call, f"linear_classifier.{case.module}")
    assert isinstance(report, Outcome) and report.status in status.CALL
    if report.status == Status.OK:
        return execution.outcome_from_result(case, report.result)
    return report


@pytest.mark.parametrize("event, expected", HOST_EVENTS, ids=lambda v: str(v) if isinstance(v, Status) else None)
def test_each_host_status_reaches_the_students_page_as_its_verdict_and_its_words(judged, event, expected, tmp_path):
    verdict, page, gradescope = judged(lambda case: _report(event, case, tmp_path))
    assert verdict.status is expected and not verdict.passed
    plan = catalogue.build_plan(0)
    outcome = _report(event, plan.cases[plan.test(TEST).cases[0]], tmp_path)
    # What the sandbox said is what the student reads (an exception's sentence is the judge's: by its kind).
    if outcome.message or outcome.error["kind"] not in ("memory", "exit", "interrupt"):
        assert (outcome.message or "boom") in verdict.message
    assert f"✗ {escape(status.WORDS[expected])}</span>" in page and str(escape(verdict.message)) in page
    assert gradescope["extra_data"]["status"] == expected.value and verdict.message in gradescope["output"]


def test_calls_the_sandbox_skips_or_cannot_find_reach_the_page_too(judged, tmp_path):
    submission = _Submission(Sandbox(Limits()), [], tmp_path, None, "linear_classifier", tmp_path)
    submission.hung_targets.add(("losses", "svm_loss_naive"))
    verdict, page, _ = judged(lambda case: submission.skip_reason(case.call(), "linear_classifier.losses"))
    assert verdict.status is Status.SKIPPED and "already exceeded the time limit" in verdict.message
    assert f"✗ {status.WORDS[Status.SKIPPED]}</span>" in page
    verdict, page, _ = judged(lambda case: Outcome(Status.MISSING, message="linear_classifier/losses.py is missing"))
    assert verdict.status is Status.MISSING and f"✗ {status.WORDS[Status.MISSING]}</span>" in page


def test_a_status_is_written_as_the_string_the_records_hold():
    verdict = catalogue.Verdict(TEST, "losses.svm_loss_naive", True, "the loss", Status.TIMEOUT, "slow")
    document = results_json(StudentResult("s1", 0, [Row(verdict, 0.0, 2.0)], []))
    assert json.dumps(document["tests"][0]["extra_data"]["status"]) == '"timeout"'
    assert f"{verdict.status}" == str(verdict.status) == "timeout"


def test_every_way_a_call_ends_without_outputs_has_its_sentence():
    assert {key[0] for key in status.MESSAGES} >= set(status.CALL) - {Status.OK}
    assert all(key[0] in Status for key in status.MESSAGES)
    # An exception of every kind has the sentence of the status it ends with.
    assert {(verdict, kind) for kind, verdict in status.ERROR_KINDS.items()} <= set(status.MESSAGES)
    for kind in status.ERROR_KINDS:
        assert status.exception_message({"type": "ValueError", "message": "m", "kind": kind, "where": "w"})


def _literal_parts(template):
    return [part for part in re.split(r"\{[^}]*\}", template) if len(part.strip()) >= 16]


def test_each_sentence_is_written_once_in_the_table_and_nowhere_else():
    sources = {path: path.read_text() for path in (WORKER.parents[1]).rglob("*.py")
               if path.name != "status.py"}
    templates = list(status.MESSAGES.values()) + list(status.LIKELY_CAUSES.values())
    for part in (part for template in templates for part in _literal_parts(template)):
        assert [str(path) for path, text in sources.items() if part in text] == [], part


def test_the_sentences_read_as_before():
    """A few sentences exactly (the round trips above take every status; these pin the words)."""
    assert status.sentence(Status.TIMEOUT, "call", seconds=20.0, likely=status.LIKELY_CAUSES["call"]) == (
        "did not finish within 20 s (time limit): an endless loop, or far slower than needed?")
    assert status.exception_message({"type": "SystemExit", "message": "", "kind": "exit", "where": "a.py line 1"}) == (
        "called exit() or sys.exit() (SystemExit (a.py line 1)): a graded function must return its result, not end "
        "the program")
    assert status.ended(Status.MISSING, "function", package="linear_classifier", module="optim", target="sgd") == (
        Outcome(Status.MISSING, message="linear_classifier/optim.py defines no sgd"))
