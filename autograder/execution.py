"""Turning calls of student code into Outcomes the catalogue judges: in this process, or from a sandbox's results.

Results are plain data (:mod:`autograder.calls.wire`). Those from a sandbox were already bounded and checked
by its host; :func:`outcome_from_result` checks them again against what each runner documents
(:attr:`autograder.calls.runners.Runner.outputs`), so that nothing malformed reaches a check.
"""

import os

import numpy as np

from .calls import runners, wire
from .calls.status import Outcome, Status, ended
from .packages import load_reference

#: Largest array accepted from a student's run, in entries.
MAX_OUTPUT_ENTRIES = 10 ** 6


def outcome_from_result(case, result, records=None):
    """Turn a call's result (plain data) and its loss service's ``records`` into an Outcome."""
    if not isinstance(result, dict):
        return ended(Status.CRASHED, "malformed", what="a malformed result")
    if "error" in result:
        error = result["error"]
        if not isinstance(error, dict) or not all(isinstance(error.get(k), str) for k in ("type", "message", "kind")):
            return ended(Status.CRASHED, "malformed", what="a malformed error report")
        where = error.get("where")
        return Outcome(Status.ERROR, error={"type": error["type"][:100], "kind": error["kind"],
                                       "message": error["message"][:runners.MESSAGE_LIMIT + 3],
                                       "where": where[:200] if isinstance(where, str) else None})
    try:
        outputs = wire.decode(result.get("outputs"), max_entries=MAX_OUTPUT_ENTRIES)
    except (wire.ProtocolError, TypeError, AttributeError):
        return ended(Status.CRASHED, "malformed", what="malformed data")
    if isinstance(outputs, dict) and records is not None:
        outputs.update(records)
    schema = runners.RUNNERS[case.runner].outputs
    if not isinstance(outputs, dict) or set(outputs) != set(schema):
        return ended(Status.CRASHED, "malformed", what="an incomplete result")
    for name, kind in schema.items():
        value = outputs[name]
        if kind == "bool" and not isinstance(value, bool):
            return ended(Status.CRASHED, "malformed", what="malformed data")
        if kind == "array":
            if not isinstance(value, np.ndarray):
                return ended(Status.CRASHED, "malformed", what="malformed data")
            outputs[name] = value.astype(np.float64) if name not in ("y",) else value
    return Outcome(Status.OK, outputs=outputs)


def loss_service(case, reference):
    """The loss service of ``case`` (a model's train: the reference loss), or None."""
    return runners.loss_service(case.runner, case.args, case.declared.service_loss(reference))


def run_call(case, target, reference, package_root=None):
    """Run one case on ``target`` in this process; its Outcome."""
    services = loss_service(case, reference)
    result = runners.run_call(case.call(), target, package_root, services)
    if services is not None and services.refused is not None:
        # As in the sandbox, a request out of the service's bounds ends the call, whatever train did next.
        return ended(Status.PROTOCOL, "service", message=services.refused)
    return outcome_from_result(case, result, services.records() if services else None)


def run_in_process(plan, keys, resolve, reference=None):
    """Run cases in this process on the modules ``resolve(module_name)`` returns (notebook kernels, self-tests).

    ``resolve`` raises to say a module cannot be imported; that becomes an import_error outcome. The models
    train with the losses of ``reference`` (the course's reference package by default).
    """
    reference = reference or load_reference()
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
            outcomes[key] = ended(Status.IMPORT_ERROR, "import", module=f"linear_classifier.{case.module}",
                                  problem=problem)
            continue
        target = getattr(module, case.target, None)
        if target is None:
            outcomes[key] = ended(Status.MISSING, "function", package="linear_classifier", module=case.module,
                                  target=case.target)
            continue
        root = os.path.dirname(getattr(module, "__file__", None) or ".")
        outcomes[key] = run_call(case, target, reference, root)
    return outcomes
