"""The Gradescope autograder bundle: ``python -m autograder gradescope --out autograder.zip``.

Gradescope's autograder specification: a zip with ``setup.sh`` and ``run_autograder`` at its root.
Gradescope unpacks it into ``/autograder/source``, runs ``setup.sh`` once (as root, in the Ubuntu image it
builds), and for every submission copies ``run_autograder`` to ``/autograder/run_autograder`` and runs it in
``/autograder``, with the student's files in ``/autograder/submission``; what it reads back is
``/autograder/results/results.json``. The bundle holds what that run needs and nothing else: the
``autograder`` package, the reference package and the notebooks of ``solutions/`` (the notebooks name the
assignment's notebooks and the points of its written answers), the pinned requirements of grading, and
``gradescope.json`` (how the bundle was built). ``run_autograder`` runs :mod:`.run`.
"""

import json
import os
import stat
import zipfile
from importlib import metadata
from pathlib import Path

from .. import course

#: What a Gradescope run imports beyond the standard library, pinned to the versions this bundle was built (and
#: tested) with.
REQUIREMENTS = ("numpy",)
#: The bundle's configuration, read by :mod:`.run`.
CONFIG = "gradescope.json"
#: A course secret put into the bundle (``--embed-secret``), read when Gradescope's environment has none.
SECRET_FILE = "secret"
#: Files of the autograder package that grading reads (code, points, templates).
PACKAGE_SUFFIXES = (".py", ".toml", ".html", ".css")
#: Folders of the autograder package that a Gradescope run never uses.
LEFT_OUT = ("deploy", "__pycache__")

SETUP_SH = """#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder's image: bubblewrap (the sandbox each
# submission runs in) and a virtual environment with the grader's pinned requirements. GRADESCOPE_ROOT stands
# for /autograder when the bundle is tried on another machine (GRADING.md, "Trying the bundle on your machine").
set -euo pipefail
ROOT="${GRADESCOPE_ROOT:-/autograder}"
# Gradescope's fresh image has neither; a machine that has both is left as it is (and needs no root).
if ! command -v bwrap > /dev/null || ! python3 -c 'import ensurepip' 2> /dev/null; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends bubblewrap python3-venv
fi
python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' || {
    echo "The grader needs Python 3.11 or newer: choose Gradescope's Ubuntu 24.04 base image."; exit 1; }
python3 -m venv "$ROOT/venv"
"$ROOT/venv/bin/pip" install --quiet -r "$ROOT/source/requirements.txt"
# The reference must pass the grader's own tests in this image, or every grade would be wrong: fail the build.
cd "$ROOT/source" && "$ROOT/venv/bin/python" -m autograder.gradescope.run --self-test
# Where bubblewrap cannot run, student code runs as a user of its own: the reference and any embedded secret
# must then be root's alone.
chmod -R go-rwx "$ROOT/source"
"""

RUN_AUTOGRADER = """#!/usr/bin/env bash
# Gradescope runs this for every submission, as root, in /autograder: it grades /autograder/submission into
# /autograder/results/results.json. GRADESCOPE_ROOT stands for /autograder (tests), PYTHON for its interpreter.
set -uo pipefail
ROOT="${GRADESCOPE_ROOT:-/autograder}"
cd "$ROOT/source" && "${PYTHON:-$ROOT/venv/bin/python}" -m autograder.gradescope.run
status=$?
# Python itself could not run it (a broken image): Gradescope still gets a results.json saying so.
if [ ! -s "$ROOT/results/results.json" ]; then
    mkdir -p "$ROOT/results"
    echo '{"score": 0.0, "tests": [], "visibility": "visible", "extra_data": {"autograder_error": true}, "output":' \
         '"The autograder could not run on this submission (its own error, not your code'"'"'s): the score of 0 is' \
         'not your grade; ask your instructor to regrade it."}' > "$ROOT/results/results.json"
fi
exit $status
"""


def _package_files():
    """``(name in the bundle, path)`` of the autograder package's files that grading reads."""
    package = Path(__file__).resolve().parent.parent
    for path in sorted(package.rglob("*")):
        relative = path.relative_to(package)
        if path.is_file() and path.suffix in PACKAGE_SUFFIXES and not set(relative.parts) & set(LEFT_OUT):
            yield f"autograder/{relative.as_posix()}", path


def _reference_files():
    """``(name in the bundle, path)`` of the reference package and the instructor's notebooks."""
    source = course.reference_dir()
    prefix = f"{course.SOURCE_DIR}/{course.ASSIGNMENT}"
    for path in sorted((source / course.PACKAGE).rglob("*.py")):
        if "__pycache__" not in path.parts:
            yield f"{prefix}/{path.relative_to(source).as_posix()}", path
    for path in sorted(source.glob("*.ipynb")):
        yield f"{prefix}/{path.name}", path


def requirements():
    """The requirements file: grading's imports at the versions installed here."""
    return "".join(f"{name}=={metadata.version(name)}\n" for name in REQUIREMENTS)


def _add(archive, name, data, mode=0o644):
    info = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = (mode | stat.S_IFREG) << 16
    archive.writestr(info, data)


def build_bundle(out, require_sandbox=False, secret=None):
    """Write the Gradescope autograder zip ``out``; return the names it holds.

    Parameters
    ----------
    out : path
        The zip to write (replaced if it exists).
    require_sandbox : bool
        Refuse to grade (no results.json, the run fails) where bubblewrap cannot run in Gradescope's container,
        instead of grading with resource limits only.
    secret : str or None
        A course secret to put into the bundle, for a Gradescope account whose autograder settings offer no
        environment variables (Gradescope's environment's ``AUTOGRADER_SECRET`` wins over it).
    """
    out = Path(out)
    partial = out.with_name(f".{out.name}.partial")
    names = []
    with zipfile.ZipFile(partial, "w") as archive:
        for name, data, mode in (("setup.sh", SETUP_SH, 0o755), ("run_autograder", RUN_AUTOGRADER, 0o755),
                                 ("requirements.txt", requirements(), 0o644),
                                 (CONFIG, json.dumps({"require_sandbox": bool(require_sandbox)}) + "\n", 0o644)):
            _add(archive, name, data, mode)
            names.append(name)
        if secret:
            _add(archive, SECRET_FILE, secret, 0o600)
            names.append(SECRET_FILE)
        for name, path in [*_package_files(), *_reference_files()]:
            _add(archive, name, path.read_bytes())
            names.append(name)
    os.replace(partial, out)
    return names
