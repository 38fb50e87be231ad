"""The sandbox's call process: it imports one student module and runs the calls the host sends it.

Standalone, beside :mod:`worker` in the sandbox's read-only ``/grader`` (with ``runners``, ``wire`` and ``status``). The
host forks it (:meth:`worker.Host.spawn`); everything here runs in the same process as student code, so
nothing here is trusted by the host: it only makes the honest case work well (a mistake in a model's train is
an error the student reads, what was printed reaches the log).
"""

import importlib
import os
import sys

import numpy as np

import runners
import status
import wire


def write_all(fd, data):
    """Write all of ``data`` to ``fd`` (a pipe takes a large write in parts)."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def views(region, layout):
    """The arrays a call's layout places in a shared region, as views of it."""
    return {name: np.frombuffer(region, dtype=np.dtype(dtype), count=int(np.prod(shape)),
                                offset=offset).reshape(shape)
            for name, (offset, shape, dtype) in layout.items()}



class _Channel:
    """The call process's side of its pipes to the host: blocking, one JSON line at a time."""

    def __init__(self, requests, events):
        self.requests, self.events = requests, events
        self.reader = wire.LineReader(2 ** 31)  # the host is trusted
        self.lines = []

    def send(self, **event):
        runners.restore_builtins()
        write_all(self.events, wire.dumps(event))

    def receive(self):
        while not self.lines:
            data = os.read(self.requests, 1 << 16)
            if not data:
                os._exit(0)  # the host is gone
            self.lines += self.reader.feed(data)
        return wire.loads(self.lines.pop(0), 2 ** 31)


class _ServiceClient:
    """What a model's loss calls in a call process: a request to the host, answered by the grader.

    It checks each request as the grader will (against ``inputs``, the call's :class:`runners.TrainInputs`,
    built before student code ran), so that a mistake in train is an error the student reads; a request
    sent around it is refused by the grader, and the host ends the call.
    """

    def __init__(self, channel, inputs):
        self.channel, self.inputs = channel, inputs

    def close(self):
        """Nothing to do here: the host and the grader answer only the call in progress."""

    def loss(self, W, X_batch, y_batch, reg):
        request = runners.encode_request(*runners.check_loss_request(W, X_batch, y_batch, reg, self.inputs))
        self.channel.send(event="service", request=request)
        outputs = wire.decode(self.channel.receive()["outputs"])
        return outputs["loss"], outputs["dW"]


def ended_children():
    """``(pid, wait status)`` of each child of this process that has ended, without waiting for the others."""
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        yield pid, status


def _flush(streams):
    """Write what student code printed and did not flush: the streams the process started with, and the
    ones student code put in their place (which may be anything)."""
    for stream in {id(stream): stream for stream in (*streams, sys.stdout, sys.stderr)}.values():
        try:
            stream.flush()
        except BaseException:  # noqa: BLE001 (a closed stream, or a replacement of student code's)
            pass


def child_main(package, module_name, package_parent, region, requests, events):  # pragma: no cover
    """Import the student's module, then run each call the host sends, until the host goes away."""
    runners.SANDBOXED = True
    sys.path.insert(0, package_parent)
    sys.dont_write_bytecode = True
    package_root = os.path.join(package_parent, package)
    channel = _Channel(requests, events)
    # The host kills this process when it is done with it: what was printed must be written by then. Each
    # line is written as it is printed, and the rest before each report (the host forwards it first).
    output = (sys.stdout, sys.stderr)
    for stream in output:
        try:
            stream.reconfigure(line_buffering=True)
        except (AttributeError, ValueError, OSError):
            pass
    try:
        importlib.import_module(package)
        module = importlib.import_module(f"{package}.{module_name}")
    except BaseException as error:  # noqa: BLE001 (student code may raise anything at import)
        runners.restore_builtins()
        _flush(output)
        channel.send(event="import_failed", error=runners.describe_exception(error, package_root))
        return
    _flush(output)
    channel.send(event="imported")
    while True:
        request = channel.receive()
        # Reap the children the host killed after the previous call (every child is dead when a call begins).
        for _ in ended_children():
            pass
        args = wire.decode(request["args"])
        args.update(views(region, request["layout"]))
        runner = runners.RUNNERS[request["runner"]]
        frozen = views(memoryview(region).toreadonly(), {name: place for name, place in request["layout"].items()
                                                         if name in runner.read_only_inputs})
        target = getattr(module, request["target"], None)
        if target is None:
            result = {"error": {"type": "AttributeError", "kind": "missing", "where": None,
                                "message": status.sentence(status.Status.MISSING, "function", package=package,
                                                           module=module_name, target=request["target"])}}
        else:
            # What train may ask is read from its inputs now, before student code can change them.
            services = _ServiceClient(channel, runners.train_inputs(args)) if runner.service_records else None
            result = runners.run_call(request, target, package_root, services, args=args, observe_inputs=False,
                                      frozen=frozen)
        _flush(output)
        channel.send(event="result", **result)
