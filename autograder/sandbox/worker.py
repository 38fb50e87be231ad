"""The sandbox's host: the one process in the sandbox that judges nothing and runs no student code.

Standalone (standard library, numpy, :mod:`call_process` beside it and the three modules of ``autograder/calls``,
read from a read-only ``/grader`` inside the sandbox). It ignores every signal that can be ignored
(:func:`ignore_signals`; its call processes get the usual ones back). Under bubblewrap it is the sandbox's
pid 1 (``--as-pid-1``): the kernel delivers to it, from processes inside, only the signals it handles, which
are none, and never SIGKILL or SIGSTOP, so no process inside can end or stop it. Without bubblewrap it is not
pid 1, and a process of its uid can still SIGKILL or SIGSTOP it (the grader then restarts the sandbox). It
makes itself non-dumpable, so no process inside can read its memory or environment through ``/proc`` or
ptrace, although they share its uid. A call process that closes its pipes to the host ends its own call
(``protocol``), never the host.

The grader sends it one call at a time; it never holds a student's other inputs. For each module it
forks a *call process* that imports the student's module and runs that module's calls. Before the
fork it maps a region of memory shared with that process only; each call's observed inputs
(:attr:`runners.Runner.observed_inputs`) are placed there, and after the call the host reads them back
itself: what student code did to its inputs is seen, not reported. Everything a call process sends
is untrusted: its size is bounded by the call's expected results before it is parsed, and anything
out of protocol ends that call with status ``protocol``. Deadlines are fixed when a call starts.
After every call, every process but the host and its call processes is killed.

Protocol. Grader to host (``REQUESTS_FD``), one JSON line each::

    {"op": "start", "package": ..., "limits": {...}, "run_as": UID or null}
    {"op": "call", "call": {"key", "module", "target", "runner", "seed", "args"}}
    {"op": "reply", "reply": {"outputs": ...} | {"refused": MESSAGE}}    (to a service request)
    {"op": "end"}

Host to grader (``EVENTS_FD``)::

    {"event": "ready"}
    {"event": "service", "call": KEY, "request": {...}}                   (a model's loss, see LossService)
    {"event": "result", "call": KEY, "status": STATUS, "result": {...}, "message": TEXT, "output_bytes": N,
     "import_seconds": S}

where STATUS is one of :data:`status.HOST`: ``ok`` (``result`` holds ``outputs`` or the student's ``error``),
``import_error``, ``timeout`` (with ``"phase": "import" | "call"``), ``crashed`` (with ``"cause": "flood"`` when
the call's processes printed more than ``output_limit``) or ``protocol`` (with ``"service": true`` when the loss
service ended it). What call processes print goes to the host's standard output, the
first ``output_keep`` bytes of it: they write it line by line and flush the rest before each report, which the
host forwards before the report, since it kills them with SIGKILL.

A service request is relayed only during a call whose runner trains with the service (a model's ``train``);
one the grader refuses (out of what that call may ask, or of its bounds) ends the call with ``protocol``.
"""

import ctypes
import mmap
import os
import select
import signal
import sys
import time

import numpy as np

# They lie next to this file in the sandbox's /grader (and in the folder the grader runs it from).
import runners
import wire
from status import Status
from call_process import child_main, ended_children, views, write_all

#: Bytes of shared memory for one call's observed inputs.
REGION_BYTES = 16 * 2 ** 20
#: Seconds between two looks at the sandbox's memory while student code runs.
MEMORY_POLL = 0.05
#: Longest import or service message a call process may send (an error message, a minibatch).
SMALL_MESSAGE = 64 * 1024
#: A result may hold this many times the entries a correct one has (a wrong shape is diagnosed, not refused).
RESULT_SLACK = 4
MIN_RESULT_ENTRIES = 4096
_EXIT_SIGNALS = {
    signal.SIGKILL: "was killed (SIGKILL), e.g. by the system's out-of-memory killer",
    signal.SIGXCPU: "used up its CPU time limit",
    signal.SIGSEGV: "crashed with a segmentation fault",
    signal.SIGXFSZ: "tried to write a file larger than the limit",
    signal.SIGABRT: "aborted (SIGABRT)",
}


