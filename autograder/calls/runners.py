"""How each graded function is called, and what a call reports.

Standalone (standard library, numpy and :mod:`wire`): the sandbox runs the same runners on student code
as the grader runs on the reference solution and a notebook kernel runs on the student's modules
(``autograder.nbgrader_hooks.hidden_check``), so every call is made in exactly the same way everywhere.

Each way of calling is one :class:`Runner` in :data:`RUNNERS`, which holds all its facts. A call reports
three kinds of output (:attr:`Runner.outputs`), each from a different witness:

- the function's own results (the loss and dW, the trained weights...), which the runner returns;
- its inputs as they are after the call (:attr:`Runner.observed_inputs`): in the sandbox the trusted host
  process reads them from memory it shares with the call, so student code cannot report them falsely;
- what a model's ``train`` handed to its loss (:attr:`Runner.service_records`): the model trains with the
  reference loss, served by the grader (:class:`LossService`), which records every request itself.
"""

import builtins
import math
import os
import random
import time
import traceback
from dataclasses import dataclass
from typing import Callable

import numpy as np

try:  # In the grader this is a package; in the sandbox these files are plain modules side by side.
    from . import wire
except ImportError:
    import wire

_array = np.array
_float64 = np.float64
#: The builtins as they were before student code ran (``restore_builtins`` puts them back).
_BUILTINS = dict(builtins.__dict__)
#: True in the sandbox's call processes only: a notebook kernel's builtins belong to IPython.
SANDBOXED = False

#: Longest exception message reported, in characters.
MESSAGE_LIMIT = 400

class ResultError(Exception):
    """A student function returned something that is not the documented result."""


def restore_builtins():
    """Undo what student code did to the builtins (``abs``, ``isinstance``, ...) before grader code runs again."""
    if not SANDBOXED:
        return
    current = builtins.__dict__
    for name in [name for name in current if name not in _BUILTINS]:
        del current[name]
    current.update(_BUILTINS)


def as_float_array(value, what):
    """Convert a student's result to a float64 array, or raise ResultError saying what was wrong."""
    if value is None:
        raise ResultError(f"{what} is None: did you forget a return statement?")
    try:
        array = _array(value, dtype=_float64)
    except Exception as error:  # noqa: BLE001 (any failure means: not numbers)
        raise ResultError(f"{what} must be numbers, but it is a {type(value).__name__} ({_short(error)})") from None
    return array


def _pair(result, names, function):
    """Unpack a result documented as a tuple of ``len(names)`` values."""
    if not isinstance(result, (tuple, list)) or len(result) != len(names):
        got = f"a {type(result).__name__}" + (f" of length {len(result)}" if isinstance(result, (tuple, list)) else "")
        raise ResultError(f"{function} must return ({', '.join(names)}), but it returned {got}")
    return result


def _message(error):
    """The exception's message, cut to MESSAGE_LIMIT characters (its __str__ is student code too)."""
    try:
        text = str(error)
    except Exception:  # noqa: BLE001
        text = "(the exception's message could not be printed)"
    return text if len(text) <= MESSAGE_LIMIT else text[:MESSAGE_LIMIT] + "..."


def _short(error):
    return f"{type(error).__name__}: {_message(error)}"


# -- functions handed to student code -----------------------------------------


def make_function(spec):
    """The scalar function of an array that a gradient runner passes to student code.

    ``f(x) = sum(a * x**3 + b * x**2 + c * x)``, whose gradient ``3 a x**2 + 2 b x + c`` the grader
    knows everywhere.
    """
    a, b, c = spec["a"], spec["b"], spec["c"]

    def f(x):
        x = np.asarray(x, dtype=float)
        return float(np.sum(a * x ** 3 + b * x ** 2 + c * x))

    return f


class ServiceRefused(Exception):
    """A request to the loss service out of its bounds: it ends the call (status ``protocol``), never the grader."""


