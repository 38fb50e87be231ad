"""A student's install on a machine they do not administer: ``make student`` as a normal user, with Python only.

The user (:mod:`support.users`; CI runs as root) gets a copy of what a student's checkout holds (the
``Makefile``, ``student-lab/`` and the release) and runs ``make student`` with nothing but a Python on its
PATH's side: no root, no sudo, no apt-get. In the environment it made, notebook 01 (beside the reference
package, so that it runs to the end) must run without an error, and ``student-lab/lab.py`` (the route
without make, and what ``make lab`` runs) must serve the Lab with the course's kernel. pip installs from the
machine's package index and wheels, as any pip does; the user's cache starts empty.
"""

import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest

from autograder import course
from lab_session import copy_assignment
from support import users
from support.ports import free_port

pytestmark = [pytest.mark.slow, pytest.mark.install]

#: The interpreter a student would have: the one this environment was made from (not the test's venv).
BASE_PYTHON = Path(sys.base_prefix) / "bin" / f"python{sys.version_info.major}.{sys.version_info.minor}"
INSTALL_SECONDS = 900


@pytest.fixture(scope="module")
def student():
    """A function running a command as a normal user in a student's checkout; the checkout's path."""
    # A folder of this module's own, not a users.shared_folder: any test session that ends removes every one of
    # those (they are listed in one file for the whole machine), and an install takes minutes.
    checkout_parent = Path(tempfile.mkdtemp(prefix="student-install-"))
    checkout_parent.chmod(0o711)
    try:
        yield _student(checkout_parent)
    finally:
        shutil.rmtree(checkout_parent, ignore_errors=True)


def _student(checkout_parent):
    checkout = checkout_parent / "course"
    checkout.mkdir()
    shutil.copy(course.COURSE_ROOT / "Makefile", checkout / "Makefile")
    shutil.copytree(course.COURSE_ROOT / "student-lab", checkout / "student-lab",
                    ignore=shutil.ignore_patterns("__pycache__"))
    copy_assignment(course.release_dir(), checkout / "assignments" / "loss_optimization",
                    package_from=course.reference_dir())
    # Only what any user's pip reads: the machine's index settings (none of root's own folders or caches).
    env = {key: value for key, value in os.environ.items() if key.startswith("PIP_") or key in ("LANG", "TZ")}
    env["PATH"] = "/usr/local/bin:/usr/bin:/bin"
    if os.geteuid() == 0:
        uid, gid = users.ensure_user()
        users.open_traversal(BASE_PYTHON, checkout_parent)
        for root, folders, files in os.walk(checkout):
            for name in [*folders, *files]:
                os.lchown(os.path.join(root, name), uid, gid)
        os.chown(checkout, uid, gid)
        home = users.user_home(uid, gid, checkout_parent)

        def run(command, **kwargs):
            return users.as_user(command, uid, gid, home, env=env, **{"cwd": checkout, **kwargs})
    else:
        home = checkout_parent / "home"
        home.mkdir()
        env["HOME"] = str(home)

        def run(command, **kwargs):
            return subprocess.run(command, env=env, **{"cwd": checkout, **kwargs})

    run.env = dict(env, HOME=str(home))
    return run, checkout


@pytest.fixture(scope="module")
def installed(student):
    run, checkout = student
    plan = subprocess.run(["make", "-n", "student", "lab"], cwd=checkout, capture_output=True, text=True, check=True)
    assert "apt-get" not in plan.stdout and "sudo" not in plan.stdout, plan.stdout
    started = time.monotonic()
    done = run(["make", "student", f"PYTHON={BASE_PYTHON}"], capture_output=True, text=True,
               timeout=INSTALL_SECONDS)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    print(f"make student as a normal user: {time.monotonic() - started:.0f} s")
    return run, checkout


def test_make_student_installs_as_a_normal_user_without_the_instructors_packages(installed):
    run, checkout = installed
    whoami = run(["id", "-u"], capture_output=True, text=True, check=True).stdout.strip()
    assert whoami != "0"
    listed = run([checkout / ".venv" / "bin" / "python", "-m", "pip", "list", "--format=json"],
                 capture_output=True, text=True, check=True)
    packages = {package["name"].lower() for package in json.loads(listed.stdout)}
    assert {"jupyterlab", "ipympl", "nbgrader", "numpy", "scipy"} <= packages
    assert not packages & {"pytest", "playwright", "psycopg2-binary", "import-linter", "kubernetes-validate"}


def test_notebook_01_runs_to_the_end_in_the_students_environment(installed):
    run, checkout = installed
    folder = checkout / "assignments" / "loss_optimization"
    done = run([checkout / ".venv" / "bin" / "jupyter", "nbconvert", "--to", "notebook", "--execute",
                "--ExecutePreprocessor.timeout=300", "--output", "executed-01.ipynb", "01_loss_functions.ipynb"],
               capture_output=True, text=True, timeout=600, cwd=folder)
    assert done.returncode == 0, done.stderr[-3000:]
    executed = nbformat.read(folder / "executed-01.ipynb", as_version=4)
    outputs = [output for cell in executed.cells if cell.cell_type == "code" for output in cell.outputs]
    assert not [output for output in outputs if output.output_type == "error"]
    assert any("✓" in output.get("text", "") for output in outputs)


def test_the_lab_starts_without_make_with_the_courses_kernel(installed):
    run, checkout = installed
    port, token = free_port(), secrets.token_hex(16)
    home = Path(run.env["HOME"])
    env = dict(run.env, JUPYTER_CONFIG_DIR=str(home / "jupyter-config"), JUPYTER_DATA_DIR=str(home / "jupyter-data"),
               JUPYTER_RUNTIME_DIR=str(home / "jupyter-runtime"))
    command = [checkout / ".venv" / "bin" / "python", "student-lab/lab.py", "--no-browser", "--ServerApp.ip=127.0.0.1",
               f"--ServerApp.port={port}", f"--IdentityProvider.token={token}"]
    if os.geteuid() == 0:
        uid, gid = users.ensure_user()
        lab = subprocess.Popen([shutil.which("setpriv"), f"--reuid={uid}", f"--regid={gid}", "--clear-groups", "--",
                                *map(str, command)], env=dict(env, USER=users.NAME, LOGNAME=users.NAME),
                               cwd=checkout, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    else:
        lab = subprocess.Popen(command, env=env, cwd=checkout, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               start_new_session=True)
    try:
        specs = _when_serving(lab, f"http://127.0.0.1:{port}/api/kernelspecs?token={token}")
        assert specs["kernelspecs"]["python3"]["spec"]["display_name"] == "Python 3 (loss_optimization)"
        assert specs["kernelspecs"]["python3"]["spec"]["env"] == {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    finally:
        os.killpg(lab.pid, 15)
        output = lab.communicate(timeout=30)[0].decode(errors="replace")
    assert "Serving notebooks from local directory" in output and "assignments/loss_optimization" in output, output


def _when_serving(process, url, seconds=90):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"lab.py exited with {process.returncode}: {process.stdout.read().decode(errors='replace')}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return json.loads(response.read())
        except OSError:
            time.sleep(0.5)
    pytest.fail(f"lab.py did not serve {url} within {seconds} s")