def ignore_signals():
    """Ignore every signal that can be ignored; the dispositions they had, to give a call process back.

    As the sandbox's pid 1 the host gets, from processes inside, only the signals it handles (Python handles
    SIGINT); ignoring all of them also holds where it is not pid 1. SIGKILL and SIGSTOP cannot be ignored, and
    SIGCHLD ignored would have the kernel collect the call processes before the host learns how they ended.
    """
    saved = {}
    for number in signal.valid_signals():
        if number in (signal.SIGKILL, signal.SIGSTOP, signal.SIGCHLD):
            continue
        try:
            saved[number] = signal.signal(number, signal.SIG_IGN)
        except (OSError, ValueError, RuntimeError):
            pass  # a signal the C library keeps for itself
    return saved


def _restore_signals(saved):
    for number, handler in saved.items():
        try:
            signal.signal(number, signal.SIG_DFL if handler is None else handler)
        except (OSError, ValueError, RuntimeError):
            pass


def describe_exit(status):
    """Why a call process ended, in words, from its wait status."""
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        try:
            return _EXIT_SIGNALS.get(signal.Signals(number)) or f"was killed by {signal.Signals(number).name}"
        except ValueError:
            return f"was killed by signal {number}"
    return f"ended with exit status {os.WEXITSTATUS(status)} (os._exit or a similar call?)"


def _set_limits(limits):
    import resource

    # Hard limits too: student code cannot raise them again.
    for name, value in (("RLIMIT_AS", limits.get("memory_bytes")), ("RLIMIT_CPU", limits.get("cpu_seconds")),
                        ("RLIMIT_FSIZE", limits.get("file_bytes")), ("RLIMIT_NPROC", limits.get("processes")),
                        ("RLIMIT_NOFILE", limits.get("open_files")), ("RLIMIT_CORE", 0)):
        if value is not None and hasattr(resource, name):
            resource.setrlimit(getattr(resource, name), (int(value), int(value)))


def _become(uid):
    """Switch from root to ``uid`` for good (a root grader's sandbox; see ``autograder.sandbox.isolation``)."""
    os.setgroups([])
    os.setgid(uid)
    os.setuid(uid)
    if os.getuid() != uid or os.geteuid() != uid:
        raise SystemExit(f"the sandbox host could not switch to uid {uid}")


def _first_for_the_oom_killer():
    """Should the machine run out of memory anyway, the kernel kills the sandbox's processes (which inherit
    this), not the grader's. Only privileged processes may lower it again."""
    try:
        with open("/proc/self/oom_score_adj", "w") as score:
            score.write("1000")
    except OSError:
        pass  # a /proc without it: the watch on the sandbox's memory still holds


def _make_undumpable():
    """Processes of the same uid may no longer read this one's memory, environment or descriptors."""
    PR_SET_DUMPABLE = 4
    if ctypes.CDLL(None, use_errno=True).prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0:
        raise SystemExit("the sandbox host could not make itself non-dumpable")


class CallProcess:
    """A forked process that imported one student module and runs its calls."""

    def __init__(self, pid, region, requests, events, output, module):
        self.pid, self.region, self.module = pid, region, module
        self.requests, self.events, self.output = requests, events, output
        self.reader = wire.LineReader(SMALL_MESSAGE)
        self.lines = []
        self.output_open = True
        self.imported = False
        self.exit_status = None

    def close(self):
        for fd in (self.requests, self.events, self.output):
            try:
                os.close(fd)
            except OSError:
                pass
        self.region.close()


def resident_bytes(pid):
    """Bytes of memory process ``pid`` holds (its resident set); 0 once it has ended."""
    try:
        with open(f"/proc/{pid}/statm", "rb") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


class CallEnded(Exception):
    """A call ended other than with a result: its status and the fields of its result event.

    The message is the host's part of the student's sentence; the grader's session builds the sentence.
    """

    def __init__(self, status, message, **extra):
        super().__init__(message)
        self.status, self.message, self.extra = status, message, extra


