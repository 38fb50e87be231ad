"""The reference solution, imported under a name of its own.

The grader and ``hidden_check`` need the instructor's ``linear_classifier``
next to a student's package of the same name; the reference is therefore
loaded as ``_autograder_reference_<hash>``, so the two never meet in
``sys.modules``.
"""

import functools
import hashlib
import importlib
from pathlib import Path

from . import course
from .packages import load_linear_classifier


class Reference:
    """The reference package and its ``checks`` helpers (diagnosis, tolerances, report)."""

    def __init__(self, package_dir):
        self.package_dir = Path(package_dir).resolve()
        digest = hashlib.sha1(str(self.package_dir).encode()).hexdigest()[:10]
        self.name = f"_autograder_reference_{digest}"
        if not (self.package_dir / "__init__.py").is_file():
            raise FileNotFoundError(f"No reference package at {self.package_dir} (expected its __init__.py).")
        load_linear_classifier(self.package_dir.parent, self.name)

    def module(self, name):
        """The reference module ``name`` (e.g. ``"losses"`` or ``"checks.diagnosis"``)."""
        return importlib.import_module(f"{self.name}.{name}")

    def target(self, module, name):
        """The reference function or class ``module.name``."""
        return getattr(self.module(module), name)

    @property
    def diagnosis(self):
        return self.module("checks.diagnosis")

    @property
    def tolerances(self):
        return self.module("checks.tolerances")

    @property
    def report(self):
        return self.module("checks.report")


@functools.lru_cache(maxsize=None)
def load_reference(package_dir=None):
    """The reference package of the course (``solutions/<assignment>/linear_classifier`` by default)."""
    return Reference(package_dir or course.reference_dir() / course.PACKAGE)
