"""Run a submission's calls in a sandbox: one host process, wall-clock deadlines, a budget, restarts.

One sandboxed host (:mod:`autograder.sandbox.worker`) runs all of a submission's calls, one at a time,
each module's in a call process of its own; a fault ends one call, and the host carries on. Only when
the host itself is lost (it stops answering, or the kernel kills it) is the sandbox restarted, at most
:attr:`Limits.restarts` times, skipping what already failed. Every call's deadline is fixed when it
starts; every submission has a budget of wall time across imports, calls and restarts
(:attr:`Limits.budget`), after which its remaining calls are skipped and the run says what was cut.
"""

import os
import selectors
import shutil
import signal
import subprocess
import tempfile
import time
from contextlib import ExitStack, nullcontext
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from .. import course
from ..calls import wire
from ..calls.status import DEFERRING, LIKELY_CAUSES, Outcome, Status, ended, sentence
from .isolation import (ENVIRONMENT, SUBMISSION_MOUNT, bwrap_command, direct_command, grader_folder,
                        interpreter_reachable_by_others, open_for_traversal, sandbox_uid, start_message)

#: Seconds the grader waits beyond a call's own deadlines before it gives the host up for lost.
GRACE = 5.0
#: The fraction of the memory limit a call that ran out of time must hold for its message to name memory (an
#: honest call holds a tenth of it: numpy and the data).
MEMORY_WORTH_NAMING = 0.25
#: Seconds of a submission's budget kept for the grader's own work on it (copying its package before the
#: sandbox, judging its results after), so its whole grading stays within the budget; at most a tenth of it.
BUDGET_RESERVE = 1.0
#: Longest message the host may send (its results are already bounded by each call's expected size).
HOST_MESSAGE_LIMIT = 256 * 2 ** 20


@dataclass(frozen=True)
class Limits:
    """Resource limits of a sandboxed run."""

    #: Wall-clock seconds for each call of a student function.
    timeout: float = 20.0
    #: Wall-clock seconds for each student module's import. Shorter than ``timeout``: an import that runs a
    #: loop or a computation at module level would otherwise cost a whole call's limit, and a plain import of
    #: the graded modules takes milliseconds (a module importing matplotlib, about a second on a loaded machine).
    import_timeout: float = 10.0
    #: Wall-clock seconds for the whole submission: imports, calls and restarts together (None: no budget).
    budget: float = None
    #: Times the sandbox may be restarted after losing its host.
    restarts: int = 3
    #: Wall-clock seconds to start Python and import numpy.
    startup: float = 60.0
    #: Address space of each process, in MB.
    memory_mb: int = 1024
    #: Resident memory of all the sandbox's processes together, in MB, watched by its host while student code
    #: runs: the per-process limit alone would let ``processes`` of them hold ``memory_mb`` each.
    sandbox_memory_mb: int = 2048
    #: Largest file the process may write, in MB (only /tmp is writable, a tmpfs of tmp_mb).
    file_mb: int = 16
    tmp_mb: int = 64
    #: Processes and threads of the sandbox's user (never root, whom Linux exempts: see isolation's docstring).
    processes: int = 64
    open_files: int = 256
    #: Bytes of the student's output kept for the instructor's log, and the most it may print in all.
    output_keep: int = 64 * 1024
    output_limit: int = 8 * 1024 * 1024

    def for_host(self, num_calls):
        """The limits the host applies to itself and its call processes."""
        cpu = int(self.startup + self.timeout * (num_calls + 2)) + 1
        return {"memory_bytes": self.memory_mb * 2 ** 20, "sandbox_memory_bytes": self.sandbox_memory_mb * 2 ** 20,
                "cpu_seconds": cpu, "file_bytes": self.file_mb * 2 ** 20,
                "processes": self.processes, "open_files": self.open_files, "timeout": self.timeout,
                "import_timeout": self.import_timeout, "output_keep": self.output_keep,
                "output_limit": self.output_limit}