class Host:
    """Runs the grader's calls in call processes and reports what happened, one call at a time."""

    def __init__(self, requests_fd, events_fd, package_parent, signals=None):
        self.requests_fd, self.events_fd, self.package_parent = requests_fd, events_fd, package_parent
        #: The signal dispositions a call process gets back (the host ignores every signal it can).
        self.signals = signals or {}
        self.requests = wire.LineReader(2 ** 31)  # the grader is trusted
        self.pending = []
        self.processes = {}
        self.output_bytes = 0
        self.memory_checked = 0.0
        self.import_seconds = 0.0
        self.is_init = os.getpid() == 1

    # -- the grader's side --------------------------------------------------------------

    def send(self, **event):
        write_all(self.events_fd, wire.dumps(event))

    def receive(self, timeout=None):
        """The grader's next request, or None when ``timeout`` seconds passed first."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while not self.pending:
            wait = None if deadline is None else max(0.0, deadline - time.monotonic())
            if not select.select([self.requests_fd], [], [], wait)[0]:
                return None
            data = os.read(self.requests_fd, 1 << 16)
            if not data:
                raise SystemExit(0)  # the grader is gone
            self.pending += [wire.loads(line, 2 ** 31) for line in self.requests.feed(data)]
        return self.pending.pop(0)

    def serve(self):
        start = self.receive()
        self.package = start["package"]
        self.limits = start["limits"]
        _first_for_the_oom_killer()
        if start.get("run_as") is not None:
            _become(int(start["run_as"]))
        _set_limits(self.limits)
        _make_undumpable()
        self.send(event="ready")
        while True:
            request = self.receive()
            if request["op"] == "end":
                break
            if request["op"] == "call":
                self.import_seconds = 0.0
                outcome = self.run(request["call"])
                self.send(event="result", call=request["call"]["key"], output_bytes=self.output_bytes,
                          import_seconds=self.import_seconds, **outcome)
        self.stop_all()

    # -- call processes -----------------------------------------------------------------

    def spawn(self, module):
        """Fork a call process that imports ``module``; it reports ``imported`` or ``import_failed``."""
        region = mmap.mmap(-1, REGION_BYTES)
        child_reads, host_writes = os.pipe()
        host_reads, child_writes = os.pipe()
        output_read, output_write = os.pipe()
        try:
            pid = os.fork()
        except OSError:
            # The student's processes used up the process limit (zombies count too): start from a clean slate.
            self.stop_all()
            try:
                pid = os.fork()
            except OSError as error:
                for fd in (child_reads, host_writes, host_reads, child_writes, output_read, output_write):
                    os.close(fd)
                region.close()
                raise CallEnded(Status.CRASHED, f"could not be started ({error.strerror}): the submission's processes "
                                                "use up the process limit", phase="import") from None
        if pid == 0:  # pragma: no cover (runs in the child)
            try:
                for other in self.processes.values():
                    other.region.close()
                os.dup2(output_write, 1)
                os.dup2(output_write, 2)
                keep = {0, 1, 2, child_reads, child_writes}
                for fd in range(3, 256):
                    if fd not in keep:
                        try:
                            os.close(fd)
                        except OSError:
                            pass
                os.setpgid(0, 0)
                _restore_signals(self.signals)
                child_main(self.package, module, self.package_parent, region, child_reads, child_writes)
            finally:
                os._exit(0)
        for fd in (child_reads, child_writes, output_write):
            os.close(fd)
        process = CallProcess(pid, region, host_writes, host_reads, output_read, module)
        self.processes[module] = process
        return process

    def stop(self, process):
        """Kill a call process and whatever it started; forget it."""
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except OSError:
            pass
        try:
            os.kill(process.pid, signal.SIGKILL)
        except OSError:
            pass
        self.reap(block_for=process)
        process.close()
        self.processes.pop(process.module, None)

    def stop_all(self):
        for process in list(self.processes.values()):
            self.stop(process)

    def reap(self, block_for=None):
        """Collect ended processes (orphans become the host's children); record a call process's status."""
        by_pid = {p.pid: p for p in self.processes.values()}
        if block_for is not None and block_for.exit_status is None:
            try:
                _, status = os.waitpid(block_for.pid, 0)
                block_for.exit_status = status
            except ChildProcessError:
                pass
        for pid, status in ended_children():
            if pid in by_pid:
                by_pid[pid].exit_status = status

    def sweep(self):
        """Kill every process but the host and its call processes (only as the sandbox's pid 1).

        The call processes are kept, so a module that starts processes at import is imported once, not
        once per call. Their killed children stay zombies (which count against the process limit) until
        the call process collects them when its next call begins; if they fill the limit first, the next
        spawn stops every call process and starts again.
        """
        if not self.is_init:
            return
        keep = {1} | {p.pid for p in self.processes.values()}
        for name in os.listdir("/proc"):
            if name.isdigit() and int(name) not in keep:
                try:
                    os.kill(int(name), signal.SIGKILL)
                except OSError:
                    pass
        self.reap()

    # -- one call -------------------------------------------------------------------

    def run(self, call):
        """Run one call; return the fields of its result event."""
        process = self.processes.get(call["module"])
        try:
            if process is None:
                process = self.spawn(call["module"])
            if not process.imported:
                self.wait_for_import(process)
            return self.run_in(process, call)
        except CallEnded as outcome:
            if process is not None:
                self.stop(process)
            return {"status": outcome.status, "message": outcome.message, **outcome.extra}
        finally:
            self.sweep()

    def wait_for_import(self, process):
        started = time.monotonic()
        timeout = float(self.limits["import_timeout"])
        message = self.next_message(process, started + timeout, "import", SMALL_MESSAGE)
        if message.get("event") == "imported":
            process.imported = True
            self.import_seconds = time.monotonic() - started
            return
        if message.get("event") == "import_failed":
            raise CallEnded(Status.IMPORT_ERROR, "", error=_clean_error(message.get("error")))
        raise CallEnded(Status.PROTOCOL, "sent something else than its import's outcome")

    def run_in(self, process, call):
        args = wire.decode(call["args"])
        runner = runners.RUNNERS[call["runner"]]
        # The largest request for the loss this call may send (none: its runner trains with no service).
        service_entries = runners.train_inputs(args).request_entries() if runner.service_records else 0
        observed = runner.observed_inputs
        layout, offset = {}, 0
        for name in observed:
            array = np.ascontiguousarray(args.pop(name))
            if offset + array.nbytes > REGION_BYTES:
                raise SystemExit("a call's inputs do not fit the shared region (a grader bug)")
            process.region[offset:offset + array.nbytes] = array.tobytes()
            layout[name] = [offset, list(array.shape), array.dtype.str]
            offset += array.nbytes
        entries = max(RESULT_SLACK * runner.expected_entries({**args, **views(process.region, layout)}),
                      MIN_RESULT_ENTRIES)
        self.tell(process, {"op": "call", "key": call["key"], "target": call["target"], "runner": call["runner"],
                            "seed": call["seed"], "args": wire.encode(args), "layout": layout})
        deadline = time.monotonic() + float(self.limits["timeout"])
        # 8 bytes an entry, in base64, plus the message around them
        max_bytes = max(entries, service_entries) * 11 + SMALL_MESSAGE
        while True:
            message = self.next_message(process, deadline, "call", max_bytes)
            if message.get("event") == "service":
                self.relay_service(process, call, message)
            elif message.get("event") == "result":
                self.drain_output(process)
                return {"status": Status.OK, "result": self.check_result(call["runner"], message, process, layout,
                                                                       entries)}
            else:
                raise CallEnded(Status.PROTOCOL, "sent a message that is not part of the protocol")

    def relay_service(self, process, call, message):
        """Have the grader answer a model's request for the loss; CallEnded ``protocol`` when it refuses.

        Only a call whose runner trains with the service may ask, and only while it runs (a request that
        arrives during any other call, e.g. from a thread an earlier call left behind, ends that call).
        """
        if not runners.RUNNERS[call["runner"]].service_records:
            raise CallEnded(Status.PROTOCOL, "the loss was asked for outside a model's train (it is served to train "
                                      "only, while it runs)", service=True)
        request = message.get("request")
        try:
            if not isinstance(request, dict):
                raise wire.ProtocolError("not a JSON object")
            # Relayed as parsed here: the grader parses it again, further down its stack (student code can raise
            # its own recursion limit to build JSON nested just deep enough for that).
            wire.check_nesting(request)
        except wire.ProtocolError as error:
            raise CallEnded(Status.PROTOCOL, f"train sent a malformed request for the loss ({error})",
                            service=True) from None
        self.send(event="service", call=call["key"], request=request)
        reply = self.receive(timeout=60.0)
        if reply is None or reply.get("op") != "reply" or not isinstance(reply.get("reply"), dict):
            raise SystemExit("the grader did not answer a service request")
        if "refused" in reply["reply"]:
            raise CallEnded(Status.PROTOCOL, str(reply["reply"]["refused"]), service=True)
        self.tell(process, {"op": "reply", **reply["reply"]})

    def tell(self, process, message):
        """Send ``message`` to a call process; CallEnded ``protocol`` when it closed its end of the pipe."""
        try:
            write_all(process.requests, wire.dumps(message))
        except OSError as error:
            raise CallEnded(Status.PROTOCOL, f"closed the pipe the sandbox's host sends it calls on "
                                      f"({error.strerror or error})") from None

    def check_result(self, runner, message, process, layout, entries):
        """The call's result as the grader may trust it: bounded, of the documented form, inputs observed here."""
        if "error" in message:
            return {"error": _clean_error(message["error"])}
        try:
            outputs = wire.decode(message.get("outputs"), max_entries=entries)
        except wire.ProtocolError as error:
            raise CallEnded(Status.PROTOCOL, f"sent a malformed result ({error})") from None
        schema = runners.RUNNERS[runner].reported_outputs
        if not isinstance(outputs, dict) or set(outputs) != set(schema):
            raise CallEnded(Status.PROTOCOL, "sent an incomplete result")
        for name, kind in schema.items():
            value = outputs[name]
            if (kind == "bool" and not isinstance(value, bool)) or (
                    kind == "array" and not isinstance(value, np.ndarray)):
                raise CallEnded(Status.PROTOCOL, "sent a result of the wrong form")
        outputs.update({name: view.copy() for name, view in views(process.region, layout).items()})
        return {"outputs": wire.encode(outputs)}

    def next_message(self, process, deadline, phase, max_bytes):
        """The call process's next message, while forwarding what it prints; CallEnded when it fails first."""
        process.reader.max_bytes = max_bytes
        while not process.lines:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                seconds = self.limits["import_timeout" if phase == "import" else "timeout"]
                # What it held says whether the time went into touching memory (page faults on a busy
                # machine) rather than into a loop: the student's message names it then.
                raise CallEnded(Status.TIMEOUT, "", phase=phase, seconds=seconds,
                                resident_bytes=resident_bytes(process.pid))
            watched = [process.events] + ([process.output] if process.output_open else [])
            readable = select.select(watched, [], [], min(remaining, MEMORY_POLL) if self.is_init else remaining)[0]
            self.check_memory(phase)
            if process.output in readable:
                self.forward_output(process)
            if process.events in readable:
                data = os.read(process.events, 1 << 16)
                if not data:
                    raise self.lost_channel(process, phase)
                try:
                    process.lines += process.reader.feed(data)
                except wire.ProtocolError as error:
                    raise CallEnded(Status.PROTOCOL, f"sent an oversized message ({error})") from None
        try:
            return wire.loads(process.lines.pop(0), max_bytes)
        except wire.ProtocolError as error:
            raise CallEnded(Status.PROTOCOL, f"sent malformed data ({error})") from None

    def lost_channel(self, process, phase):
        """The CallEnded of a call process whose pipe to the host was closed: it ended, or it closed the pipe
        itself and lives on (the host stops it then; it is never waited for)."""
        until = time.monotonic() + 2 * MEMORY_POLL
        while process.exit_status is None and time.monotonic() < until:
            self.reap()
            time.sleep(0.005)
        if process.exit_status is None:
            return CallEnded(Status.PROTOCOL, "closed the pipe it sends its results on", phase=phase)
        return CallEnded(Status.CRASHED, describe_exit(process.exit_status), phase=phase)

    def check_memory(self, phase):
        """CallEnded ``crashed`` when the sandbox's processes together hold more memory than its limit.

        Only as the sandbox's pid 1, whose /proc lists the sandbox's processes and nothing else. What a
        process holds is its resident set (pages shared between processes count once for each of them).
        """
        if not self.is_init or time.monotonic() - self.memory_checked < MEMORY_POLL:
            return
        self.memory_checked = time.monotonic()
        limit = int(self.limits["sandbox_memory_bytes"])
        total = sum(resident_bytes(name) for name in os.listdir("/proc") if name.isdigit())
        if total > limit:
            raise CallEnded(Status.CRASHED, f"used more than {limit // 2 ** 20} MB of memory together with the "
                                            "processes it started (the limit of the whole sandbox)", phase=phase)

    def drain_output(self, process):
        """Forward what the call process printed before it reported (it flushed its streams first); a thread
        that keeps printing is not waited for."""
        until = time.monotonic() + MEMORY_POLL
        while process.output_open and time.monotonic() < until and select.select([process.output], [], [], 0)[0]:
            self.forward_output(process)

    def forward_output(self, process):
        data = os.read(process.output, 1 << 16)
        if not data:
            process.output_open = False
            return
        keep = max(0, int(self.limits["output_keep"]) - self.output_bytes)
        if keep:
            write_all(1, data[:keep])
        self.output_bytes += len(data)
        if self.output_bytes > int(self.limits["output_limit"]):
            raise CallEnded(Status.CRASHED, "", cause="flood")


def _clean_error(error):
    """A call's error report reduced to short strings (its fields come from student code)."""
    if not isinstance(error, dict):
        error = {}

    def text(key, limit):
        value = error.get(key)
        return value[:limit] if isinstance(value, str) else None

    return {"type": text("type", 100) or "Error", "kind": text("kind", 30) or "error",
            "message": text("message", runners.MESSAGE_LIMIT + 3) or "", "where": text("where", 200)}


if __name__ == "__main__":
    Host(int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], signals=ignore_signals()).serve()
