"""The loss service a model's train uses: it answers only what the train call in progress may ask, within bounds.

Fast and in this process: :class:`LossService` is the grader's side (it answers the sandbox's requests as
plain data, :meth:`LossService.serve`, and calls in this process, :meth:`LossService.loss`), and
``check_loss_request`` is the check both sides run.
"""

import time
import tracemalloc

import numpy as np
import pytest

from autograder import catalogue, execution
from autograder.calls import runners, wire
from autograder.catalogue.models import MODEL_TRAINING, model_problem
from autograder.packages import load_reference

X, Y, _, _ = model_problem()
NUM_ITERS = MODEL_TRAINING["LinearSVM"]["num_iters"]
REG = MODEL_TRAINING["LinearSVM"]["reg"]
SHAPE = (X.shape[1], int(Y.max()) + 1)


@pytest.fixture(scope="module")
def losses():
    return load_reference().module("losses")


@pytest.fixture
def service(losses):
    return runners.LossService(losses.svm_loss_vectorized, runners.TrainInputs(X, Y, NUM_ITERS))


def request(W, X_batch, y_batch, reg=REG, inputs=runners.TrainInputs(X, Y, NUM_ITERS)):
    """What the call process sends for ``self.loss(X_batch, y_batch, reg)`` once its check passed."""
    return runners.encode_request(*runners.check_loss_request(W, X_batch, y_batch, reg, inputs))


def minibatch(rows=37, seed=0):
    indices = np.random.default_rng(seed).choice(len(X), rows)
    return X[indices], Y[indices]


def weights(seed=0):
    return 0.001 * np.random.default_rng(seed).standard_normal(SHAPE)


def test_a_minibatch_of_the_calls_own_rows_gets_the_reference_loss_and_is_recorded(service, losses):
    X_batch, y_batch = minibatch()
    reply = service.serve(request(weights(), X_batch, y_batch))
    answer = wire.decode(reply["outputs"])
    loss, dW = losses.svm_loss_vectorized(weights(), X_batch, y_batch, REG)
    assert float(answer["loss"]) == loss and np.array_equal(answer["dW"], dW)
    assert service.records()["batch_sizes"].tolist() == [37.0] and service.records()["regs"].tolist() == [REG]


def test_another_reg_is_answered_and_recorded_for_the_reg_test_to_judge(service):
    X_batch, y_batch = minibatch()
    assert "outputs" in service.serve(request(weights(), X_batch, y_batch, reg=0.0))
    assert service.records()["regs"].tolist() == [0.0]


@pytest.mark.parametrize("change, message", [
    (lambda W, Xb, yb: (W, Xb + 1e-9, yb), "row 0 is not a row of X"),
    (lambda W, Xb, yb: (W, Xb - X.mean(axis=0), yb), "not a copy that was modified, scaled or centred"),
    (lambda W, Xb, yb: (W, Xb, (yb + 1) % SHAPE[1]), "but that row of X has the label"),
    (lambda W, Xb, yb: (np.zeros((5, 3)), np.zeros((8, 5)), np.zeros(8, dtype=int)), "self.W has shape (5, 3)"),
    (lambda W, Xb, yb: (W.T, Xb, yb), "self.W has shape (4, 9)"),
    (lambda W, Xb, yb: (W, Xb.astype(np.float32), yb), "is not a row of X"),
    (lambda W, Xb, yb: (W, Xb, yb.astype(float)), "integer labels"),
    (lambda W, Xb, yb: (W, np.concatenate([X, X, X[:1]]), np.concatenate([Y, Y, Y[:1]])), "at most 800"),
], ids=["rows nudged off X", "rows of a centred X", "labels that are not the rows' own",
        "inputs saved from another function's call", "transposed weights", "rows as float32", "float labels",
        "more than the training set twice over"])
def test_what_train_may_not_ask_is_a_value_error_naming_the_call_in_its_own_process(service, change, message):
    W, X_batch, y_batch = change(weights(), *minibatch())
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        runners.check_loss_request(W, X_batch, y_batch, REG, service.inputs)


