"""Load a ``linear_classifier`` package from an assignment folder under a name of our choosing.

The grader and ``hidden_check`` need the instructor's ``linear_classifier`` next to a student's package of
the same name, and the tests need the reference beside the release. A plain ``sys.path`` insert cannot
do that (both would be called ``linear_classifier``), so each is loaded under an alias: the reference as
``_autograder_reference_<hash>``, the release as ``release_linear_classifier``.
"""

import functools
import hashlib
import importlib
import importlib.util
import sys
from pathlib import Path

from . import course


def load_linear_classifier(assignment_dir, alias):
    """Import ``assignment_dir/linear_classifier`` as the package ``alias`` (once) and return it."""
    package_dir = Path(assignment_dir) / course.PACKAGE
    if alias not in sys.modules:
        spec = importlib.util.spec_from_file_location(
            alias, package_dir / "__init__.py", submodule_search_locations=[str(package_dir)]
        )
        package = importlib.util.module_from_spec(spec)
        sys.modules[alias] = package
        spec.loader.exec_module(package)
    return sys.modules[alias]


class Package:
    """Attribute access to the submodules of a loaded package: ``Package(alias).losses``."""

    def __init__(self, alias):
        self._alias = alias

    def __getattr__(self, name):
        return importlib.import_module(f"{self._alias}.{name}")


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


def reference_package():
    """The instructor's reference ``linear_classifier`` from solutions/, as a Package."""
    return Package(load_reference().name)


def release_package():
    """The generated student release of ``linear_classifier`` (its stubs raise NotImplementedError)."""
    load_linear_classifier(course.release_dir(), "release_linear_classifier")
    return Package("release_linear_classifier")
