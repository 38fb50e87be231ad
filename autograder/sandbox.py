"""Run student code in a sandbox: bubblewrap, resource limits, wall-clock timeouts, process-tree kill.

One sandboxed process (:mod:`autograder.worker`) runs all of a submission's
calls; it is restarted only after a call ends it (a timeout, ``os._exit``, a
crash), skipping what already failed, so one fault costs only the calls it
affects.

With bubblewrap the process sees a read-only system (``/usr`` and the Python
installation), the scratch copy of its one submission at ``/submission``
(read-only), the worker and its plan at ``/grader``, an empty ``/tmp`` of
limited size, and no network, no other process and no other file: not
``solutions/``, not ``autograder/``, not other students, not the output
folder. ``--unshare-pid`` makes the sandbox a process tree whose root dies
with the grader's bubblewrap process, so killing that one process ends every
process the student started. Where bubblewrap cannot run, only resource
limits apply, and :func:`sandbox_status` says so loudly.

Linux does not count processes against the limit for root. A grader started by
a normal user runs the sandbox in a user namespace as that user, so the limit
holds. A grader running as root (a container, CI) gets the same protection
another way: bubblewrap sets the sandbox up as root, keeps only the
capability to change user, and the worker switches to a uid of its own
(:data:`SANDBOX_UIDS`, one per sandbox running at the same time, so that each
has its own process count) before it reads the plan's calls.
"""

import json
import os
import selectors
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from . import course

WORKER = Path(__file__).resolve().parent / "worker.py"
#: Where things appear inside the sandbox.
SUBMISSION_MOUNT = "/submission"
GRADER_MOUNT = "/grader"
#: Environment of the sandboxed process: single-threaded numerics (parallel jobs share the cores).
ENVIRONMENT = {
    "PATH": "/usr/bin:/bin", "HOME": "/tmp", "LANG": "C.UTF-8", "PYTHONHASHSEED": "0",
    "PYTHONIOENCODING": "utf-8", "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
    "MPLBACKEND": "Agg",
}


@dataclass(frozen=True)
class Limits:
    """Resource limits of a sandboxed run."""

    #: Wall-clock seconds for each call of a student function.
    timeout: float = 20.0
    #: Wall-clock seconds for each student module's import. Shorter than ``timeout``: an import that runs a
    #: loop or a computation at module level would otherwise cost a whole call's limit, and a plain import of
    #: the graded modules takes milliseconds (a module importing matplotlib, about a second on a loaded machine).
    import_timeout: float = 10.0
    #: Wall-clock seconds to start Python and import numpy.
    startup: float = 60.0
    #: Address space of the process, in MB.
    memory_mb: int = 1024
    #: Largest file the process may write, in MB (only /tmp is writable, a tmpfs of tmp_mb).
    file_mb: int = 16
    tmp_mb: int = 64
    #: Processes and threads of the sandbox's user (never root, whom Linux exempts: see the module's docstring).
    processes: int = 64
    open_files: int = 256
    #: Bytes of the student's output kept for the instructor's log, and the most it may print in all.
    output_keep: int = 64 * 1024
    output_limit: int = 8 * 1024 * 1024
    #: Longest line of results the worker may send.
    message_limit: int = 16 * 1024 * 1024

    def for_worker(self, num_calls):
        cpu = int(self.startup + self.timeout * (num_calls + 2)) + 1
        return {"memory_bytes": self.memory_mb * 2 ** 20, "cpu_seconds": cpu, "file_bytes": self.file_mb * 2 ** 20,
                "processes": self.processes, "open_files": self.open_files}


@dataclass
class CallReport:
    """What happened to one call: ``ok`` with the worker's result, or a status and a message."""

    status: str  # "ok", "timeout", "crashed", "import_error", "skipped"
    result: dict = None
    message: str = ""


@dataclass
class SandboxRun:
    """The reports of every call, the student's output (capped), and how the sandbox ran."""

    reports: dict
    output: bytes = b""
    output_dropped: int = 0
    restarts: int = 0
    notes: list = field(default_factory=list)


# -- bubblewrap ------------------------------------------------------------------


