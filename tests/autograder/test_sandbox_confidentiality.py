"""What student code can learn from inside the sandbox, whoever runs the grader.

A grader started by root and one started by a normal user isolate sandboxes differently (a uid per sandbox;
a user namespace), so every probe runs in both modes: root's in this process, the normal user's in a
grader process run as a user the test creates (CI runs as root). The grader's environment holds a course
secret and a database password, as GRADING.md recommends setting them; student code must find neither, nor
the grader's folders, its hostname, or the inputs of calls that have not run yet; nor may it write anywhere but
its size-limited /tmp (files elsewhere would fill the machine's memory or disk, outside every limit).
"""

import json
import os
import secrets
import subprocess
import sys
import textwrap

import pytest

from autograder import course
from autograder.calls import wire
from autograder.sandbox import Limits, Sandbox, probe_bwrap
from support import users

BWRAP, WHY_NOT = probe_bwrap()
LIMITS = Limits(timeout=5, memory_mb=512)
#: A value only a later call's inputs hold: no earlier call may find it anywhere.
LATER_INPUT = 0.7182818284590452

PROBES = '''
import os, re, socket, sys

# Built at run time, so that this file itself does not match.
SECRET = re.compile(("s3cr3" + "t-") .encode() + rb"[0-9a-f]{{12}}")
HOST_PATHS = {host_paths!r}
LATER = repr({later!r}).encode()


def _readable_files():
    # Not /submission: the student's own files (this one names what it looks for).
    for top in ("/tmp", "/grader", "/etc", "/dev/shm"):
        for folder, _, names in os.walk(top):
            for name in names:
                yield os.path.join(folder, name)
    for pid in os.listdir("/proc"):
        if pid.isdigit() or pid == "self":
            for name in ("environ", "cmdline", "maps", "mem", "status"):
                yield f"/proc/{{pid}}/{{name}}"


def _contents():
    yield "os.environ", "\\n".join(f"{{k}}={{v}}" for k, v in os.environ.items()).encode()
    yield "sys", f"{{sys.prefix}} {{sys.executable}} {{os.getcwd()}} {{sys.path}}".encode()
    for path in _readable_files():
        try:
            with open(path, "rb") as handle:
                yield path, handle.read(1 << 20)
        except (OSError, ValueError):
            pass


def finds_secrets(**kwargs):
    found = [where for where, data in _contents() if SECRET.search(data)]
    if found:
        raise RuntimeError("secret found in " + ", ".join(found))
    return 0.0


def finds_host_paths(**kwargs):
    found = [f"{{path}} in {{where}}" for where, data in _contents() for path in HOST_PATHS if path.encode() in data]
    if found:
        raise RuntimeError("host paths found: " + ", ".join(found)[:300])
    return 0.0


def finds_later_inputs(**kwargs):
    found = [where for where, data in _contents() if LATER in data]
    if found:
        raise RuntimeError("a later call's input found in " + ", ".join(found))
    return 0.0


def reads_the_hosts_memory(**kwargs):
    readable = []
    for name in ("environ", "mem", "maps"):
        try:
            with open(f"/proc/1/{{name}}", "rb") as handle:
                handle.read(16)
            readable.append(name)
        except OSError:
            pass
    if readable:
        raise RuntimeError("the host's /proc/1/" + ", ".join(readable) + " can be read")
    return 0.0


def hostname(**kwargs):
    if socket.gethostname() != "sandbox":
        raise RuntimeError(f"hostname {{socket.gethostname()}}")
    return 0.0


def writes_outside_tmp(**kwargs):
    # Every folder two levels deep, and /dev/shm: bubblewrap's own / and /dev are tmpfs without a size limit.
    def inside(folder):
        try:
            return [os.path.join(folder, name) for name in os.listdir(folder)]
        except OSError:
            return []

    tops = [top for top in inside("/") if top not in ("/proc", "/sys", "/tmp")]
    folders = ["/", "/dev/shm"] + tops + [path for top in tops for path in inside(top)]
    written = []
    for folder in folders:
        path = os.path.join(folder, "written-by-student")
        if os.path.isdir(folder) and not folder.startswith(("/proc", "/sys", "/tmp")):
            try:
                with open(path, "wb") as handle:
                    handle.write(b"x")
                written.append(folder)
                os.unlink(path)
            except OSError:
                pass
    if written:
        raise RuntimeError("wrote files in " + ", ".join(written))
    return 0.0


def later(**kwargs):
    return 0.0
'''
ORDER = ("finds_secrets", "finds_host_paths", "finds_later_inputs", "reads_the_hosts_memory", "hostname",
         "writes_outside_tmp")