@dataclass
class SandboxRun:
    """The reports of every call (:class:`~autograder.calls.status.Outcome`: ``ok`` with the host's checked result,
    or a status and a message), the student's output (capped), and how the sandbox ran."""

    reports: dict
    output: bytes = b""
    output_dropped: int = 0
    restarts: int = 0
    #: Wall-clock seconds the submission took.
    seconds: float = 0.0
    #: What the budget or the restart cap cut, in words ("" when nothing was cut).
    cut: str = ""
    #: Seconds by phase: ``startup``, ``imports``, and ``calls: <module>`` for each module.
    timings: dict = field(default_factory=dict)


class SessionFailed(RuntimeError):
    """The sandbox could not start, or its host was lost: ``kind`` says how."""

    def __init__(self, kind, message):
        super().__init__(message)
        self.kind = kind


class Session:
    """One sandboxed host process and its pipes (a context manager)."""

    def __init__(self, limits, mode, package_parent, grader_dir, package=course.PACKAGE, num_calls=0):
        self.limits, self.mode, self.package = limits, mode, package
        self.package_parent, self.grader_dir, self.num_calls = Path(package_parent), Path(grader_dir), num_calls
        self.output = b""
        #: How much of ``output`` the run has taken already.
        self.kept = b""
        self.output_bytes = 0
        self.process = None
        self._stack = ExitStack()
        self._events = wire.LineReader(HOST_MESSAGE_LIMIT)
        self._lines = []

    def __enter__(self):
        # Only bubblewrap can switch users (see isolation's docstring); without it the host keeps ours.
        # A root grader runs student code as a uid of its own, even without bubblewrap when the interpreter is
        # reachable by other users (see isolation's docstring); a normal user's grader runs it as itself.
        switch = self.mode == "bubblewrap" or interpreter_reachable_by_others()
        self.uid = self._stack.enter_context(sandbox_uid() if switch else nullcontext())
        if not (self.grader_dir / "worker.py").is_file():
            grader_folder(self.grader_dir)
        if self.uid is not None:
            # The copy must be readable by the sandbox's own user (its files and folders already are).
            os.chmod(self.package_parent, 0o755)
            if self.mode != "bubblewrap":
                # Without bubblewrap's mounts, that user reaches them through the grader's private folders.
                open_for_traversal(self.package_parent, self.grader_dir)
        requests_read, self._requests = os.pipe()
        events_read, events_write = os.pipe()
        if self.mode == "bubblewrap":
            command = bwrap_command(self.package_parent, self.grader_dir, self.limits, run_as=self.uid)
            command[0] = shutil.which("bwrap") or command[0]
            command += [str(requests_read), str(events_write), SUBMISSION_MOUNT]
            cwd = None
        else:
            command = direct_command(self.grader_dir) + [str(requests_read), str(events_write),
                                                         str(self.package_parent)]
            cwd = str(self.package_parent)
        try:
            # bubblewrap itself gets the sandbox's environment, not ours: it is the parent of the sandbox.
            self.process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                            stderr=subprocess.STDOUT, pass_fds=(requests_read, events_write),
                                            start_new_session=True, env=dict(ENVIRONMENT), cwd=cwd)
        finally:
            os.close(requests_read)
            os.close(events_write)
        self._channel = os.fdopen(events_read, "rb", buffering=0)
        self._selector = selectors.DefaultSelector()
        self._selector.register(self._channel, selectors.EVENT_READ, "events")
        self._selector.register(self.process.stdout, selectors.EVENT_READ, "output")
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self, ask_first=True):
        """End the host: ask it to stop its call processes and wait a moment, or (``ask_first=False``, for a
        host that is busy with a hung call) kill it at once, so a lost call costs no more than its deadline."""
        if self.process is not None:
            if ask_first:
                try:
                    self._send({"op": "end"})
                    self.process.wait(timeout=2)
                except (OSError, subprocess.TimeoutExpired):
                    pass
            _kill_tree(self.process)
            self._selector.close()
            self._channel.close()
            self.process.stdout.close()
            try:
                os.close(self._requests)
            except OSError:
                pass
            self.process = None
        self._stack.close()

    def _send(self, message):
        data = memoryview(wire.dumps(message))
        while data:
            data = data[os.write(self._requests, data):]

    def start(self):
        """Send the limits; return when the host is ready, or raise SessionFailed saying why it is not."""
        self._send(start_message(self.package, self.limits, self.num_calls, self.uid))
        event = self.next_event(time.monotonic() + self.limits.startup, starting=True)
        if event.get("event") != "ready":
            raise SessionFailed("startup", sentence(Status.CRASHED, "sandbox", lost="did not start properly"))

    def call(self, call, serve, deadline):
        """Run ``call`` and return the host's result event, answering its service requests with ``serve``."""
        self._send({"op": "call", "call": call})
        while True:
            event = self.next_event(deadline)
            if event.get("event") == "service":
                self._send({"op": "reply", "reply": serve(call["key"], event.get("request"))})
            elif event.get("event") == "result" and event.get("call") == call["key"]:
                self.output_bytes = int(event.get("output_bytes", 0))
                return event
            else:
                raise SessionFailed("protocol", "the sandbox's host sent an unexpected message (a grader bug)")

    def next_event(self, deadline, starting=False):
        """The host's next message; SessionFailed when the host ends or the deadline passes first."""
        exited_at = None
        while not self._lines:
            now = time.monotonic()
            if now >= deadline:
                raise SessionFailed("timeout" if not starting else "startup",
                                    self._startup_failure("did not start within "
                                                          f"{self.limits.startup:g} s") if starting else "")
            for key, _ in self._selector.select(min(0.25, deadline - now)):
                data = os.read(key.fileobj.fileno(), 1 << 16)
                if not data:
                    self._selector.unregister(key.fileobj)
                elif key.data == "output":
                    self.output += data[:max(0, self.limits.output_keep - len(self.output))]
                else:
                    self._lines += self._events.feed(data)
            if not self._lines and self.process.poll() is not None:
                # Give the pipes a moment to deliver what the host wrote before it ended.
                exited_at = exited_at or time.monotonic()
                if not self._selector.get_map() or time.monotonic() - exited_at > 1.0:
                    why = _describe_host_exit(self.process.returncode)
                    raise SessionFailed("startup" if starting else "exit",
                                        self._startup_failure(why) if starting else why)
        try:
            return wire.loads(self._lines.pop(0), HOST_MESSAGE_LIMIT)
        except wire.ProtocolError as error:
            # The host relays what a call process sent (a service request) as the host parsed it; the grader's
            # deeper stack may not parse the same nesting: that costs this submission's session, never the grader.
            raise SessionFailed("protocol", f"the sandbox's host relayed a message the grader cannot read ({error})") \
                from None

    def _startup_failure(self, why):
        tail = self.output.decode("utf-8", errors="replace").strip().splitlines()[-3:]
        return sentence(Status.CRASHED, "sandbox", lost=why + (f": {' | '.join(tail)}" if tail else ""))


