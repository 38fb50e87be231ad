"""The part of the grader that runs next to student code, inside the sandbox.

Nothing of the autograder is visible in the sandbox, so this file is
standalone: it imports only the standard library and numpy, and the sandbox
runs it as a script. It reads a plan (which functions to call on which
inputs), imports the student's package from the scratch copy, calls each
function, and reports the results as plain data (float64 arrays encoded as
base64, numbers, short strings) on a dedicated pipe, one JSON object per line.
Nothing it sends is compared here: the trusted grader compares it with the
reference solution run on the same inputs.

The same runners execute the reference solution in the trusted grader and the
student's modules in a notebook kernel (``autograder.notebook.hidden_check``),
so every call is made in exactly the same way everywhere.

Protocol (events written to the result pipe, in order)::

    {"event": "ready"}
    {"event": "import", "module": "linear_classifier.losses"}
    {"event": "imported", "module": ...} | {"event": "import_failed", "module": ..., "error": {...}}
    {"event": "start", "call": KEY}
    {"event": "result", "call": KEY, "outputs": {...}} | {"event": "result", "call": KEY, "error": {...}}
    {"event": "done"}
"""

import base64
import builtins
import importlib
import json
import os
import random
import sys
import traceback

import numpy as np

# Bound before any student code runs, so that a student module replacing numpy
# functions cannot change how results are encoded.
_array = np.array
_float64 = np.float64
_frombuffer = np.frombuffer
#: The builtins as they were before student code ran; restored before the worker uses them again.
_BUILTINS = dict(builtins.__dict__)
#: True in the sandboxed process only: a notebook kernel's builtins belong to IPython.
_SANDBOXED = False


def restore_builtins():
    """Undo what student code did to the builtins (``abs``, ``isinstance``, ...) so the worker keeps working."""
    if not _SANDBOXED:
        return
    current = builtins.__dict__
    for name in [name for name in current if name not in _BUILTINS]:
        del current[name]
    current.update(_BUILTINS)


#: Longest exception message reported, in characters.
MESSAGE_LIMIT = 400


class ResultError(Exception):
    """A student function returned something that is not the documented result."""


# -- plain-data encoding ------------------------------------------------------


