"""The sandbox: what student code can and cannot reach, and how each fault ends only its own call."""

import os
import re
import socket
import textwrap
import time

import psutil
import pytest

from autograder import course
from autograder.calls import wire
from autograder.sandbox import Limits, Sandbox, probe_bwrap, sandbox_status
from support import users

BWRAP, WHY_NOT = probe_bwrap()
# `make setup` installs bubblewrap, so its absence is a failure; a machine that cannot run it at all
# (no user namespaces) may opt out explicitly, and the skip then names the reason.
if os.environ.get("AUTOGRADER_ALLOW_NO_BWRAP") == "1":
    needs_bwrap = pytest.mark.skipif(not BWRAP, reason=f"bubblewrap cannot run here: {WHY_NOT}")
else:
    needs_bwrap = pytest.mark.usefixtures("bubblewrap_works")


@pytest.fixture
def bubblewrap_works():
    assert BWRAP, (f"bubblewrap cannot run here: {WHY_NOT}. Set AUTOGRADER_ALLOW_NO_BWRAP=1 to skip "
                   "the sandbox tests on a machine without user namespaces.")
LIMITS = Limits(timeout=3, startup=60, output_limit=2 ** 20, memory_mb=512)

PROBES = '''
import os, socket, subprocess, sys, time

def reads_solutions():
    try:
        open({solution!r}).read()
        return 1.0
    except OSError:
        return 0.0

def reads_other_student():
    try:
        open({other!r}).read()
        return 1.0
    except OSError:
        return 0.0

def lists_course_folder():
    return float(os.path.exists({course!r}))

def reaches_network():
    try:
        socket.create_connection(("127.0.0.1", {port}), timeout=2).close()
        return 1.0
    except OSError:
        return 0.0

def writes_outside():
    written = 0.0
    for path in ({outside!r}, os.path.join(os.path.dirname(__file__), "new_file.py")):
        try:
            with open(path, "w") as handle:
                handle.write("x")
            written += 1.0
        except OSError:
            pass
    return written

def sees_processes():
    return float(len([p for p in os.listdir("/proc") if p.isdigit()]))

def leaves_processes():
    subprocess.Popen(["sleep", "300", {token!r}], start_new_session=True)
    if os.fork() == 0:
        os.setsid()
        os.execvp("sleep", ["sleep", "301", {token!r}])
    return 1.0

def runs_as_uid():
    # The uid outside any user namespace, which is what the kernel's process limit looks at.
    uid = os.getuid()
    with open("/proc/self/uid_map") as mapping:
        for line in mapping:
            inside, outside, count = map(int, line.split())
            if inside <= uid < inside + count:
                return float(outside + uid - inside)
    return -1.0

def counts_forks():
    children = []
    for _ in range(100):
        try:
            pid = os.fork()
        except OSError:
            break
        if pid == 0:
            time.sleep(30)
            os._exit(0)
        children.append(pid)
    for pid in children:
        os.kill(pid, 9)
        os.waitpid(pid, 0)
    return float(len(children))

def hogs_memory():
    block = bytearray(4 * 2 ** 30)
    return float(len(block))

def hogs_memory_across_processes():
    ready_read, ready_write = os.pipe()
    for _ in range(4):
        if os.fork() == 0:
            try:
                block = b"\\x01" * (300 * 2 ** 20)
                os.write(ready_write, b"+")
                time.sleep(60)
            finally:
                os._exit(0)
    held = 0
    while held < 4:
        held += len(os.read(ready_read, 4))
    return float(held)

def oom_score():
    with open("/proc/self/oom_score_adj") as score:
        return float(score.read())

def hangs():
    while True:
        pass

def hangs_again():
    return hangs()

def exits():
    os._exit(3)

def floods():
    while True:
        sys.stdout.write("spam " * 1000 + "\\n")

def answers():
    return 42.0
'''


def call(target, key=None):
    return {"key": key or target, "module": "probes", "target": target, "runner": "schedule", "seed": 1,
            "args": wire.encode({"cases": [{}]})}


@pytest.fixture(scope="module")
def listener():
    server = socket.create_server(("127.0.0.1", 0))
    server.listen()
    yield server
    server.close()


def write_probes(root, listener, token, outside):
    package = root / "submission" / course.PACKAGE
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    other = root / "other_student.py"
    other.write_text("secret = 1\n")
    solution = course.reference_dir() / course.PACKAGE / "losses.py"
    (package / "probes.py").write_text(textwrap.dedent(PROBES).format(
        solution=str(solution), other=str(other), course=str(course.COURSE_ROOT / "solutions"),
        port=listener.getsockname()[1], outside=str(outside), token=token))
    return package.parent


def value(run, key):
    report = run.reports[key]
    assert report.status == "ok", report
    outputs = wire.decode(report.result["outputs"])
    return float(outputs["values"][0])


ORDER = ["reads_solutions", "reads_other_student", "lists_course_folder", "reaches_network", "writes_outside",
         "sees_processes", "leaves_processes", "runs_as_uid", "counts_forks", "oom_score", "hogs_memory", "hangs", "hangs_again",
         "exits", "floods", "answers"]