#: The loss service's bounds for one ``train`` call (both attempts of :func:`run_call` together): an honest
#: train asks once per iteration (its ``num_iters``) for at most the training set twice over.
SERVICE_REQUESTS_PER_ITERATION = 2
SERVICE_EXTRA_REQUESTS = 40
#: Rows one call's requests may hold in all, in training sets: a full batch at every step, in both attempts.
SERVICE_ROWS_PER_ITERATION = 2
#: The grader's own CPU seconds one call's requests may cost (an honest train costs about a hundredth of it).
SERVICE_CPU_SECONDS = 2.0


class TrainInputs:
    """What one ``train`` call may ask the loss service: weights of its model's shape ``(D, C)``, rows of its own
    ``X`` with their own labels ``y``, and a reg (recorded and judged: a train may pass on the wrong one).

    Built from the call's inputs before any student code runs, and kept private: what student code does to the
    arrays it was given changes nothing here. A minibatch travels to the grader as the indices of its rows in
    ``X``, so the grader computes the loss on rows of its own copy of ``X`` only.

    Parameters
    ----------
    X : ndarray of shape (N, D)
    y : ndarray of shape (N,)
        Integer labels in ``[0, C)``, ``C = max(y) + 1``.
    num_iters : int
        The call's ``num_iters``, which bounds how often it may ask.
    """

    def __init__(self, X, y, num_iters):
        self.X = np.array(X, dtype=_float64, order="C")
        self.y = _array(y, dtype=np.int64)
        self.num_train, self.dim = self.X.shape
        self.shape = (self.dim, int(self.y.max()) + 1 if self.y.size else 0)
        self.max_rows = 2 * self.num_train  # the training set twice over (sampling with replacement)
        self.num_iters = max(1, int(num_iters))
        #: Each row's bytes, and for each label it has there, its index (a row may repeat with another label).
        self.rows = {}
        for index, (row, label) in enumerate(zip(_rows(self.X), self.y.tolist())):
            self.rows.setdefault(row, {}).setdefault(label, index)

    def request_entries(self):
        """Most array entries one request may hold (W and the indices of a minibatch of ``max_rows`` rows)."""
        return self.shape[0] * self.shape[1] + self.max_rows


def _rows(X):
    """The bytes of each row of a C-contiguous float64 array of shape (n, d)."""
    data, width = X.tobytes(), X.shape[1] * 8
    return [data[start:start + width] for start in range(0, len(data), width)] if width else [b""] * len(X)


_CALL = "self.loss(X_batch, y_batch, reg)"
_PASS_ROWS = "pass the minibatch X[indices], its labels y[indices] and the reg argument of train"


def check_loss_request(W, X_batch, y_batch, reg, inputs):
    """``(W, indices, reg)`` of what a model's ``train`` passed to ``self.loss``; ValueError naming the call if wrong.

    ``inputs`` (a :class:`TrainInputs`) says what this train call may ask; ``indices`` are those of the rows of
    ``X_batch`` in its ``X``. The call process checks this way (so the student reads a mistake as an error in
    their ``train``), and so does the loss service in a notebook's kernel.
    """
    for name, value in (("X_batch", X_batch), ("y_batch", y_batch), ("reg", reg)):
        if value is None:
            raise ValueError(f"{_CALL} got {name} = None: {_PASS_ROWS}")
    if W is None:
        raise ValueError(f"{_CALL} was called while self.W is None: train must set self.W to an array of shape "
                         f"(D, C) = {inputs.shape} before the first step")
    try:
        W = _array(W, dtype=_float64)
        X_batch = np.ascontiguousarray(X_batch, dtype=_float64)
        y_batch = _array(y_batch)
        reg = float(reg)
    except Exception as error:  # noqa: BLE001 (None, strings, objects: all mean "not numbers")
        raise ValueError(f"{_CALL} was called with something that is not numbers ({_short(error)}): "
                         f"{_PASS_ROWS}") from None
    if W.shape != inputs.shape:
        raise ValueError(f"{_CALL} was called while self.W has shape {W.shape}: train must set self.W to an array "
                         f"of shape (D, C) = {inputs.shape}, D features and C = max(y) + 1 classes")
    if X_batch.ndim != 2 or X_batch.shape[1] != inputs.dim or not 1 <= X_batch.shape[0] <= inputs.max_rows:
        raise ValueError(f"{_CALL} was called with X_batch of shape {X_batch.shape}: pass rows of X, an array of "
                         f"shape (batch_size, {inputs.dim}), at most {inputs.max_rows} of them")
    if y_batch.shape != (X_batch.shape[0],) or y_batch.dtype.kind not in "iu":
        raise ValueError(f"{_CALL} was called with y_batch of shape {y_batch.shape} and type {y_batch.dtype}: pass "
                         f"the integer labels of the same rows, y[indices], one per row of X_batch")
    if not np.isfinite(reg) or reg < 0:
        raise ValueError(f"{_CALL} was called with reg = {reg}: pass the reg argument of train on")
    return W, _indices(X_batch, y_batch, inputs), reg