def encode(value):
    """Encode numbers and arrays (nested in dicts and lists) as JSON-ready plain data."""
    if isinstance(value, np.ndarray):
        kind = "int64" if value.dtype.kind in "iub" else "float64"
        data = np.array(value, dtype=kind, order="C")
        return {"__array__": kind, "shape": list(data.shape), "b64": base64.b64encode(data.tobytes()).decode("ascii")}
    if isinstance(value, dict):
        return {str(key): encode(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [encode(item) for item in value]
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value)
    if value is None or isinstance(value, str):
        return value
    raise TypeError(f"cannot encode {type(value).__name__}")


def decode(value):
    """Inverse of :func:`encode`: arrays come back as fresh, writable numpy arrays."""
    if isinstance(value, dict):
        if "__array__" in value:
            kind = value["__array__"]
            if kind not in ("float64", "int64"):
                raise ValueError(f"unknown array type {kind!r}")
            shape = tuple(int(n) for n in value["shape"])
            data = _frombuffer(base64.b64decode(value["b64"]), dtype=kind)
            if data.size != int(np.prod(shape, dtype=np.int64)):
                raise ValueError("array data does not match its shape")
            return data.reshape(shape).copy()
        return {key: decode(item) for key, item in value.items()}
    if isinstance(value, list):
        return [decode(item) for item in value]
    return value


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

    ``poly``: ``f(x) = sum(a * x**3 + b * x**2 + c * x)``, whose gradient is
    ``3 a x**2 + 2 b x + c``; the trusted grader knows it everywhere.
    """
    a, b, c = spec["a"], spec["b"], spec["c"]

    def f(x):
        x = np.asarray(x, dtype=float)
        return float(np.sum(a * x ** 3 + b * x ** 2 + c * x))

    return f


# -- runners: one way of calling a student function ---------------------------


def run_loss(target, args):
    """``(loss, dW) = target(W, X, y, reg)``; also reports the inputs as they are afterwards."""
    W, X, y = args["W"], args["X"], args["y"]
    loss, dW = _pair(target(W, X, y, args["reg"]), ("loss", "dW"), target.__name__)
    return {"loss": as_float_array(loss, "the loss"), "dW": as_float_array(dW, "dW"), "W": W, "X": X, "y": y}


def run_numerical_gradient(target, args):
    """``grad = target(f, x, h=h)`` with a function of known gradient."""
    x = args["x"]
    kwargs = {} if args.get("h") is None else {"h": args["h"]}
    grad = target(make_function(args["function"]), x, **kwargs)
    return {"grad": as_float_array(grad, "the numerical gradient"), "x": x}


def run_grad_check(target, args):
    """``errors = target(f, x, analytic_grad, num_checks=..., h=..., seed=...)``, ``repeat`` times."""
    x, analytic = args["x"], args["analytic_grad"]
    f = make_function(args["function"])
    kwargs = {"num_checks": args["num_checks"], "seed": args["seed"]}
    if args.get("h") is not None:
        kwargs["h"] = args["h"]
    runs = [as_float_array(target(f, x, analytic, **kwargs), "the array of relative errors")
            for _ in range(args.get("repeat", 1))]
    return {"errors": runs[0], "repeated": runs[-1], "x": x, "analytic_grad": analytic}


def run_penalty(target, args):
    """``(value, grad) = target(W[, beta=beta])``."""
    W = args["W"]
    kwargs = {} if args.get("beta") is None else {"beta": args["beta"]}
    value, grad = _pair(target(W, **kwargs), ("value", "gradient"), target.__name__)
    return {"value": as_float_array(value, "the penalty value"), "grad": as_float_array(grad, "the gradient"), "W": W}


def run_optimizer(target, args):
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


def run_schedule(target, args):
    """``target(**case)`` for each case of keyword arguments; returns the values."""
    values = [as_float_array(target(**case), "the learning rate") for case in args["cases"]]
    for value in values:
        if value.ndim != 0:
            raise ResultError(f"{target.__name__} must return one number, but it returned shape {value.shape}")
    return {"values": _array(values, dtype=_float64)}


def run_train(target, args):
    """Train a fresh ``target()`` model, recording the batch sizes and reg values its loss sees."""
    X, y = args["X"], args["y"]
    batch_sizes, regs = [], []
    original_loss = target.loss

    def loss(self, *call_args, **call_kwargs):
        names = ("X_batch", "y_batch", "reg")
        values = dict(zip(names, call_args), **call_kwargs)
        batch = values.get("X_batch")
        batch_sizes.append(float(len(batch)) if batch is not None else float("nan"))
        regs.append(float(values["reg"]) if "reg" in values else float("nan"))
        return original_loss(self, *call_args, **call_kwargs)

    # A subclass records the calls without changing the student's class.
    spy_class = type(target.__name__, (target,), {"loss": loss})
    model = spy_class()
    untrained = getattr(model, "W", None) is None
    history = model.train(X, y, **args["kwargs"])
    if history is None:
        raise ResultError("train must return the list of losses, but it returned None")
    return {
        "W": as_float_array(model.W, "the trained weights self.W"),
        "history": as_float_array(history, "the loss history").reshape(-1),
        "batch_sizes": _array(batch_sizes, dtype=_float64),
        "regs": _array(regs, dtype=_float64),
        "untrained_W_is_None": bool(untrained),
        "X": X, "y": y,
    }


def run_predict(target, args):
    """``target()`` with ``W`` set, then ``predict(X)``."""
    X = args["X"]
    model = target()
    model.W = args["W"].copy()
    labels = as_float_array(model.predict(X), "the predicted labels")
    return {"labels": labels, "X": X}


RUNNERS = {
    "loss": run_loss,
    "numerical_gradient": run_numerical_gradient,
    "grad_check": run_grad_check,
    "penalty": run_penalty,
    "optimizer": run_optimizer,
    "schedule": run_schedule,
    "train": run_train,
    "predict": run_predict,
}


def describe_exception(error, package_root=None):
    """Plain-data description of an exception raised by student code."""
    where = None
    if package_root is not None:
        root = os.path.realpath(package_root)
        for frame in reversed(traceback.extract_tb(error.__traceback__)):
            path = os.path.realpath(frame.filename)
            if path.startswith(root + os.sep):
                where = f"{os.path.relpath(path, root)} line {frame.lineno}, in {frame.name}"
                break
    if isinstance(error, SyntaxError):
        # The message already names the file and line.
        where = None
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


def run_call(call, target, package_root=None):
    """Run one call of the plan on ``target``; return ``{"outputs": ...}`` or ``{"error": ...}``."""
    args = decode(call["args"])
    seed = call.get("seed", 0)
    # Students who draw from the global generators still get reproducible runs.
    np.random.seed(seed % 2 ** 32)
    random.seed(seed)
    try:
        with np.errstate(all="ignore"):
            outputs = RUNNERS[call["runner"]](target, args)
        restore_builtins()
        return {"outputs": encode(outputs)}
    except BaseException as error:  # noqa: BLE001 (student code may raise anything, even SystemExit)
        restore_builtins()
        return {"error": describe_exception(error, package_root)}


# -- the sandboxed process ----------------------------------------------------


def _set_limits(limits):
    import resource

    # Hard limits too: student code cannot raise them again.
    for name, value in (("RLIMIT_AS", limits.get("memory_bytes")), ("RLIMIT_CPU", limits.get("cpu_seconds")),
                        ("RLIMIT_FSIZE", limits.get("file_bytes")), ("RLIMIT_NPROC", limits.get("processes")),
                        ("RLIMIT_NOFILE", limits.get("open_files")), ("RLIMIT_CORE", 0)):
        if value is not None and hasattr(resource, name):
            resource.setrlimit(getattr(resource, name), (int(value), int(value)))


def _become(uid):
    """Switch from root to ``uid`` for good, before any student code runs (see :mod:`autograder.sandbox`)."""
    os.setgroups([])
    os.setgid(uid)
    os.setuid(uid)
    if os.getuid() != uid or os.geteuid() != uid:
        raise SystemExit(f"the worker could not switch to uid {uid}")


def main(argv):
    """``worker.py PLAN RESULT_FD PACKAGE_PARENT``: run the plan, report on file descriptor RESULT_FD."""
    global _SANDBOXED
    _SANDBOXED = True
    plan_path, result_fd, package_parent = argv[1], int(argv[2]), argv[3]
    channel = os.fdopen(result_fd, "w", buffering=1, encoding="utf-8")
    dumps = json.dumps

    def send(**event):
        restore_builtins()
        channel.write(dumps(event) + "\n")
        channel.flush()

    with open(plan_path, encoding="utf-8") as handle:
        plan = json.load(handle)
    if plan.get("run_as") is not None:
        _become(int(plan["run_as"]))
    _set_limits(plan.get("limits", {}))
    sys.path.insert(0, package_parent)
    package = plan["package"]
    package_root = os.path.join(package_parent, package)
    sys.dont_write_bytecode = True
    send(event="ready")

    modules = {}

    def load(name):
        if name not in modules:
            send(event="import", module=name)
            try:
                modules[name] = importlib.import_module(name)
                send(event="imported", module=name)
            except BaseException as error:  # noqa: BLE001
                restore_builtins()
                modules[name] = None
                send(event="import_failed", module=name, error=describe_exception(error, package_root))
        return modules[name]

    for call in plan["calls"]:
        if load(package) is None:
            continue
        module = load(f"{package}.{call['module']}")
        if module is None:
            continue
        send(event="start", call=call["key"])
        target = getattr(module, call["target"], None)
        if target is None:
            result = {"error": {"type": "AttributeError", "kind": "missing",
                                "message": f"{package}/{call['module']}.py defines no {call['target']}",
                                "where": None}}
        else:
            result = run_call(call, target, package_root)
        send(event="result", call=call["key"], **result)
    send(event="done")
    channel.close()


if __name__ == "__main__":
    main(sys.argv)
