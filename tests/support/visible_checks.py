"""Run every visible check of the notebooks on the reference and print, as JSON, what each one printed and how it
ended: ``python visible_checks.py`` with the reference's folder and a numpy on ``PYTHONPATH``.

``tests/course/test_pyodide_numpy.py`` runs it once on the pinned numpy and once on Pyodide's, in processes of their
own (a process has one numpy).
"""

import contextlib
import importlib
import inspect
import io
import json

import numpy as np

#: The modules of checks/ the notebooks call, in the notebooks' order.
CHECK_MODULES = ("losses", "gradients", "regularization", "optim", "models")
#: Checks that need a notebook's own results as arguments (the others check the student package on their own).
NEEDS_ARGUMENTS = {"check_search"}


def run_all():
    """``{"numpy": version, "checks": {module.check: [how it ended, what it printed]}}``."""
    results = {}
    for module_name in CHECK_MODULES:
        module = importlib.import_module(f"linear_classifier.checks.{module_name}")
        for name, check in inspect.getmembers(module, inspect.isfunction):
            if not name.startswith("check_") or check.__module__ != module.__name__ or name in NEEDS_ARGUMENTS:
                continue
            printed = io.StringIO()
            try:
                with contextlib.redirect_stdout(printed):
                    check()
                ended = "passed"
            except Exception as error:  # noqa: BLE001 (how a check fails is what is compared)
                ended = f"{type(error).__name__}: {error}"
            results[f"{module_name}.{name}"] = [ended, printed.getvalue()]
    return {"numpy": np.__version__, "checks": results}


if __name__ == "__main__":
    print(json.dumps(run_all()))
