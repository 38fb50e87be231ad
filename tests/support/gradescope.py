"""Gradescope's autograder harness, as its specification describes it, in a folder of the test's own.

``GRADESCOPE_ROOT`` stands for ``/autograder``: the bundle is unpacked into ``source/``, ``run_autograder``
copied beside it, the student's upload put into ``submission/`` and Gradescope's ``submission_metadata.json``
written; ``run_autograder`` then runs as Gradescope runs it (from the root, as the user the tests run as: root
in CI, as in Gradescope's container), with the test's interpreter standing for the bundle's venv.
"""

import json
import os
import shutil
import subprocess
import zipfile
from pathlib import Path

from support.submissions import PYTHON


def unpack_bundle(bundle, root):
    """Unpack the autograder zip as Gradescope does: into ``root/source``, ``run_autograder`` copied to ``root``."""
    root = Path(root)
    with zipfile.ZipFile(bundle) as archive:
        archive.extractall(root / "source")
        for info in archive.infolist():
            mode = info.external_attr >> 16 & 0o777
            if mode:
                (root / "source" / info.filename).chmod(mode)
    shutil.copy2(root / "source" / "run_autograder", root / "run_autograder")
    return root


def run_autograder(root, upload, users=({"id": 4242, "name": "Ada Student", "email": "ada@example.edu"},), env=None):
    """Put ``upload`` (a folder whose contents the student uploaded) into ``root/submission`` and run the harness."""
    root = Path(root)
    shutil.rmtree(root / "submission", ignore_errors=True)
    shutil.rmtree(root / "results", ignore_errors=True)
    shutil.copytree(upload, root / "submission")
    (root / "submission_metadata.json").write_text(json.dumps({"id": 1, "users": list(users)}))
    environment = {key: value for key, value in os.environ.items() if key != "AUTOGRADER_SECRET"}
    environment.update(GRADESCOPE_ROOT=str(root), PYTHON=str(PYTHON))
    environment.update(env or {})
    completed = subprocess.run([str(root / "run_autograder")], cwd=root, env=environment, capture_output=True,
                               text=True, timeout=600)
    results = root / "results" / "results.json"
    return completed, json.loads(results.read_text()) if results.is_file() else None
