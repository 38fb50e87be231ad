"""Turning calls of student code into Outcomes the catalogue judges: in this process, or from a sandbox's results.

Student results are untrusted data: :func:`outcome_from_result` accepts only the output names and
types each runner documents (:data:`OUTPUTS`), within size limits.
"""

import os

import numpy as np

from . import worker
from .catalogue import Outcome


#: What each runner returns: output name -> "array" (float64 or int64) or "bool". Anything else is rejected.
OUTPUTS = {
    "loss": {"loss": "array", "dW": "array", "W": "array", "X": "array", "y": "array"},
    "numerical_gradient": {"grad": "array", "x": "array"},
    "grad_check": {"errors": "array", "repeated": "array", "x": "array", "analytic_grad": "array"},
    "penalty": {"value": "array", "grad": "array", "W": "array"},
    "optimizer": {"weights": "array"},
    "schedule": {"values": "array"},
    "train": {"W": "array", "history": "array", "batch_sizes": "array", "regs": "array",
              "untrained_W_is_None": "bool", "X": "array", "y": "array"},
    "predict": {"labels": "array", "X": "array"},
}
#: Largest array accepted from a student's run, in entries.
MAX_OUTPUT_ENTRIES = 10 ** 6


def outcome_from_result(case, result):
    """Turn a worker result (plain data from the sandbox) into an Outcome, rejecting anything malformed."""
    if not isinstance(result, dict):
        return Outcome("crashed", message="the grader received a malformed result")
    if "error" in result:
        error = result["error"]
        if not isinstance(error, dict) or not all(isinstance(error.get(k), str) for k in ("type", "message", "kind")):
            return Outcome("crashed", message="the grader received a malformed error report")
        where = error.get("where")
        return Outcome("error", error={"type": error["type"][:100], "kind": error["kind"],
                                       "message": error["message"][:worker.MESSAGE_LIMIT + 3],
                                       "where": where[:200] if isinstance(where, str) else None})
    try:
        outputs = worker.decode(result.get("outputs"))
    except Exception:  # noqa: BLE001
        return Outcome("crashed", message="the grader received malformed data")
    schema = OUTPUTS[case.runner]
    if not isinstance(outputs, dict) or set(outputs) != set(schema):
        return Outcome("crashed", message="the grader received an incomplete result")
    for name, kind in schema.items():
        value = outputs[name]
        if kind == "bool" and not isinstance(value, bool):
            return Outcome("crashed", message="the grader received malformed data")
        if kind == "array":
            if not isinstance(value, np.ndarray) or value.size > MAX_OUTPUT_ENTRIES:
                return Outcome("crashed", message="the grader received malformed or oversized data")
            outputs[name] = value.astype(np.float64) if name not in ("y",) else value
    return Outcome("ok", outputs=outputs)


def run_in_process(plan, keys, resolve):
    """Run cases in this process on the modules ``resolve(module_name)`` returns (notebook kernels, self-tests).

    ``resolve`` raises to say a module cannot be imported; that becomes an import_error outcome.
    """
    outcomes = {}
    modules = {}
    for key in keys:
        case = plan.cases[key]
        if case.module not in modules:
            try:
                modules[case.module] = (resolve(case.module), None)
            except Exception as error:  # noqa: BLE001 (student modules may fail to import in any way)
                modules[case.module] = (None, f"{type(error).__name__}: {error}")
        module, problem = modules[case.module]
        if module is None:
            outcomes[key] = Outcome("import_error",
                                    message=f"linear_classifier.{case.module} does not import: {problem}")
            continue
        target = getattr(module, case.target, None)
        if target is None:
            outcomes[key] = Outcome("missing", message=f"linear_classifier/{case.module}.py defines no {case.target}")
            continue
        root = os.path.dirname(getattr(module, "__file__", None) or ".")
        outcomes[key] = outcome_from_result(case, worker.run_call(case.call(), target, root))
    return outcomes
