"""Load a ``linear_classifier`` package from an assignment folder under a name of our choosing.

Loading under an alias lets one process hold the reference and another copy
(the release, a student's) side by side, which a plain ``sys.path`` insert
cannot: both would be called ``linear_classifier``.
"""

import importlib
import importlib.util
import sys

from . import course


def load_linear_classifier(assignment_dir, alias):
    """Import ``assignment_dir/linear_classifier`` as the package ``alias`` (once) and return it."""
    package_dir = assignment_dir / course.PACKAGE
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


def reference_package():
    """The instructor's reference ``linear_classifier`` from solutions/."""
    load_linear_classifier(course.reference_dir(), "reference_linear_classifier")
    return Package("reference_linear_classifier")


def release_package():
    """The generated student release of ``linear_classifier`` (its stubs raise NotImplementedError)."""
    load_linear_classifier(course.release_dir(), "release_linear_classifier")
    return Package("release_linear_classifier")