def _indices(X_batch, y_batch, inputs):
    """The index in train's ``X`` of each row of ``X_batch`` with its label; ValueError for one that has none."""
    indices = []
    for position, (row, label) in enumerate(zip(_rows(X_batch), y_batch.tolist())):
        labels = inputs.rows.get(row)
        if labels is None:
            raise ValueError(f"{_CALL} was called with an X_batch whose row {position} is not a row of X: pass rows "
                             "of the X that train was given, X[indices], as they are (not a copy that was modified, "
                             "scaled or centred, in place or not)")
        if label not in labels:
            raise ValueError(f"{_CALL} was called with y_batch[{position}] = {label}, but that row of X has the "
                             f"label {min(labels)}: pass y[indices], with the same indices as X[indices]")
        indices.append(labels[label])
    return _array(indices, dtype=np.int64)


def train_inputs(args):
    """The :class:`TrainInputs` of a train call's (decoded) arguments."""
    return TrainInputs(args["X"], args["y"], args["kwargs"].get("num_iters", 100))


def loss_service(runner, args, loss_function):
    """The LossService a call of ``runner`` needs, serving ``loss_function`` (the reference loss the trained
    function's declaration names, which the grader looks up: ``calls/`` reads nothing of it), or None for calls
    that need none."""
    if not RUNNERS[runner].service_records:
        return None
    return LossService(loss_function, train_inputs(args))


