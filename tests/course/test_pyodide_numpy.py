"""The notebooks' visible checks behave the same on Pyodide's numpy, which the browser version runs, as on the
pinned one: each passes on the reference and prints the same lines."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

from autograder import course

MAKEFILE = course.COURSE_ROOT / "Makefile"
CHECKS = Path(__file__).resolve().parents[1] / "support" / "visible_checks.py"


def _makefile_value(name):
    return re.search(rf"^{name} := (.+)$", MAKEFILE.read_text(encoding="utf-8"), re.MULTILINE).group(1).strip()


def _run_checks(extra_path=()):
    environment = dict(os.environ, PYTHONPATH=os.pathsep.join([*map(str, extra_path), str(course.reference_dir())]))
    done = subprocess.run([sys.executable, str(CHECKS)], env=environment, capture_output=True, text=True,
                          timeout=600, cwd=course.reference_dir())
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)


def test_every_visible_check_passes_and_prints_the_same_on_pyodides_numpy_as_on_the_pinned_one():
    folder = course.COURSE_ROOT / _makefile_value("PYODIDE_NUMPY").replace("$(VENV)", _makefile_value("VENV"))
    version = _makefile_value("PYODIDE_NUMPY_VERSION")
    assert (folder / ".installed").exists(), f"{folder} is missing: make setup installs numpy {version} there"

    pinned, pyodide = _run_checks(), _run_checks([folder])

    assert pyodide["numpy"] == version and pinned["numpy"] != version
    assert set(pyodide["checks"]) == set(pinned["checks"]) and len(pinned["checks"]) >= 15
    assert all(ended == "passed" for ended, _ in pinned["checks"].values()), pinned["checks"]
    differences = {name: {"pinned": pinned["checks"][name], f"numpy {version}": result}
                   for name, result in pyodide["checks"].items() if result != pinned["checks"][name]}
    assert differences == {}