def _memory_held(event, limits):
    """What a call that ran out of time says about its memory, when it held a lot of it; else ``""``."""
    held = int(event.get("resident_bytes") or 0)
    if held < MEMORY_WORTH_NAMING * limits.memory_mb * 2 ** 20:
        return ""
    return LIKELY_CAUSES["memory"].format(held=held // 2 ** 20, limit=limits.memory_mb)


def _describe_host_exit(returncode):
    """Why the host ended, in words (bubblewrap and the fallback's shell report signal n as 128 + n)."""
    if returncode is not None and (returncode < 0 or returncode > 128):
        number = -returncode if returncode < 0 else returncode - 128
        try:
            return f"ended: its host was killed by {signal.Signals(number).name}"
        except ValueError:
            return f"ended: its host was killed by signal {number}"
    return f"ended: its host exited with status {returncode}"


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


def _no_service(key, request):
    return {"refused": "this call has no loss service"}


class Sandbox:
    """Runs a submission's calls (worker call dicts) on scratch copies of its package."""

    def __init__(self, limits=None, mode="bubblewrap"):
        self.limits = limits or Limits()
        self.mode = mode

    def run(self, calls, package_parent, serve=_no_service, package=course.PACKAGE):
        """Run ``calls`` on the package under ``package_parent``; return a SandboxRun.

        ``serve(key, request)`` answers the loss requests of call ``key`` (see ``calls.runners.LossService``).
        """
        with tempfile.TemporaryDirectory(prefix="autograder-session-") as workdir:
            submission = _Submission(self, calls, package_parent, serve, package, grader_folder(Path(workdir) / "grader"))
            pending = list(calls)
            try:
                while pending:
                    call = pending.pop(0)
                    submission.run(call)
                    if submission.result.reports[call["key"]].status in DEFERRING:
                        # The module misbehaved: its other calls wait until every other module's have run, so
                        # that what the budget may cut is this module's, not the well-behaved ones'.
                        pending = ([c for c in pending if c["module"] != call["module"]]
                                   + [c for c in pending if c["module"] == call["module"]])
            finally:
                submission.close()
        return submission.result


class _Submission:
    """The state of one submission's run: its session, what failed, what is left of its budget."""

    def __init__(self, sandbox, calls, package_parent, serve, package, grader_dir):
        self.sandbox, self.limits, self.calls = sandbox, sandbox.limits, calls
        self.package_parent, self.serve, self.package, self.grader_dir = package_parent, serve, package, grader_dir
        self.result = SandboxRun(reports={})
        self.started = time.monotonic()
        budget = self.limits.budget
        self.budget_end = self.started + budget - min(BUDGET_RESERVE, budget / 10) if budget else float("inf")
        self.failed_modules, self.hung_targets = {}, set()
        self.session = None
        self.starts = 0
        #: Set when the sandbox cannot start at all: every call gets this report.
        self.broken = None

    def run(self, call):
        key, module = call["key"], f"{self.package}.{call['module']}"
        skipped = self.skip_reason(call, module)
        if skipped is not None:
            self.result.reports[key] = skipped
            return
        if self.session is None and not self.start(call):
            return
        deadline = min(time.monotonic() + self.limits.import_timeout + self.limits.timeout + GRACE, self.budget_end)
        began = time.monotonic()
        try:
            event = self.session.call(call, self.serve, deadline)
        except SessionFailed as lost:
            self.lose(key, lost)
            return
        finally:
            self.keep_output()
        timings = self.result.timings
        timings["imports"] = timings.get("imports", 0.0) + float(event.get("import_seconds") or 0.0)
        label = f"calls: {call['module']}"
        timings[label] = timings.get(label, 0.0) + time.monotonic() - began - float(event.get("import_seconds") or 0)
        self.result.reports[key] = self.sandbox_report(event, call, module)

    def skip_reason(self, call, module):
        """The report of a call that is not run (its module failed, its function hung, a limit was reached)."""
        failure = self.broken or self.failed_modules.get(self.package) or self.failed_modules.get(module)
        if failure:
            return failure
        if (call["module"], call["target"]) in self.hung_targets:
            return ended(Status.SKIPPED, "hung", target=call["target"], seconds=self.limits.timeout)
        if not self.result.cut and self.session is None and self.starts > self.limits.restarts:
            self.result.cut = (f"the sandbox was restarted {self.limits.restarts} times, the most allowed for one "
                               "submission")
        if self.result.cut:
            return ended(Status.SKIPPED, "cut", cut=self.result.cut)
        return None

    def start(self, call):
        """Start a session; False (with every remaining call reported) when the sandbox cannot start."""
        began = time.monotonic()
        self.starts += 1
        self.result.restarts = self.starts - 1
        session = Session(self.limits, self.sandbox.mode, self.package_parent, self.grader_dir, self.package,
                          len(self.calls))
        try:
            session.__enter__()
            session.start()
        except SessionFailed as error:
            session.close()
            self.broken = Outcome(Status.CRASHED, message=str(error))  # its sentence: _startup_failure
            self.result.reports[call["key"]] = self.broken
            return False
        self.session = session
        self.result.timings["startup"] = self.result.timings.get("startup", 0.0) + time.monotonic() - began
        return True

    def lose(self, key, lost):
        """The host was lost during call ``key``: report it and close the session (the next call restarts it)."""
        self.keep_output()
        self.session.close(ask_first=False)
        self.session = None
        if lost.kind == "timeout" and time.monotonic() >= self.budget_end:
            spent = time.monotonic() - self.started
            self.result.cut = (f"the submission used up its time budget of {self.limits.budget:g} s (imports, calls "
                               f"and restarts together; {spent:.0f} s used)")
            self.result.reports[key] = ended(Status.TIMEOUT, "budget", cut=self.result.cut)
        else:
            self.result.reports[key] = ended(Status.CRASHED, "sandbox", lost=lost)

    def keep_output(self):
        if self.session is not None:
            kept = self.result.output
            self.result.output = (kept + self.session.output[len(self.session.kept):])[:self.limits.output_keep]
            self.session.kept = self.session.output
            self.result.output_dropped = max(0, self.session.output_bytes - len(self.session.output))

    def close(self):
        if self.session is not None:
            self.keep_output()
            self.session.close()
        self.result.seconds = time.monotonic() - self.started

    def sandbox_report(self, event, call, module):
        """The Outcome of a host's result event; remember modules that cannot import and targets that hung."""
        status, message, limits = event.get("status"), str(event.get("message") or ""), self.limits
        if status == Status.OK:
            return Outcome(Status.OK, result=event["result"])
        if status == Status.IMPORT_ERROR:
            error = event.get("error") or {}
            where = f" ({error.get('where')})" if error.get("where") else ""
            self.failed_modules[module] = ended(Status.IMPORT_ERROR, "import", module=module,
                                                problem=f"{error.get('type')}: {error.get('message')}{where}")
            return self.failed_modules[module]
        held = _memory_held(event, limits)
        if status == Status.TIMEOUT and event.get("phase") == "import":
            self.failed_modules[module] = ended(Status.TIMEOUT, "import", module=module,
                                                seconds=limits.import_timeout, likely=held or LIKELY_CAUSES["import"])
            return self.failed_modules[module]
        if status == Status.TIMEOUT:
            self.hung_targets.add((call["module"], call["target"]))
            return ended(Status.TIMEOUT, "call", seconds=limits.timeout, likely=held or LIKELY_CAUSES["call"])
        if status == Status.CRASHED and event.get("cause") == "flood":
            return ended(Status.CRASHED, "flood", megabytes=limits.output_limit // 2 ** 20)
        if status == Status.PROTOCOL and event.get("service"):
            return ended(Status.PROTOCOL, "service", message=message)
        if status == Status.PROTOCOL:
            return ended(Status.PROTOCOL, "call", message=message)
        if event.get("phase") == "import":
            self.failed_modules[module] = ended(Status.CRASHED, "import", module=module, message=message)
            return self.failed_modules[module]
        return ended(Status.CRASHED, "call", message=message)


@lru_cache(maxsize=None)
def probe_bwrap():
    """Whether bubblewrap can run the host here: ``(True, "")`` or ``(False, reason)``."""
    if shutil.which("bwrap") is None:
        return False, "bubblewrap (bwrap) is not installed: run `make setup` or `apt-get install bubblewrap`"
    with tempfile.TemporaryDirectory(prefix="autograder-probe-") as folder:
        folder = Path(folder)
        (folder / "pkg").mkdir()
        (folder / "pkg").chmod(0o755)
        session = Session(Limits(), "bubblewrap", folder / "pkg", folder / "grader")
        try:
            with session:
                session.start()
        except (OSError, SessionFailed) as error:
            return False, f"bubblewrap cannot run here ({error})"
    return True, ""


WARNING_NO_SANDBOX = ("Student code ran WITHOUT a sandbox, with resource limits only (and, for a grader run by root, "
                      "as a user of its own): it could read whatever that user may read (solutions/ unless only its "
                      "owner may read it, other submissions), the grader's environment and the network. Do not trust "
                      "these grades against cheating.")


def sandbox_status(require=None):
    """How submissions will be isolated: ``("bubblewrap", "")`` or ``("rlimits", warning)``.

    ``require``: True fails if bubblewrap cannot run, False never uses it, None uses it when it works.
    Set the environment variable ``AUTOGRADER_SANDBOX=rlimits`` to force the fallback.
    """
    if require is None and os.environ.get("AUTOGRADER_SANDBOX") == "rlimits":
        require = False
    if require is False:
        return "rlimits", f"WARNING: bubblewrap was not used. {WARNING_NO_SANDBOX}"
    ok, reason = probe_bwrap()
    if ok:
        return "bubblewrap", ""
    if require:
        raise RuntimeError(reason)
    return "rlimits", f"WARNING: {reason}. {WARNING_NO_SANDBOX}"