def _python_mounts():
    """Directories the sandboxed Python needs, read-only: its installation and numpy's."""
    import numpy

    wanted = {sys.prefix, sys.base_prefix, sys.exec_prefix, os.path.dirname(os.path.dirname(numpy.__file__)),
              os.path.dirname(os.path.realpath(sys.executable))}
    mounts = []
    for folder in sorted(Path(p).resolve() for p in wanted):
        if any(folder == m or m in folder.parents for m in mounts):
            continue
        mounts = [m for m in mounts if folder not in m.parents] + [folder]
    forbidden = course.COURSE_ROOT.resolve()
    for folder in mounts:
        if folder == forbidden or folder in forbidden.parents:
            raise RuntimeError(f"The Python installation {folder} contains the course folder {forbidden}: "
                               "the sandbox would expose solutions/. Use a virtual environment outside the "
                               "course, or at .venv inside it.")
    return [str(m) for m in mounts]


#: Unused uids a root grader runs sandboxes as, one per sandbox running at the same time.
SANDBOX_UIDS = range(61000, 61000 + 1000)
_uids_in_use = set()
_uids_lock = threading.Lock()


@contextmanager
def sandbox_uid():
    """A uid of :data:`SANDBOX_UIDS` that no other running sandbox has, or None when the grader is not root."""
    if os.geteuid() != 0:
        yield None
        return
    with _uids_lock:
        uid = next((u for u in SANDBOX_UIDS if u not in _uids_in_use), None)
        if uid is None:
            raise RuntimeError(f"more than {len(SANDBOX_UIDS)} sandboxes at once: lower --jobs")
        _uids_in_use.add(uid)
    try:
        yield uid
    finally:
        with _uids_lock:
            _uids_in_use.discard(uid)