class LossService:
    """The loss a model trains with, and the record of what its train call asked of it.

    ``loss_function`` is the reference ``(loss, dW) = f(W, X, y, reg)``; ``inputs`` (:class:`TrainInputs`)
    says what the call may ask. The record only grows: nothing a request holds clears or rewrites it. The
    service's cost is bounded (:data:`SERVICE_REQUESTS_PER_ITERATION`, :data:`SERVICE_ROWS_PER_ITERATION`,
    :data:`SERVICE_CPU_SECONDS`); past a bound, or once the call is over (:meth:`close`), every request is
    refused (:class:`ServiceRefused`), and :attr:`refused` says why.
    """

    def __init__(self, loss_function, inputs):
        self.loss_function, self.inputs = loss_function, inputs
        self.batch_sizes, self.regs = [], []
        self.max_requests = SERVICE_REQUESTS_PER_ITERATION * inputs.num_iters + SERVICE_EXTRA_REQUESTS
        self.max_rows = SERVICE_ROWS_PER_ITERATION * inputs.num_iters * inputs.num_train
        self.requests = self.rows = 0
        self.cpu_seconds = 0.0
        self.refused = None
        self.closed = False

    def close(self):
        """The call is over: refuse whatever asks later."""
        self.closed = True

    def loss(self, W, X_batch, y_batch, reg):
        """``(loss, dW)`` for arrays (a call in this process): ValueError for a wrong request, as the sandbox's
        client raises it; ServiceRefused past a bound."""
        self._admit()
        return self._compute(*check_loss_request(W, X_batch, y_batch, reg, self.inputs))

    def serve(self, request):
        """Answer a sandboxed call's request (plain data): ``{"outputs": ...}`` or ``{"refused": MESSAGE}``.

        The request is ``{"W": ..., "rows": indices in X, "reg": ...}`` (:func:`encode_request`), which the call
        process sends once its :func:`check_loss_request` passed; whatever fails here was sent around that
        check, and is refused, which ends the call. Types and sizes are checked before anything is decoded.
        """
        try:
            self._admit()
            started = time.thread_time()
            try:
                W, indices, reg = _decode_request(request, self.inputs)
            except (ValueError, wire.ProtocolError) as error:
                raise self._refuse(f"train's request for the loss was not one self.loss sends ({error})") from None
            finally:
                self.cpu_seconds += time.thread_time() - started
            loss, dW = self._compute(W, indices, reg)
        except ServiceRefused as refused:
            return {"refused": str(refused)}
        return {"outputs": wire.encode({"loss": loss, "dW": dW})}

    def _admit(self):
        """Count one more request; ServiceRefused when the call may ask no more."""
        if self.refused is not None:
            raise ServiceRefused(self.refused)
        if self.closed:
            raise self._refuse("self.loss was called after train returned: the loss is served during train only")
        self.requests += 1
        if self.requests > self.max_requests:
            raise self._refuse(f"train asked for the loss more than {self.max_requests} times (num_iters = "
                               f"{self.inputs.num_iters}: one request per iteration is what train needs)")
        if self.cpu_seconds > SERVICE_CPU_SECONDS:
            raise self._refuse(f"train's requests for the loss cost the grader more than {SERVICE_CPU_SECONDS:g} s "
                               "of computation (one minibatch per iteration costs about a hundredth of it)")

    def _refuse(self, message):
        self.refused = message
        return ServiceRefused(message)

    def _compute(self, W, indices, reg):
        """The reference loss on the rows ``indices`` of the call's own X and y; recorded."""
        self.rows += len(indices)
        if self.rows > self.max_rows:
            raise self._refuse(f"train's requests for the loss held more than {self.max_rows} rows in all (the whole "
                               f"training set at each of num_iters = {self.inputs.num_iters} steps, twice)")
        started = time.thread_time()
        try:
            loss, dW = self.loss_function(W, self.inputs.X[indices], self.inputs.y[indices], reg)
        finally:
            self.cpu_seconds += time.thread_time() - started
        self.batch_sizes.append(float(len(indices)))
        self.regs.append(reg)
        return float(loss), _array(dW, dtype=_float64)

    def records(self):
        return {"batch_sizes": _array(self.batch_sizes, dtype=_float64), "regs": _array(self.regs, dtype=_float64)}


def encode_request(W, indices, reg):
    """A checked request (:func:`check_loss_request`'s result) as the plain data the sandbox sends the grader."""
    return wire.encode({"W": W, "rows": indices, "reg": reg})


def _decode_request(request, inputs):
    """``(W, indices, reg)`` of a request, decoded only once its types and shapes are those ``inputs`` allow
    (ValueError otherwise): W float64 of shape (D, C), 1 to ``max_rows`` int64 indices of rows of X, a reg."""
    if not isinstance(request, dict) or set(request) != {"W", "rows", "reg"}:
        raise ValueError("it does not hold exactly W, rows and reg")
    W, rows, reg = request["W"], request["rows"], request["reg"]
    if not isinstance(W, dict) or W.get("__array__") != "float64" or W.get("shape") != list(inputs.shape):
        raise ValueError(f"W must be float64 of shape {inputs.shape}")
    shape = rows.get("shape") if isinstance(rows, dict) else None
    if (rows.get("__array__") if isinstance(rows, dict) else None) != "int64" or not (
            isinstance(shape, list) and len(shape) == 1 and type(shape[0]) is int and 1 <= shape[0] <= inputs.max_rows):
        raise ValueError(f"rows must be 1 to {inputs.max_rows} int64 indices")
    try:
        if isinstance(reg, bool) or not isinstance(reg, (int, float)) or not math.isfinite(reg) or reg < 0:
            raise ValueError
    except (ValueError, OverflowError):
        raise ValueError("reg must be a finite number, at least 0") from None
    arrays = wire.decode({"W": W, "rows": rows}, max_entries=inputs.request_entries())
    indices = arrays["rows"]
    if indices.min() < 0 or indices.max() >= inputs.num_train:
        raise ValueError(f"rows must index X, which has {inputs.num_train} rows")
    return arrays["W"], indices, float(reg)