def test_a_minibatch_reaches_the_grader_as_indices_of_rows_of_its_own_x(service):
    X_batch, y_batch = minibatch()
    sent = wire.decode(request(weights(), X_batch, y_batch))
    assert set(sent) == {"W", "rows", "reg"}
    assert np.array_equal(X[sent["rows"]], X_batch) and np.array_equal(Y[sent["rows"]], y_batch)


def _forged(**parts):
    return {**request(weights(), *minibatch()), **parts}


@pytest.mark.parametrize("forged, message", [
    (_forged(rows=wire.encode(np.array([0, 1, 400]))), "rows must index X, which has 400 rows"),
    (_forged(rows=wire.encode(np.array([-1]))), "rows must index X"),
    (_forged(rows=wire.encode(np.arange(801) % 400)), "rows must be 1 to 800 int64 indices"),
    (_forged(rows=wire.encode(np.zeros(0, dtype=np.int64))), "rows must be 1 to 800 int64 indices"),
    (_forged(rows=wire.encode(np.array([0.5]))), "rows must be 1 to 800 int64 indices"),
    (_forged(rows=wire.encode(np.zeros((2, 2), dtype=np.int64))), "rows must be 1 to 800 int64 indices"),
    (_forged(W=wire.encode(np.zeros((5, 3)))), "W must be float64 of shape (9, 4)"),
    (_forged(reg=float("nan")), "reg must be a finite number"),
    (_forged(reg=-1.0), "reg must be a finite number"),
    (_forged(reg=10 ** 400), "reg must be a finite number"),
    (_forged(reg=True), "reg must be a finite number"),
    (_forged(X_batch=wire.encode(X[:5])), "does not hold exactly W, rows and reg"),
], ids=["an index past X", "a negative index", "more than 800 rows", "no rows", "float indices", "2-D indices",
        "weights of another shape", "reg NaN", "reg negative", "reg too large for a float", "reg a bool",
        "rows of its own choosing"])
def test_a_request_sent_around_the_check_is_refused_by_the_grader_and_not_recorded(service, forged, message):
    reply = service.serve(forged)
    assert set(reply) == {"refused"} and "not one self.loss sends" in reply["refused"]
    assert message in reply["refused"]
    assert service.records()["batch_sizes"].size == 0


@pytest.mark.parametrize("W", [
    {"__array__": "float64", "shape": [0, 10 ** 13], "b64": ""},
    {"__array__": "float64", "shape": [0, 10 ** 8], "b64": ""},
    {"__array__": "float32", "shape": list(SHAPE), "b64": ""},
    {"__array__": "complex128", "shape": list(SHAPE), "b64": ""},
    {"__array__": "float64", "shape": [10 ** 6, 10 ** 6], "b64": "AAAA"},
], ids=["shape (0, 10**13)", "shape (0, 10**8)", "float32", "complex128", "a trillion entries"])
def test_a_request_out_of_bounds_is_refused_before_anything_is_decoded(service, W):
    forged = _forged(W=W)
    tracemalloc.start()
    try:
        reply = service.serve(forged)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert set(reply) == {"refused"} and f"W must be float64 of shape {SHAPE}" in reply["refused"]
    assert peak < 2 ** 20  # nothing of that size was built (numpy reports its allocations to tracemalloc)


@pytest.mark.parametrize("forged", [
    {"restart": True},
    {},
    {"W": None, "rows": None, "reg": 0.1},
    "a string",
], ids=["a restart", "nothing", "nulls", "not an object"])
def test_no_request_clears_the_record_and_every_unknown_one_ends_the_call(service, forged):
    X_batch, y_batch = minibatch()
    service.serve(request(weights(), X, Y, reg=0.0))  # the whole batch, no reg: what the tests must see
    assert set(service.serve(forged)) == {"refused"}
    assert service.records()["batch_sizes"].tolist() == [float(len(X))]
    assert set(service.serve(request(weights(), X_batch, y_batch))) == {"refused"}  # the call is over
    assert service.records()["batch_sizes"].tolist() == [float(len(X))]