DRIVER = """
import json, sys
from pathlib import Path
from autograder.calls import wire
from autograder.sandbox import Limits, Sandbox
calls, parent = json.loads(sys.argv[1]), sys.argv[2]
run = Sandbox(Limits(timeout=5, memory_mb=512), "bubblewrap").run(calls, parent)
print(json.dumps({key: [report.status, report.message, report.result] for key, report in run.reports.items()}))
"""


def calls():
    probe = [{"key": name, "module": "probes", "target": name, "runner": "schedule", "seed": 1,
              "args": wire.encode({"cases": [{}]})} for name in ORDER]
    return probe + [{"key": "later", "module": "probes", "target": "later", "runner": "schedule", "seed": 1,
                     "args": wire.encode({"cases": [{"learning_rate": LATER_INPUT}]})}]


def write_probes(root, grader_paths):
    parent = root / "submission"
    package = parent / course.PACKAGE
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "probes.py").write_text(textwrap.dedent(PROBES).format(host_paths=sorted(grader_paths),
                                                                      later=LATER_INPUT))
    for path in [parent, package, *package.iterdir()]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    return parent


@pytest.fixture(scope="module", params=["root grader", "normal-user grader"])
def reports(request, tmp_path_factory):
    root = tmp_path_factory.mktemp("confidentiality")
    secret = f"s3cr3t-{secrets.token_hex(6)}"
    environment = dict(os.environ, AUTOGRADER_SECRET=secret, PGPASSWORD=secret, DATABASE_URL=f"postgresql://u:{secret}@db")
    grader_paths = {str(course.COURSE_ROOT), str(root)}
    parent = write_probes(root, grader_paths)
    if request.param == "root grader":
        if os.geteuid() != 0:
            pytest.skip("the root grader's mode needs the tests to run as root (CI does)")
        saved = dict(os.environ)
        os.environ.update(environment)
        try:
            run = Sandbox(LIMITS, "bubblewrap").run(calls(), parent)
        finally:
            os.environ.clear()
            os.environ.update(saved)
        return {key: [r.status, r.message, r.result] for key, r in run.reports.items()}
    command = [sys.executable, "-c", DRIVER, json.dumps(calls()), str(parent)]
    if os.geteuid() == 0:
        uid, gid = users.ensure_user()
        users.open_traversal(root, course.COURSE_ROOT)
        completed = users.as_user(command, uid, gid, users.user_home(uid, gid, root), env=environment,
                                  cwd=course.COURSE_ROOT, capture_output=True, text=True)
    else:
        completed = subprocess.run(command, env=environment, cwd=course.COURSE_ROOT, capture_output=True, text=True)
    assert completed.returncode == 0, completed.stderr
    return json.loads(completed.stdout.splitlines()[-1])


def outcome(reports, name):
    status, message, result = reports[name]
    assert status == "ok", (status, message)
    error = result.get("error")
    assert error is None, f"{name}: {error['message']}"
    return wire.decode(result["outputs"])["values"][0]


@pytest.fixture(autouse=True)
def bubblewrap_runs():
    assert BWRAP, f"bubblewrap cannot run here: {WHY_NOT}"


def test_student_code_finds_no_secret_of_the_graders_environment_anywhere(reports):
    assert outcome(reports, "finds_secrets") == 0.0


def test_student_code_learns_no_folder_or_hostname_of_the_grading_machine(reports):
    assert outcome(reports, "finds_host_paths") == 0.0
    assert outcome(reports, "hostname") == 0.0


def test_a_call_never_sees_the_inputs_of_calls_still_to_come(reports):
    assert outcome(reports, "finds_later_inputs") == 0.0


def test_the_sandboxs_host_process_cannot_be_read_by_student_code(reports):
    assert outcome(reports, "reads_the_hosts_memory") == 0.0


def test_student_code_can_write_only_to_its_size_limited_tmp(reports):
    assert outcome(reports, "writes_outside_tmp") == 0.0
