"""A throw-away single-node Slurm cluster on 127.0.0.1, for the test of the job array in ``autograder/deploy/``.

Everything lives in one temporary folder: a fresh MUNGE key and ``munged`` socket, ``slurm.conf``, the
controller's state, the node's spool and the daemons' logs. ``munged``, ``slurmctld`` and ``slurmd`` run in
the foreground as children of the test, on free ports, and are stopped (jobs first) and the folder removed
when the ``with`` block ends. Commands reach this cluster, and no other, through ``SLURM_CONF`` in
:attr:`SlurmCluster.env`. The node is this machine as ``slurmd -C`` describes it (CPUs, memory), so jobs get
what the machine really has. Debian's ``slurmctld``, ``slurmd``, ``slurm-client`` and ``munge`` packages
provide the programs (``make setup`` installs them); ``slurmd`` must run as root to start jobs as their users.
"""

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from support.ports import free_port

NODE = "node0"
PARTITION = "grading"
#: Where Debian puts the daemons, which a normal user's PATH may lack.
SBIN = ("/usr/sbin", "/sbin")
DAEMONS = ("munged", "slurmctld", "slurmd")
CLIENTS = ("sbatch", "scontrol", "sinfo", "squeue", "scancel")
#: Job states after which a job never runs again (``man squeue``, JOB STATE CODES).
FINISHED = {"BOOT_FAIL", "CANCELLED", "COMPLETED", "DEADLINE", "FAILED", "NODE_FAIL", "OUT_OF_MEMORY", "PREEMPTED",
            "TIMEOUT"}
STARTUP_SECONDS = 60
_FIELD = re.compile(r"(\w+)=(\S*)")


class SlurmUnavailable(RuntimeError):
    """The cluster cannot start on this machine; the message says why and what to install or change."""


def programs():
    """``{name: path}`` of the daemons and client commands, or SlurmUnavailable naming the missing ones."""
    search = os.pathsep.join([os.environ.get("PATH", ""), *SBIN])
    found = {name: shutil.which(name, path=search) for name in DAEMONS + CLIENTS}
    missing = [name for name, path in found.items() if path is None]
    if missing:
        raise SlurmUnavailable(f"{', '.join(missing)} not found: install Debian's slurmctld, slurmd, slurm-client "
                               "and munge packages (`make setup` does)")
    return found


def tail(path, lines=15):
    """The last lines of a log file, for an error message."""
    try:
        text = Path(path).read_text(errors="replace")
    except OSError:
        return "(no log)"
    return "\n".join(text.strip().splitlines()[-lines:])