@pytest.fixture(scope="module")
def bwrap_run(tmp_path_factory, listener):
    root = tmp_path_factory.mktemp("sandbox")
    token = f"sandbox-token-{os.getpid()}-{time.time_ns()}"
    outside = root / "written_from_inside"
    parent = write_probes(root, listener, token, outside)
    run = Sandbox(LIMITS, "bubblewrap").run([call(name) for name in ORDER], parent)
    return run, token, outside, parent


@needs_bwrap
def test_student_code_cannot_read_solutions_other_students_or_the_course(bwrap_run):
    run, *_ = bwrap_run
    assert value(run, "reads_solutions") == 0.0
    assert value(run, "reads_other_student") == 0.0
    assert value(run, "lists_course_folder") == 0.0


@needs_bwrap
def test_student_code_has_no_network(bwrap_run):
    run, *_ = bwrap_run
    assert value(run, "reaches_network") == 0.0


@needs_bwrap
def test_student_code_cannot_write_outside_the_sandbox_nor_to_its_own_copy(bwrap_run):
    run, _, outside, parent = bwrap_run
    assert value(run, "writes_outside") == 0.0
    assert not outside.exists()
    assert not (parent / course.PACKAGE / "new_file.py").exists()


@needs_bwrap
def test_student_code_sees_only_its_own_processes(bwrap_run):
    run, *_ = bwrap_run
    assert value(run, "sees_processes") <= 3


@needs_bwrap
def test_processes_started_by_student_code_do_not_outlive_grading(bwrap_run):
    run, token, *_ = bwrap_run
    assert value(run, "leaves_processes") == 1.0
    survivors = [p.pid for p in psutil.process_iter(["cmdline"]) if token in " ".join(p.info["cmdline"] or [])]
    assert survivors == []


@needs_bwrap
def test_student_code_never_runs_as_root_even_when_the_grader_does(bwrap_run):
    run, *_ = bwrap_run
    assert value(run, "runs_as_uid") not in (0.0, -1.0)


@needs_bwrap
def test_student_code_cannot_start_more_processes_than_the_limit(bwrap_run):
    # Linux exempts root from the limit: this holds only because the sandbox never runs as root.
    run, *_ = bwrap_run
    assert value(run, "counts_forks") < LIMITS.processes


@needs_bwrap
def test_memory_hog_gets_a_memory_error_and_later_calls_still_run(bwrap_run):
    run, *_ = bwrap_run
    report = run.reports["hogs_memory"]
    assert report.status == "ok" and report.result["error"]["kind"] == "memory"
    assert value(run, "answers") == 42.0


@needs_bwrap
def test_processes_that_together_hold_more_memory_than_the_sandbox_may_are_stopped(tmp_path, listener):
    # Four processes of 300 MB each are within the per-process limit, not the sandbox's (1024 MB).
    parent = write_probes(tmp_path, listener, "unused-token", tmp_path / "unused")
    limits = Limits(timeout=30, startup=60, memory_mb=1024, sandbox_memory_mb=1024)
    run = Sandbox(limits, "bubblewrap").run([call("hogs_memory_across_processes"), call("answers")], parent)
    report = run.reports["hogs_memory_across_processes"]
    assert report.status == "crashed", report
    assert "more than 1024 MB of memory together with the processes it started" in report.message
    assert value(run, "answers") == 42.0


@needs_bwrap
def test_the_kernels_out_of_memory_killer_picks_student_processes_before_the_graders(bwrap_run):
    run, *_ = bwrap_run
    assert value(run, "oom_score") == 1000.0


@needs_bwrap
def test_endless_loop_times_out_and_the_same_function_is_not_run_again(bwrap_run):
    run, *_ = bwrap_run
    assert run.reports["hangs"].status == "timeout"
    assert "3 s" in run.reports["hangs"].message
    assert run.reports["hangs_again"].status in ("timeout", "ok")  # a different function: run on its own


@needs_bwrap
def test_os_exit_and_output_floods_end_only_their_own_call(bwrap_run):
    run, *_ = bwrap_run
    assert run.reports["exits"].status == "crashed"
    assert "exit status 3" in run.reports["exits"].message
    assert run.reports["floods"].status == "crashed"
    assert "output" in run.reports["floods"].message
    assert len(run.output) <= LIMITS.output_keep
    assert value(run, "answers") == 42.0


@needs_bwrap
def test_a_second_call_of_a_function_that_hung_is_skipped(tmp_path, listener):
    parent = write_probes(tmp_path, listener, "unused-token", tmp_path / "unused")
    run = Sandbox(LIMITS, "bubblewrap").run([call("hangs", "first"), call("hangs", "second"), call("answers")],
                                            parent)
    assert run.reports["first"].status == "timeout"
    assert run.reports["second"].status == "skipped"
    assert value(run, "answers") == 42.0


