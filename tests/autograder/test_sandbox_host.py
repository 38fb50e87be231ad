"""The sandbox's host outlives what student code does to it: signals, closed pipes, requests for the loss
out of turn; and what student code printed without flushing reaches the log. In both sandbox modes."""

import os
import textwrap

import pytest

from autograder import course
from autograder.calls import runners, wire
from autograder.catalogue.models import model_problem
from autograder.packages import load_reference
from autograder.sandbox import Limits, Sandbox, probe_bwrap

BWRAP, WHY_NOT = probe_bwrap()
LIMITS = Limits(timeout=5, startup=60)
MODES = [pytest.param("bubblewrap", marks=pytest.mark.skipif(
    not BWRAP and os.environ.get("AUTOGRADER_ALLOW_NO_BWRAP") == "1", reason=f"bubblewrap cannot run here: {WHY_NOT}")),
         "rlimits"]

PROBES = '''
import gc, os, signal, sys, time

import numpy as np


def signals_its_host():
    sent = 0.0
    for number in sorted(signal.valid_signals()):
        if number not in (signal.SIGKILL, signal.SIGSTOP):
            try:
                os.kill(os.getppid(), number)
                sent += 1
            except OSError:
                pass
    time.sleep(0.2)  # let them arrive
    return sent


def closes_its_call_pipe():
    channel = next(o for o in gc.get_objects() if type(o).__name__ == "_Channel")
    os.close(channel.requests)
    return 1.0


def closes_every_pipe_and_sleeps():
    for name in os.listdir("/proc/self/fd"):
        if int(name) > 2:
            try:
                os.close(int(name))
            except OSError:
                pass
    time.sleep(30)
    return 0.0


def prints_without_flushing():
    sys.stdout.write("unflushed-out ")
    sys.stderr.write("unflushed-err ")
    return 1.0


def asks_for_a_loss_outside_train():
    channel = next(o for o in gc.get_objects() if type(o).__name__ == "_Channel")
    channel.send(event="service", request={"W": None})
    channel.receive()
    return 0.0


def answers():
    return 42.0


class LinearSVM:
    W = None

    def train(self, X, y, **kwargs):
        self.W = np.zeros((X.shape[1], int(y.max()) + 1))
        history = []
        for _ in range(kwargs["num_iters"]):
            loss, dW = self.loss(X[:kwargs["batch_size"]], y[:kwargs["batch_size"]], kwargs["reg"])
            self.W -= 0.01 * dW
            history.append(loss)
        return history
'''


def call(target, key=None, module="probes"):
    return {"key": key or target, "module": module, "target": target, "runner": "schedule", "seed": 1,
            "args": wire.encode({"cases": [{}]})}


def train_call(key="train"):
    X, y, _, _ = model_problem()
    kwargs = {"num_iters": 5, "batch_size": 10, "reg": 0.1, "learning_rate": 0.01}
    return {"key": key, "module": "probes", "target": "LinearSVM", "runner": "train", "seed": 1,
            "args": wire.encode({"X": X, "y": y, "kwargs": kwargs})}, {"X": X, "y": y, "kwargs": kwargs}


@pytest.fixture
def package(tmp_path):
    folder = tmp_path / "submission" / course.PACKAGE
    folder.mkdir(parents=True)
    (folder / "__init__.py").write_text("")
    (folder / "probes.py").write_text(textwrap.dedent(PROBES))
    (folder / "other.py").write_text(textwrap.dedent(PROBES))
    return folder.parent


def value(run, key):
    report = run.reports[key]
    assert report.status == "ok", report
    return float(wire.decode(report.result["outputs"])["values"][0])


@pytest.mark.parametrize("mode", MODES)
def test_signals_sent_to_the_host_are_ignored_and_the_submission_keeps_its_sandbox(package, mode):
    run = Sandbox(LIMITS, mode).run([call("signals_its_host"), call("answers")], package)
    assert value(run, "signals_its_host") >= 30  # every signal but SIGKILL and SIGSTOP was sent
    assert value(run, "answers") == 42.0 and run.restarts == 0


@pytest.mark.parametrize("mode", MODES)
def test_a_call_process_that_closes_the_pipe_its_calls_come_on_ends_its_next_call_only(package, mode):
    calls = [call("closes_its_call_pipe"), call("answers", "next of the same module"),
             call("answers", "another module", module="other"), call("answers", "same module, restarted")]
    run = Sandbox(LIMITS, mode).run(calls, package)
    assert value(run, "closes_its_call_pipe") == 1.0
    assert run.reports["next of the same module"].status == "protocol"
    assert "closed the pipe the sandbox's host sends it calls on" in run.reports["next of the same module"].message
    assert value(run, "another module") == 42.0 and value(run, "same module, restarted") == 42.0
    assert run.restarts == 0


@pytest.mark.parametrize("mode", MODES)
def test_a_call_process_that_closes_all_its_pipes_and_lives_on_ends_that_call_at_once(package, mode):
    run = Sandbox(LIMITS, mode).run([call("closes_every_pipe_and_sleeps"), call("answers")], package)
    report = run.reports["closes_every_pipe_and_sleeps"]
    assert report.status == "protocol" and "closed the pipe it sends its results on" in report.message
    assert value(run, "answers") == 42.0 and run.restarts == 0


@pytest.mark.parametrize("mode", MODES)
def test_what_student_code_printed_without_flushing_reaches_the_output(package, mode):
    run = Sandbox(LIMITS, mode).run([call("prints_without_flushing")], package)
    assert b"unflushed-out" in run.output and b"unflushed-err" in run.output


@pytest.mark.parametrize("mode", MODES)
def test_a_request_for_the_loss_outside_a_models_train_ends_that_call_as_protocol(package, mode):
    run = Sandbox(LIMITS, mode).run([call("asks_for_a_loss_outside_train"), call("answers")], package)
    report = run.reports["asks_for_a_loss_outside_train"]
    assert report.status == "protocol" and "outside a model's train" in report.message
    assert value(run, "answers") == 42.0


@pytest.mark.parametrize("mode", MODES)
def test_a_train_in_the_sandbox_is_served_the_reference_loss_and_its_record_kept_by_the_grader(package, mode):
    sandboxed, args = train_call()
    service = runners.loss_service("train", args, load_reference().target("losses", "svm_loss_vectorized"))
    run = Sandbox(LIMITS, mode).run([sandboxed], package, serve=lambda key, request: service.serve(request))
    assert run.reports["train"].status == "ok", run.reports["train"]
    assert service.records()["batch_sizes"].tolist() == [10.0] * 5 and service.records()["regs"].tolist() == [0.1] * 5