class SlurmCluster:
    """munged, slurmctld and slurmd started in ``folder`` (see the module's docstring); use :func:`slurm_cluster`.

    Parameters
    ----------
    folder : Path
        An empty folder only root can enter, which the cluster owns until :meth:`stop`.
    """

    def __init__(self, folder):
        self.folder = Path(folder)
        self.programs = programs()
        self.processes = {}
        self.conf = self.folder / "slurm.conf"
        self.munge_socket = self.folder / "munge" / "munge.socket"
        self.env = {**os.environ, "SLURM_CONF": str(self.conf)}

    # -- starting and stopping ------------------------------------------------------------

    def start(self):
        """Start the three daemons and wait until the node takes jobs."""
        self._start_munge()
        self._write_conf()
        for name in ("state", "spool"):
            (self.folder / name).mkdir(mode=0o700)
        self._spawn("slurmctld", "-D", "-c", "-f", self.conf)
        self._spawn("slurmd", "-D", "-f", self.conf, "-N", NODE)
        self._wait_for(lambda: self._node_state() == "idle", "the node to register with the controller as idle")

    def stop(self):
        """Cancel every job, stop the daemons (slurmd, slurmctld, then munged)."""
        if "slurmctld" in self.processes and self.processes["slurmctld"].poll() is None:
            self.run("scancel", "--full", f"--partition={PARTITION}", check=False)
            with contextlib.suppress(SlurmUnavailable):
                self._wait_for(lambda: not self.run("squeue", "-h", "-o", "%i", check=False).stdout.strip(),
                               "the cancelled jobs to end", seconds=30)
        for name in reversed(list(self.processes)):
            process = self.processes[name]
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()

    def _spawn(self, name, *arguments):
        log = open(self.folder / f"{name}.out", "wb")
        with log:
            self.processes[name] = subprocess.Popen([self.programs[name], *map(str, arguments)], env=self.env,
                                                    stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                                    cwd=self.folder)

    def _start_munge(self):
        munge = self.folder / "munge"
        munge.mkdir(mode=0o700)
        key = munge / "munge.key"
        key.write_bytes(os.urandom(1024))
        key.chmod(0o400)
        # --force: munged refuses a socket folder under /tmp (writable by all) unless told.
        self._spawn("munged", "--foreground", "--force", f"--key-file={key}", f"--socket={self.munge_socket}",
                    f"--pid-file={munge / 'munged.pid'}", f"--log-file={munge / 'munged.log'}",
                    f"--seed-file={munge / 'munged.seed'}")
        self._wait_for(self.munge_socket.exists, "munged to open its socket")

    def _write_conf(self):
        hardware = subprocess.run([self.programs["slurmd"], "-C"], capture_output=True, text=True, env=self.env)
        node = dict(_FIELD.findall(hardware.stdout.splitlines()[0])) if hardware.returncode == 0 else {}
        if "CPUs" not in node or "RealMemory" not in node:
            raise SlurmUnavailable(f"`slurmd -C` did not describe this machine: {hardware.stdout}{hardware.stderr}")
        describe = " ".join(f"{key}={node[key]}" for key in ("CPUs", "Boards", "SocketsPerBoard", "CoresPerSocket",
                                                             "ThreadsPerCore", "RealMemory") if key in node)
        hostname = socket.gethostname().split(".")[0]
        folder = self.folder
        self.conf.write_text(f"""\
ClusterName=autograder-test
SlurmctldHost={hostname}(127.0.0.1)
SlurmctldPort={free_port()}
SlurmdPort={free_port()}
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket={self.munge_socket}
StateSaveLocation={folder / 'state'}
SlurmdSpoolDir={folder / 'spool'}
SlurmctldPidFile={folder / 'slurmctld.pid'}
SlurmdPidFile={folder / 'slurmd.pid'}
SlurmctldLogFile={folder / 'slurmctld.log'}
SlurmdLogFile={folder / 'slurmd.log'}
# No cgroups: the machine (or container) running the tests may not delegate them.
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
ReturnToService=2
# Finished jobs stay visible to scontrol for this long (no accounting database here).
MinJobAge=600
NodeName={NODE} NodeAddr=127.0.0.1 NodeHostname={hostname} {describe} State=UNKNOWN
PartitionName={PARTITION} Nodes={NODE} Default=YES MaxTime=INFINITE State=UP
""")

    def _node_state(self):
        completed = self.run("sinfo", "-h", "-n", NODE, "-o", "%T", check=False)
        return completed.stdout.strip() if completed.returncode == 0 else None

    def _wait_for(self, ready, what, seconds=STARTUP_SECONDS):
        deadline = time.monotonic() + seconds
        while not ready():
            for name, process in self.processes.items():
                if process.poll() is not None:
                    raise SlurmUnavailable(f"{name} exited with status {process.returncode} while waiting for {what}:"
                                           f"\n{self._logs(name)}")
            if time.monotonic() > deadline:
                raise SlurmUnavailable(f"waited {seconds} s for {what}:\n"
                                       + "\n".join(self._logs(name) for name in self.processes))
            time.sleep(0.1)

    def _logs(self, name):
        logs = {"munged": self.folder / "munge" / "munged.log"}.get(name, self.folder / f"{name}.log")
        return f"--- {name}:\n{tail(self.folder / f'{name}.out')}\n{tail(logs)}"

    # -- using the cluster ------------------------------------------------------------------

    def run(self, *command, cwd=None, check=True):
        """Run a Slurm command (or any other) against this cluster; CompletedProcess with text output."""
        name, *arguments = command
        completed = subprocess.run([self.programs.get(name, name), *map(str, arguments)], cwd=cwd, env=self.env,
                                   capture_output=True, text=True)
        if check and completed.returncode != 0:
            raise AssertionError(f"{' '.join(map(str, command))} exited with {completed.returncode}:\n"
                                 f"{completed.stderr}{completed.stdout}")
        return completed

    def jobs(self, job_id):
        """``{task: fields}`` of ``scontrol show job`` for a job, one entry per array task (task None otherwise)."""
        shown = self.run("scontrol", "show", "job", "--oneliner", job_id).stdout
        records = [dict(_FIELD.findall(line)) for line in shown.splitlines() if line.strip()]
        return {int(record["ArrayTaskId"]) if record.get("ArrayTaskId", "").isdigit() else None: record
                for record in records}

    def wait(self, job_id, seconds):
        """Wait until every task of a job has finished; its ``{task: fields}``."""
        deadline = time.monotonic() + seconds
        while True:
            jobs = self.jobs(job_id)
            if jobs and all(job["JobState"] in FINISHED for job in jobs.values()):
                return jobs
            if time.monotonic() > deadline:
                states = ", ".join(f"{task}: {job['JobState']} ({job.get('Reason')})" for task, job in jobs.items())
                raise AssertionError(f"job {job_id} did not finish within {seconds} s: {states}\n"
                                     + "\n".join(self._logs(name) for name in ("slurmctld", "slurmd")))
            time.sleep(0.2)


@contextlib.contextmanager
def slurm_cluster():
    """A started :class:`SlurmCluster`; stopped and its folder removed afterwards.

    Raises SlurmUnavailable (before or while starting) when this machine cannot run it.
    """
    if os.geteuid() != 0:
        raise SlurmUnavailable("slurmd must run as root to start jobs as their users, and the tests are not root")
    programs()
    # Not under pytest's tmp folder: munged checks every folder above its key and socket.
    folder = Path(tempfile.mkdtemp(prefix="autograder-slurm-"))
    cluster = SlurmCluster(folder)
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()
        shutil.rmtree(folder, ignore_errors=True)