def bwrap_command(package_parent, plan_path, limits, python=sys.executable, run_as=None):
    """The bubblewrap command line that runs the worker on ``package_parent`` with ``plan_path``.

    ``run_as``: None for a grader that is not root (a user namespace maps it to uid 65534 inside); for a root
    grader, the uid the worker switches to (the plan says which), the one capability it keeps for that.
    """
    if run_as is None:
        command = ["bwrap", "--unshare-all", "--die-with-parent", "--new-session", "--cap-drop", "ALL",
                   "--uid", "65534", "--gid", "65534"]
    else:
        # No user namespace: in one, the sandbox's users all map to root outside, whom no process limit binds.
        command = ["bwrap", "--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts",
                   "--unshare-cgroup-try", "--die-with-parent", "--new-session", "--cap-drop", "ALL",
                   "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]
    for top in ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"):
        if os.path.islink(top):
            command += ["--symlink", os.readlink(top), top]
        elif os.path.isdir(top):
            command += ["--ro-bind", top, top]
    if os.path.exists("/etc/ld.so.cache"):
        command += ["--ro-bind", "/etc/ld.so.cache", "/etc/ld.so.cache"]
    # The scratch /tmp comes before the Python mounts: a Python installed under /tmp (a CI checkout
    # there, say) is bound on top of it instead of being hidden by it.
    command += ["--proc", "/proc", "--dev", "/dev", "--perms", "1777", "--size", str(limits.tmp_mb * 2 ** 20),
                "--tmpfs", "/tmp"]
    made = set()
    for folder in _python_mounts():
        if not folder.startswith(("/usr/", "/bin/", "/lib")):
            # bubblewrap would make the folders leading to a mount private (0700) to root; the worker may
            # not be root, so make them traversable first.
            for parent in reversed(Path(folder).parents[:-1]):
                if str(parent) not in made and str(parent) != "/tmp":
                    command += ["--perms", "0755", "--dir", str(parent)]
                    made.add(str(parent))
            command += ["--ro-bind", folder, folder]
    command += [
        "--ro-bind", str(package_parent), SUBMISSION_MOUNT,
        "--ro-bind", str(WORKER), f"{GRADER_MOUNT}/worker.py",
        "--ro-bind", str(plan_path), f"{GRADER_MOUNT}/plan.json",
        "--chdir", SUBMISSION_MOUNT, "--clearenv",
    ]
    for name, value in ENVIRONMENT.items():
        command += ["--setenv", name, value]
    return command + ["--", python, "-s", "-B", f"{GRADER_MOUNT}/worker.py", f"{GRADER_MOUNT}/plan.json"]


def direct_command(package_parent, plan_path, python=sys.executable):
    """The command that runs the worker with resource limits only (no bubblewrap).

    A shell stands between the grader and the worker, so that student code
    killing its parent process does not kill the grader.
    """
    return ["/bin/sh", "-c", '"$@"; exit $?', "sh", python, "-s", "-B", str(WORKER), str(plan_path)]


@lru_cache(maxsize=None)
def probe_bwrap():
    """Whether bubblewrap can run the worker here: ``(True, "")`` or ``(False, reason)``."""
    if shutil.which("bwrap") is None:
        return False, "bubblewrap (bwrap) is not installed: run `make setup` or `apt-get install bubblewrap`"
    with tempfile.TemporaryDirectory(prefix="autograder-probe-") as folder:
        folder = Path(folder)
        (folder / "pkg").mkdir()
        (folder / "pkg").chmod(0o755)
        plan = folder / "plan.json"
        read, write = os.pipe()
        try:
            with sandbox_uid() as uid:
                plan.write_text(json.dumps({"package": "linear_classifier", "calls": [], "run_as": uid}))
                command = bwrap_command(folder / "pkg", plan, Limits(), run_as=uid) + [str(write), SUBMISSION_MOUNT]
                process = subprocess.run(command, pass_fds=(write,), stdin=subprocess.DEVNULL, capture_output=True,
                                         timeout=60)
        except (OSError, subprocess.TimeoutExpired) as error:
            return False, f"bubblewrap failed to start: {error}"
        finally:
            os.close(write)
        with os.fdopen(read, "rb") as channel:
            events = channel.read()
        if process.returncode != 0 or b'"done"' not in events:
            detail = process.stderr.decode(errors="replace").strip().splitlines()
            why = detail[-1] if detail else f"exit status {process.returncode}"
            return False, f"bubblewrap cannot run here ({why})"
    return True, ""


def sandbox_status(require=None):
    """How submissions will be isolated: ``("bubblewrap", "")`` or ``("rlimits", warning)``.

    ``require``: True fails if bubblewrap cannot run, False never uses it, None uses it when it works.
    Set the environment variable ``AUTOGRADER_SANDBOX=rlimits`` to force the fallback.
    """
    if require is None and os.environ.get("AUTOGRADER_SANDBOX") == "rlimits":
        require = False
    if require is False:
        return "rlimits", ("WARNING: student code ran WITHOUT bubblewrap, with resource limits only: it could read "
                           "solutions/, other submissions and the network. Do not trust these grades against "
                           "cheating.")
    ok, reason = probe_bwrap()
    if ok:
        return "bubblewrap", ""
    if require:
        raise RuntimeError(reason)
    return "rlimits", (f"WARNING: {reason}. Student code ran WITHOUT a sandbox, with resource limits only: it could "
                       "read solutions/, other submissions and the network. Do not trust these grades against "
                       "cheating.")


# -- running ---------------------------------------------------------------------


_SIGNALS = {
    signal.SIGKILL: "was killed (SIGKILL), e.g. by the system's out-of-memory killer",
    signal.SIGXCPU: "used up its CPU time limit",
    signal.SIGSEGV: "crashed with a segmentation fault",
    signal.SIGXFSZ: "tried to write a file larger than the limit",
    signal.SIGABRT: "aborted (SIGABRT)",
}


def describe_exit(returncode):
    """Why the worker process ended early, in words.

    bubblewrap and the fallback's shell both report a child killed by signal n as 128 + n.
    """
    number = None
    if returncode is not None and returncode < 0:
        number = -returncode
    elif returncode is not None and returncode > 128:
        number = returncode - 128
    if number is not None:
        try:
            known = _SIGNALS.get(signal.Signals(number))
            name = signal.Signals(number).name
        except ValueError:
            known, name = None, f"signal {number}"
        return known or f"was killed by {name}"
    return f"ended the grading process with exit status {returncode} (os._exit or a similar call?)"


def _kill_tree(process):
    """Kill the process, its process group and (fallback mode) every descendant, then reap it."""
    victims = []
    try:
        import psutil

        victims = psutil.Process(process.pid).children(recursive=True)
    except Exception:  # noqa: BLE001 (already gone)
        pass
    for kill in (lambda: os.killpg(process.pid, signal.SIGKILL), process.kill):
        try:
            kill()
        except (ProcessLookupError, PermissionError):
            pass
    for victim in victims:
        try:
            victim.kill()
        except Exception:  # noqa: BLE001
            pass
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        pass


class Sandbox:
    """Runs worker plans on scratch copies of submissions."""

    def __init__(self, limits=None, mode="bubblewrap"):
        self.limits = limits or Limits()
        self.mode = mode

    def run(self, calls, package_parent, package=course.PACKAGE):
        """Run ``calls`` (worker call dicts) on the package under ``package_parent``; return a SandboxRun."""
        run = SandboxRun(reports={})
        failed_modules = {}
        hung_targets = {}
        pending = list(calls)
        with tempfile.TemporaryDirectory(prefix="autograder-plan-") as workdir:
            while pending:
                runnable = []
                for call in pending:
                    module = f"{package}.{call['module']}"
                    failure = failed_modules.get(package) or failed_modules.get(module)
                    if failure:
                        run.reports[call["key"]] = failure
                    elif (call["module"], call["target"]) in hung_targets:
                        run.reports[call["key"]] = CallReport(
                            "skipped", message=f"not run: {call['target']} already exceeded the time limit of "
                                               f"{self.limits.timeout:g} s in an earlier test")
                    else:
                        runnable.append(call)
                if not runnable:
                    break
                # Each run ends at least one call or one module's import, so this bounds the restarts.
                if run.restarts > len(calls) + len(failed_modules) + 2:
                    raise RuntimeError("the sandbox kept restarting without progress (a grader bug)")
                self._run_once(runnable, package_parent, package, Path(workdir), run, failed_modules, hung_targets)
                run.restarts += 1
                pending = [call for call in runnable if call["key"] not in run.reports]
        run.restarts = max(0, run.restarts - 1)
        return run

    def _run_once(self, calls, package_parent, package, workdir, run, failed_modules, hung_targets):
        # Only bubblewrap can switch users (see the module's docstring); without it the worker keeps ours.
        with sandbox_uid() if self.mode == "bubblewrap" else nullcontext() as uid:
            if uid is not None:
                # The bound copy must be readable by the sandbox's own user (its files and folders already are).
                os.chmod(package_parent, 0o755)
            return self._run_process(calls, package_parent, package, workdir, run, failed_modules, hung_targets, uid)

    def _run_process(self, calls, package_parent, package, workdir, run, failed_modules, hung_targets, uid):
        limits = self.limits
        plan_path = workdir / "plan.json"
        plan_path.write_text(json.dumps({"package": package, "limits": limits.for_worker(len(calls)),
                                         "calls": calls, "run_as": uid}), encoding="utf-8")
        plan_path.chmod(0o644)
        read, write = os.pipe()
        if self.mode == "bubblewrap":
            command = bwrap_command(package_parent, plan_path, limits, run_as=uid) + [str(write), SUBMISSION_MOUNT]
            env, cwd = None, None
        else:
            command = direct_command(package_parent, plan_path) + [str(write), str(package_parent)]
            env, cwd = dict(ENVIRONMENT, PATH=os.environ.get("PATH", "/usr/bin:/bin")), str(package_parent)
        try:
            process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                       stderr=subprocess.STDOUT, pass_fds=(write,), start_new_session=True,
                                       env=env, cwd=cwd)
        finally:
            os.close(write)
        by_key = {call["key"]: call for call in calls}
        selector = selectors.DefaultSelector()
        channel = os.fdopen(read, "rb", buffering=0)
        selector.register(channel, selectors.EVENT_READ, "results")
        selector.register(process.stdout, selectors.EVENT_READ, "output")
        state = {"current": ("startup", None), "deadline": time.monotonic() + limits.startup, "done": False,
                 "ready": False}
        buffer = b""
        ending = None  # (kind, detail) when the run must stop
        exited_at = None

        def handle(line):
            event = json.loads(line)
            kind = event.get("event")
            now = time.monotonic()
            if kind == "ready":
                state["ready"] = True
                state["current"] = None
            elif kind == "import":
                state["current"] = ("import", str(event["module"]))
                state["deadline"] = now + limits.import_timeout
                return
            elif kind == "imported":
                state["current"] = None
            elif kind == "import_failed":
                module = str(event["module"])
                error = event.get("error") or {}
                where = f" ({error.get('where')})" if error.get("where") else ""
                failed_modules[module] = CallReport(
                    "import_error", message=f"{module} does not import: {str(error.get('type'))[:100]}: "
                                            f"{str(error.get('message'))[:500]}{where}")
                state["current"] = None
            elif kind == "start":
                key = event["call"]
                if key not in by_key:
                    raise ValueError("unknown call")
                state["current"] = ("call", key)
            elif kind == "result":
                key = event["call"]
                if key not in by_key:
                    raise ValueError("unknown call")
                run.reports[key] = CallReport("ok", result=event)
                state["current"] = None
            elif kind == "done":
                state["done"] = True
            else:
                raise ValueError("unknown event")
            state["deadline"] = now + limits.timeout

        try:
            while ending is None and not state["done"]:
                now = time.monotonic()
                if now >= state["deadline"]:
                    ending = ("timeout", None)
                    break
                ready = selector.select(min(0.25, state["deadline"] - now))
                for key, _ in ready:
                    data = os.read(key.fileobj.fileno(), 1 << 16)
                    if not data:
                        selector.unregister(key.fileobj)
                        continue
                    if key.data == "output":
                        keep = max(0, limits.output_keep - len(run.output))
                        run.output += data[:keep]
                        run.output_dropped += len(data) - min(len(data), keep)
                        if len(run.output) + run.output_dropped > limits.output_limit:
                            ending = ("flood", None)
                            break
                        continue
                    buffer += data
                    if len(buffer) > limits.message_limit:
                        ending = ("oversized", None)
                        break
                    *lines, buffer = buffer.split(b"\n")
                    for line in lines:
                        try:
                            handle(line)
                        except (ValueError, KeyError, TypeError, AttributeError):
                            ending = ("protocol", None)
                            break
                    if ending:
                        break
                if ending is None and not state["done"] and process.poll() is not None:
                    # Give the pipes a moment to deliver what the process wrote before it ended.
                    exited_at = exited_at or time.monotonic()
                    if not selector.get_map() or time.monotonic() - exited_at > 1.0:
                        ending = ("exit", process.returncode)
        finally:
            if state["done"]:
                try:
                    process.wait(timeout=2)
                except subprocess.TimeoutExpired:
                    pass
            _kill_tree(process)
            selector.close()
            channel.close()
            process.stdout.close()

        if state["done"]:
            for call in calls:
                if call["key"] not in run.reports and not self._known_failure(call, package, failed_modules):
                    run.reports[call["key"]] = CallReport("crashed", message="the grader received no result")
            return
        kind, detail = ending
        current = state["current"]
        if not state["ready"]:
            # The process never started: a problem of the grading machine or of the whole submission.
            message = self._startup_failure(kind, detail, run.output)
            for call in calls:
                run.reports.setdefault(call["key"], CallReport("crashed", message=message))
            return
        reason = {
            "timeout": None,
            "flood": f"printed more than {limits.output_limit // 2 ** 20} MB of output (the output is capped)",
            "oversized": "sent the grader an oversized result",
            "protocol": "wrote garbage into the grader's result channel",
            "exit": describe_exit(detail),
        }[kind]
        if current is None:
            # Between steps: charge the next call that has no result, so every restart makes progress.
            remaining = [c for c in calls if c["key"] not in run.reports
                         and not self._known_failure(c, package, failed_modules)]
            if not remaining:
                return
            current = ("call", remaining[0]["key"])
        what, name = current
        if what == "import":
            if kind == "timeout":
                message = (f"importing {name} did not finish within {limits.import_timeout:g} s (the import time "
                           "limit): is there an endless loop or a long computation at module level? Move it into "
                           "a function.")
                failed_modules[name] = CallReport("timeout", message=message)
            else:
                failed_modules[name] = CallReport("crashed", message=f"importing {name} {reason}")
        elif kind == "timeout":
            run.reports[name] = CallReport("timeout", message=f"did not finish within {limits.timeout:g} s (time "
                                                              "limit): an endless loop, or far slower than needed?")
            hung_targets[(by_key[name]["module"], by_key[name]["target"])] = name
        else:
            run.reports[name] = CallReport("crashed", message=f"the process running this test {reason}")

    @staticmethod
    def _known_failure(call, package, failed_modules):
        return package in failed_modules or f"{package}.{call['module']}" in failed_modules

    def _startup_failure(self, kind, detail, output):
        tail = output.decode("utf-8", errors="replace").strip().splitlines()[-3:]
        if kind == "timeout":
            why = f"did not start within {self.limits.startup:g} s"
        elif kind == "exit":
            why = f"ended before starting (exit status {detail})"
        else:
            why = "failed before starting"
        return f"the grading sandbox {why}" + (f": {' | '.join(tail)}" if tail else "")