# -- runners: one way of calling a student function ---------------------------


def run_loss(target, args, services):
    """``(loss, dW) = target(W, X, y, reg)``."""
    loss, dW = _pair(target(args["W"], args["X"], args["y"], args["reg"]), ("loss", "dW"), target.__name__)
    return {"loss": as_float_array(loss, "the loss"), "dW": as_float_array(dW, "dW")}


def run_numerical_gradient(target, args, services):
    """``grad = target(f, x, h=h)`` with a function of known gradient."""
    kwargs = {} if args.get("h") is None else {"h": args["h"]}
    grad = target(make_function(args["function"]), args["x"], **kwargs)
    return {"grad": as_float_array(grad, "the numerical gradient")}


def run_grad_check(target, args, services):
    """``errors = target(f, x, analytic_grad, num_checks=..., h=..., seed=...)``, ``repeat`` times."""
    f = make_function(args["function"])
    kwargs = {"num_checks": args["num_checks"], "seed": args["seed"]}
    if args.get("h") is not None:
        kwargs["h"] = args["h"]
    runs = [as_float_array(target(f, args["x"], args["analytic_grad"], **kwargs), "the array of relative errors")
            for _ in range(args.get("repeat", 1))]
    return {"errors": runs[0], "repeated": runs[-1]}


def run_penalty(target, args, services):
    """``(value, grad) = target(W[, beta=beta])``."""
    kwargs = {} if args.get("beta") is None else {"beta": args["beta"]}
    value, grad = _pair(target(args["W"], **kwargs), ("value", "gradient"), target.__name__)
    return {"value": as_float_array(value, "the penalty value"), "grad": as_float_array(grad, "the gradient")}


def run_optimizer(target, args, services):
    """Take ``len(dws)`` steps ``w, config = target(w, dw, config)``, passing config back each time."""
    w = args["w"]
    config = None if args.get("config") is None else dict(args["config"])
    weights = []
    for dw in args["dws"]:
        w, config = _pair(target(w, dw, config), ("next_w", "config"), target.__name__)
        if not isinstance(config, dict):
            raise ResultError(f"{target.__name__} must return the config dict as its second value, "
                              f"but it returned a {type(config).__name__}")
        weights.append(as_float_array(w, "next_w"))
    return {"weights": _array(weights, dtype=_float64)}


def run_schedule(target, args, services):
    """``target(**case)`` for each case of keyword arguments; returns the values."""
    values = [as_float_array(target(**case), "the learning rate") for case in args["cases"]]
    for value in values:
        if value.ndim != 0:
            raise ResultError(f"{target.__name__} must return one number, but it returned shape {value.shape}")
    return {"values": _array(values, dtype=_float64)}


def run_train(target, args, services):
    """Train a fresh ``target()`` model whose loss is the reference's, served by ``services.loss``.

    The model's own loss is graded in its own group; here only ``train`` and the weights it reaches count,
    so a bug in the student's loss costs points once.
    """
    def loss(self, X_batch, y_batch, reg):
        return services.loss(self.W, X_batch, y_batch, reg)

    # A subclass swaps the loss without changing the student's class.
    model = type(target.__name__, (target,), {"loss": loss})()
    untrained = getattr(model, "W", None) is None
    history = model.train(args["X"], args["y"], **args["kwargs"])
    if history is None:
        raise ResultError("train must return the list of losses, but it returned None")
    return {"W": as_float_array(model.W, "the trained weights self.W"),
            "history": as_float_array(history, "the loss history").reshape(-1),
            "untrained_W_is_None": bool(untrained)}