def test_valid_requests_without_end_are_refused_past_the_bound_and_then_all_of_them(service):
    X_batch, y_batch = minibatch()
    valid = request(weights(), X_batch, y_batch)
    replies = [service.serve(valid) for _ in range(service.max_requests + 1)]
    assert all("outputs" in reply for reply in replies[:-1])
    assert f"more than {service.max_requests} times" in replies[-1]["refused"]
    assert service.max_requests == runners.SERVICE_REQUESTS_PER_ITERATION * NUM_ITERS + runners.SERVICE_EXTRA_REQUESTS
    assert "refused" in service.serve(valid)
    assert service.records()["batch_sizes"].size == service.max_requests


def test_the_rows_asked_for_are_bounded_by_a_full_batch_at_every_step_twice(service):
    whole = request(weights(), np.concatenate([X, X]), np.concatenate([Y, Y]), inputs=service.inputs)
    answered = 0
    while "outputs" in service.serve(whole):
        answered += 1
    assert answered == runners.SERVICE_ROWS_PER_ITERATION * NUM_ITERS * len(X) // (2 * len(X))
    assert "rows in all" in service.refused


def test_the_graders_cpu_time_for_one_call_is_bounded(monkeypatch):
    def slow_loss(W, X_batch, y_batch, reg):
        until = time.thread_time() + 0.02
        while time.thread_time() < until:
            pass
        return 0.0, np.zeros_like(W)

    monkeypatch.setattr(runners, "SERVICE_CPU_SECONDS", 0.1)
    service = runners.LossService(slow_loss, runners.TrainInputs(X, Y, NUM_ITERS))
    X_batch, y_batch = minibatch()
    replies = [service.serve(request(weights(), X_batch, y_batch)) for _ in range(10)]
    assert "outputs" in replies[0] and "refused" in replies[-1]
    assert "s of computation" in service.refused and service.cpu_seconds < 0.2


def test_after_the_call_returned_the_service_answers_nothing(service):
    service.close()
    X_batch, y_batch = minibatch()
    assert "after train returned" in service.serve(request(weights(), X_batch, y_batch))["refused"]
    with pytest.raises(runners.ServiceRefused):
        service.loss(weights(), X_batch, y_batch, REG)


def test_what_train_does_to_its_x_after_the_call_began_changes_nothing_the_service_accepts():
    X_given = X.copy()
    inputs = runners.TrainInputs(X_given, Y, NUM_ITERS)
    X_given -= X_given.mean(axis=0)  # centred in place, as a buggy train does on its writable retry
    with pytest.raises(ValueError, match="not a row of X"):
        runners.check_loss_request(weights(), X_given[:5], Y[:5], REG, inputs)
    runners.check_loss_request(weights(), X[:5], Y[:5], REG, inputs)


class _Asks:
    """A model whose train asks for the loss without end (the loss is the service's, as when graded)."""

    W = None

    def train(self, X, y, **kwargs):
        self.W = np.zeros((X.shape[1], int(y.max()) + 1))
        for _ in range(5000):
            try:
                self.loss(X[:37], y[:37], kwargs["reg"])
            except runners.ServiceRefused:
                pass  # a train that swallows the refusal still ends as protocol
        return [0.0] * kwargs["num_iters"]


def test_in_a_notebooks_kernel_too_a_refused_request_ends_the_call_as_protocol():
    plan = catalogue.build_plan(0)
    case = next(case for case in plan.cases.values() if case.runner == "train" and case.target == "LinearSVM")
    _Asks.__name__ = "LinearSVM"
    outcome = execution.run_call(case, _Asks, load_reference())
    assert outcome.status == "protocol" and "more than" in outcome.message