@needs_bwrap
def test_a_loop_at_import_is_stopped_by_the_import_limit_not_the_call_limit(tmp_path, listener):
    parent = write_probes(tmp_path, listener, "unused-token", tmp_path / "unused")
    (parent / course.PACKAGE / "spins.py").write_text("while True:\n    pass\n\ndef never():\n    return 1.0\n")
    limits = Limits(timeout=120, import_timeout=2, startup=60, memory_mb=512)
    spinning = {**call("never"), "module": "spins"}
    run = Sandbox(limits, "bubblewrap").run([spinning, call("answers")], parent)
    report = run.reports["never"]
    assert report.status == "timeout"
    assert "importing linear_classifier.spins did not finish within 2 s (the import time limit)" in report.message
    assert "endless loop" in report.message and "memory" not in report.message
    assert value(run, "answers") == 42.0


#: Hold 300 MB, then keep going: like a student's array filled step by step on a busy grading machine.
HOLD_MEMORY_AND_SPIN = """held = [bytearray(b"\\x01" * 2 ** 20) for _ in range(300)]
while True:
    time.sleep(0.01)
"""
HOLDS_MEMORY = {
    "at import": "import time\n\n" + HOLD_MEMORY_AND_SPIN + "\ndef never():\n    return 1.0\n",
    "in the call": "import time\n\n\ndef never():\n" + textwrap.indent(HOLD_MEMORY_AND_SPIN, "    "),
}


@needs_bwrap
@pytest.mark.parametrize("where", HOLDS_MEMORY)
def test_a_call_out_of_time_while_holding_much_memory_is_told_so(tmp_path, listener, where):
    parent = write_probes(tmp_path, listener, "unused-token", tmp_path / "unused")
    (parent / course.PACKAGE / "holds.py").write_text(HOLDS_MEMORY[where])
    limits = Limits(timeout=2, import_timeout=2, startup=60, memory_mb=512)
    run = Sandbox(limits, "bubblewrap").run([{**call("never"), "module": "holds"}, call("answers")], parent)
    report = run.reports["never"]
    assert report.status == "timeout"
    assert re.search(r"it held 3\d\d MB of memory when it was stopped \(the limit is 512 MB\)", report.message), report
    assert value(run, "answers") == 42.0


STARTS_PROCESSES_AT_IMPORT = """
import os, subprocess, time

for _ in range(8):
    subprocess.Popen(["sleep", "300", {token!r}])
IMPORTED_IN = os.getpid()

def imported_in():
    return float(IMPORTED_IN)

def processes_seen():
    # Processes still running (not zombies); a killed process may take a moment to end on a busy machine.
    def running():
        states = []
        for pid in filter(str.isdigit, os.listdir("/proc")):
            try:
                with open(f"/proc/{{pid}}/stat") as stat:
                    states.append(stat.read().rsplit(")", 1)[1].split()[0])
            except OSError:
                pass
        return len([state for state in states if state != "Z"])

    for _ in range(50):
        if running() <= 2:
            break
        time.sleep(0.1)
    return float(running())
"""


@needs_bwrap
def test_a_module_that_starts_processes_at_import_is_imported_once_and_its_processes_are_swept(tmp_path, listener):
    token = f"import-sleeper-{os.getpid()}-{time.time_ns()}"
    parent = write_probes(tmp_path, listener, "unused-token", tmp_path / "unused")
    (parent / course.PACKAGE / "spawner.py").write_text(STARTS_PROCESSES_AT_IMPORT.format(token=token))
    calls = [{**call(target, key), "module": "spawner"}
             for target, key in [("imported_in", "first"), ("processes_seen", "seen"), ("imported_in", "second")]]
    run = Sandbox(LIMITS, "bubblewrap").run(calls, parent)
    # One import for all three calls, and the sleepers it started do not outlive the first call.
    assert value(run, "first") == value(run, "second")
    assert value(run, "seen") == 2.0  # the host and this call process
    assert [p.pid for p in psutil.process_iter(["cmdline"]) if token in " ".join(p.info["cmdline"] or [])] == []


def test_without_bubblewrap_limits_still_stop_hogs_hangs_and_exits(tmp_path, listener):
    parent = write_probes(tmp_path, listener, "unused-token", tmp_path / "unused")
    keys = ["hogs_memory", "hangs", "exits", "answers"]
    run = Sandbox(LIMITS, "rlimits").run([call(k) for k in keys], parent)
    assert run.reports["hogs_memory"].result["error"]["kind"] == "memory"
    assert run.reports["hangs"].status == "timeout"
    assert run.reports["exits"].status == "crashed"
    assert value(run, "answers") == 42.0


@pytest.mark.skipif(os.geteuid() != 0, reason="a sandbox uid is for a grader run by root (CI runs as root)")
def test_without_bubblewrap_a_root_grader_still_runs_student_code_as_a_user_of_its_own(tmp_path, listener):
    # As on Gradescope, where bubblewrap may not run: the interpreter is one other users can reach.
    users.open_traversal()
    parent = write_probes(tmp_path, listener, "unused-token", tmp_path / "unused")
    run = Sandbox(LIMITS, "rlimits").run([call("runs_as_uid")], parent)
    assert value(run, "runs_as_uid") not in (0.0, -1.0)


def test_resource_limits_only_mode_comes_with_a_loud_warning():
    mode, warning = sandbox_status(require=False)
    assert mode == "rlimits" and "WITHOUT" in warning