def run_predict(target, args, services):
    """``target()`` with ``W`` set, then ``predict(X)``."""
    model = target()
    model.W = args["W"].copy()
    return {"labels": as_float_array(model.predict(args["X"]), "the predicted labels")}


@dataclass(frozen=True)
class Runner:
    """One way of calling a student function, and everything a call of it reports."""

    name: str
    #: ``run(target, args, services)``: calls ``target`` and returns its own outputs.
    run: Callable
    #: What ``run`` returns, ``{output: "array" | "bool"}``: arrays are float64 (int64 for labels).
    own_outputs: dict
    #: ``own_entries(args)``: about how many array entries ``run`` returns for a correct call on ``args``.
    own_entries: Callable
    #: The array arguments whose state after the call is reported (to judge "inputs unmodified").
    observed_inputs: tuple = ()
    #: Inputs the function must never write, passed read-only: numpy refuses any write, so that no code run
    #: after the function (in its own process) can hide one by putting the values back. A call that fails on
    #: such a write is run again on writable inputs, so that its values are still judged, and reports
    #: ``wrote_read_only``. (``x`` of the gradient functions is written and put back by design.)
    read_only_inputs: tuple = ()
    #: What the loss service records of the call, for a function that trains with it (none: it gets no service).
    service_records: tuple = ()

    @property
    def reported_outputs(self):
        """What the process running a call reports itself: the runner's own outputs and the read-only flag."""
        return {**self.own_outputs, **({"wrote_read_only": "bool"} if self.read_only_inputs else {})}

    @property
    def outputs(self):
        """Everything a call reports: what its process reports, the observed inputs and the service's records."""
        return {**self.reported_outputs, **{name: "array" for name in self.observed_inputs + self.service_records}}

    def expected_entries(self, args):
        """About how many array entries a correct call on ``args`` reports: what bounds a result's size."""
        return int(self.own_entries(args)) + sum(int(np.size(args[name])) for name in self.observed_inputs)


def _trained_entries(args):
    """A trained model's weights (D features by C = max(y) + 1 classes) and its loss history."""
    X = args["X"]
    return X.shape[1] * (int(np.max(args["y"])) + 1) + int(args["kwargs"].get("num_iters", 100))


#: Every runner, by name (a case's ``runner``).
RUNNERS = {runner.name: runner for runner in (
    Runner("loss", run_loss, {"loss": "array", "dW": "array"}, lambda args: np.size(args["W"]) + 1,
           observed_inputs=("W", "X", "y"), read_only_inputs=("W", "X", "y")),
    Runner("numerical_gradient", run_numerical_gradient, {"grad": "array"}, lambda args: np.size(args["x"]),
           observed_inputs=("x",)),
    Runner("grad_check", run_grad_check, {"errors": "array", "repeated": "array"},
           lambda args: 2 * int(args["num_checks"]), observed_inputs=("x", "analytic_grad"),
           read_only_inputs=("analytic_grad",)),
    Runner("penalty", run_penalty, {"value": "array", "grad": "array"}, lambda args: np.size(args["W"]) + 1,
           observed_inputs=("W",), read_only_inputs=("W",)),
    Runner("optimizer", run_optimizer, {"weights": "array"}, lambda args: len(args["dws"]) * np.size(args["w"])),
    Runner("schedule", run_schedule, {"values": "array"}, lambda args: len(args["cases"])),
    Runner("train", run_train, {"W": "array", "history": "array", "untrained_W_is_None": "bool"}, _trained_entries,
           observed_inputs=("X", "y"), read_only_inputs=("X", "y"), service_records=("batch_sizes", "regs")),
    Runner("predict", run_predict, {"labels": "array"}, lambda args: np.shape(args["X"])[0],
           observed_inputs=("X",), read_only_inputs=("X",)),
)}


def describe_exception(error, package_root=None):
    """Plain-data description of an exception raised by student code."""
    where = None
    if package_root is not None and not isinstance(error, SyntaxError):  # a SyntaxError names file and line
        root = os.path.realpath(package_root)
        for frame in reversed(traceback.extract_tb(error.__traceback__)):
            path = os.path.realpath(frame.filename)
            if path.startswith(root + os.sep):
                where = f"{os.path.relpath(path, root)} line {frame.lineno}, in {frame.name}"
                break
    kind = "error"
    if isinstance(error, NotImplementedError):
        kind = "not_implemented"
    elif isinstance(error, ResultError):
        kind = "bad_result"
    elif isinstance(error, MemoryError):
        kind = "memory"
    elif isinstance(error, SystemExit):
        kind = "exit"
    elif isinstance(error, KeyboardInterrupt):
        kind = "interrupt"
    message = _message(error)
    if isinstance(error, ImportError) and (error.name or "").split(".")[1:2] == ["checks"]:
        # In the notebook this import works; say why it does not here, or the student cannot act on it.
        message += (". The notebook checks are left out while grading: graded code must not use them; "
                    "write the computation in your own module.")
    return {"type": type(error).__name__, "message": message, "where": where, "kind": kind}


def read_only(array):
    """A copy of ``array`` that no one can write, nor make writable again (its buffer is read-only bytes)."""
    return np.frombuffer(array.tobytes(), dtype=array.dtype).reshape(array.shape)


def _is_read_only_write(error):
    return isinstance(error, ValueError) and "read-only" in str(error)


def run_call(call, target, package_root=None, services=None, args=None, observe_inputs=True, frozen=None):
    """Run one call on ``target``; return ``{"outputs": ...}`` (plain data) or ``{"error": ...}``.

    ``call`` holds the runner's name, the seed and the encoded arguments (``args``, when given, are those
    arguments already decoded). The runner's :attr:`Runner.read_only_inputs` are passed read-only (``frozen``,
    when given, maps their names to read-only versions; by default :func:`read_only` copies); a call that
    fails on writing one runs again on ``args`` themselves. With ``observe_inputs``, the outputs include the
    observed inputs as the call left them; in the sandbox the host reads those itself.
    """
    args = wire.decode(call["args"]) if args is None else args
    protected = RUNNERS[call["runner"]].read_only_inputs
    frozen = frozen if frozen is not None else {name: read_only(args[name]) for name in protected}
    attempts = [({**args, **frozen}, False)] + ([(args, True)] if protected else [])
    try:
        return _attempt_call(call, target, package_root, services, args, attempts, observe_inputs)
    finally:
        if services is not None:
            services.close()  # what asks for the loss after the call gets nothing


def _attempt_call(call, target, package_root, services, args, attempts, observe_inputs):
    """The attempts of :func:`run_call`; the loss service's record spans both (nothing may clear it)."""
    runner = RUNNERS[call["runner"]]
    protected = runner.read_only_inputs
    for attempt, (arguments, wrote) in enumerate(attempts):
        # Students who draw from the global generators still get reproducible runs.
        np.random.seed(call.get("seed", 0) % 2 ** 32)
        random.seed(call.get("seed", 0))
        try:
            with np.errstate(all="ignore"):
                outputs = runner.run(target, arguments, services)
        except BaseException as error:  # noqa: BLE001 (student code may raise anything, even SystemExit)
            restore_builtins()
            if attempt == 0 and protected and _is_read_only_write(error):
                continue
            return {"error": describe_exception(error, package_root)}
        restore_builtins()
        if protected:
            outputs["wrote_read_only"] = wrote
        if observe_inputs:
            outputs.update({name: args[name] for name in runner.observed_inputs})
        return {"outputs": wire.encode(outputs)}
