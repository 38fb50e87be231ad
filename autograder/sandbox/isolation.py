"""What a sandbox can see and who it runs as: the bubblewrap command, sandbox uids, and the fallback.

With bubblewrap a sandbox sees a read-only system (``/usr`` and the Python installation), the scratch
copy of its one submission at ``/submission`` (read-only), the grader's host and runners at
``/grader``, an empty ``/tmp`` of limited size, a hostname of its own, and no network, no other process
and no other file: not ``solutions/``, not ``autograder/``, not other students, not the output folder.
The host is the sandbox's pid 1 (``--as-pid-1``): when it ends, the kernel ends every process the
student started. bubblewrap itself is started with an environment of :data:`ENVIRONMENT` only, so no
process holds the grader's environment (its secret, a database password) anywhere in the sandbox.

Linux does not count processes against the limit for root. A grader started by a normal user runs the
sandbox in a user namespace as that user, so the limit holds. A grader running as root (a container,
CI) gets the same protection another way: bubblewrap sets the sandbox up as root, keeps only the
capability to change user, and the host switches to a uid of its own (:func:`sandbox_uid`) before any
student code runs. Uids are reserved with a lock file per uid, so sandboxes of different graders on
one machine (two shards on one node) never share a uid, nor therefore a process count.
"""

import fcntl
import os
import shutil
import stat
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path

from .. import course

#: The files that run inside the sandbox, and the folder they are bound to there.
HOST_FILES = (Path(__file__).resolve().parent / "worker.py", Path(__file__).resolve().parent / "call_process.py",
              Path(__file__).resolve().parent.parent / "calls" / "runners.py",
              Path(__file__).resolve().parent.parent / "calls" / "wire.py",
              Path(__file__).resolve().parent.parent / "calls" / "status.py")
GRADER_MOUNT = "/grader"
SUBMISSION_MOUNT = "/submission"
HOSTNAME = "sandbox"
#: The whole environment of the sandbox (and of bubblewrap itself): single-threaded numerics, as parallel
#: sandboxes share the cores.
ENVIRONMENT = {
    "PATH": "/usr/bin:/bin", "HOME": "/tmp", "LANG": "C.UTF-8", "PYTHONHASHSEED": "0",
    "PYTHONIOENCODING": "utf-8", "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
    "MPLBACKEND": "Agg",
}
#: Unused uids a root grader runs sandboxes as, one per sandbox running on this machine.
SANDBOX_UIDS = range(61000, 61000 + 1000)
#: Where the lock files that reserve those uids live (shared by every grader on the machine).
UID_LOCKS = Path(tempfile.gettempdir()) / "autograder-sandbox-uids"


#: Where a virtual environment of the grader's appears inside the sandbox (a neutral path, not the host's).
VENV_MOUNT = "/opt/venv"


def python_mounts():
    """``[(host folder, folder in the sandbox)]`` the sandboxed Python needs, read-only.

    A virtual environment appears at :data:`VENV_MOUNT`, so that nothing inside (``/proc/1/cmdline``,
    ``sys.prefix``) names the grader's folders; the base installation, which the environment's interpreter
    links to by its absolute path, stays where it is.
    """
    import numpy

    venv = Path(sys.prefix).resolve() if sys.prefix != sys.base_prefix else None
    wanted = {sys.base_prefix, os.path.dirname(os.path.dirname(numpy.__file__)),
              os.path.dirname(os.path.realpath(sys.executable))}
    folders = []
    for folder in sorted(Path(p).resolve() for p in wanted):
        if venv is not None and (folder == venv or venv in folder.parents):
            continue
        if any(folder == m or m in folder.parents for m in folders):
            continue
        folders = [m for m in folders if folder not in m.parents] + [folder]
    forbidden = course.COURSE_ROOT.resolve()
    for folder in folders + ([venv] if venv else []):
        if folder == forbidden or folder in forbidden.parents:
            raise RuntimeError(f"The Python installation {folder} contains the course folder {forbidden}: "
                               "the sandbox would expose solutions/. Use a virtual environment outside the "
                               "course, or at .venv inside it.")
    return [(str(m), str(m)) for m in folders] + ([(str(venv), VENV_MOUNT)] if venv else [])


def sandbox_python():
    """This interpreter, by its path inside the sandbox.

    In a virtual environment, the environment's own ``bin/`` under :data:`VENV_MOUNT` (the interpreter there
    is a link whose location tells Python which environment it belongs to); otherwise the interpreter's
    real folder (the sandbox binds real paths: one reached through a symbolic link would not be found).
    """
    name = os.path.basename(sys.executable)
    if sys.prefix != sys.base_prefix:
        return f"{VENV_MOUNT}/bin/{name}"
    return os.path.join(os.path.realpath(os.path.dirname(sys.executable)), name)


@contextmanager
def sandbox_uid():
    """A uid of :data:`SANDBOX_UIDS` that no other sandbox on this machine has, or None when not root.

    Each uid is reserved by an exclusive lock on its own file in :data:`UID_LOCKS`, held while the
    sandbox runs; the kernel drops the lock if the grader dies, so no uid is ever lost.
    """
    if os.geteuid() != 0:
        yield None
        return
    UID_LOCKS.mkdir(mode=0o700, exist_ok=True)
    for uid in SANDBOX_UIDS:
        handle = open(UID_LOCKS / str(uid), "a")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            continue
        try:
            yield uid
        finally:
            handle.close()
        return
    raise RuntimeError(f"more than {len(SANDBOX_UIDS)} sandboxes at once on this machine: lower --jobs")


def interpreter_reachable_by_others():
    """Whether a root grader's sandbox user could run this interpreter without bubblewrap's mounts.

    Every folder on the way to the interpreter, its environment and numpy must let others in, and the files
    read them: pyenv under ``/root`` (mode 0700) does not, Debian's and a venv beside it do.
    """
    if os.geteuid() != 0:
        return False
    for source, _ in python_mounts():
        for folder in [Path(source), *Path(source).parents]:
            if not folder.stat().st_mode & stat.S_IXOTH:
                return False
    target = Path(os.path.realpath(sys.executable))
    return bool(target.stat().st_mode & stat.S_IXOTH)


def open_for_traversal(*paths):
    """Let other users traverse the grader's own temporary folders that lead to ``paths`` (not read them)."""
    temporary = Path(tempfile.gettempdir()).resolve()
    for path in paths:
        for folder in Path(path).resolve().parents:
            if folder == temporary or temporary not in folder.parents:
                break
            folder.chmod(stat.S_IMODE(folder.stat().st_mode) | stat.S_IXOTH)


def grader_folder(destination):
    """Copy the files that run in the sandbox into ``destination`` (bound read-only at /grader)."""
    destination = Path(destination)
    destination.mkdir(mode=0o755, exist_ok=True)
    for source in HOST_FILES:
        shutil.copyfile(source, destination / source.name)
        (destination / source.name).chmod(0o644)
    return destination


def bwrap_command(package_parent, grader_dir, limits, python=None, run_as=None):
    """The bubblewrap command line that runs the host on ``package_parent``; the host's fds are appended.

    ``run_as``: None for a grader that is not root (a user namespace maps it to uid 65534 inside); for a root
    grader, the uid the host switches to (the start message says which), the one capability it keeps for that.
    """
    if run_as is None:
        command = ["bwrap", "--unshare-all", "--unshare-user", "--die-with-parent", "--new-session", "--as-pid-1",
                   "--cap-drop", "ALL", "--uid", "65534", "--gid", "65534", "--disable-userns"]
    else:
        # No user namespace: in one, the sandbox's users all map to root outside, whom no process limit binds.
        command = ["bwrap", "--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts",
                   "--unshare-cgroup-try", "--die-with-parent", "--new-session", "--as-pid-1", "--cap-drop", "ALL",
                   "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]
    command += ["--hostname", HOSTNAME]
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
    for source, destination in python_mounts():
        if not destination.startswith(("/usr/", "/bin/", "/lib")):
            # bubblewrap would make the folders leading to a mount private (0700) to root; the host may
            # not be root, so make them traversable first.
            for parent in reversed(Path(destination).parents[:-1]):
                if str(parent) not in made and str(parent) != "/tmp":
                    command += ["--perms", "0755", "--dir", str(parent)]
                    made.add(str(parent))
            command += ["--ro-bind", source, destination]
    command += ["--ro-bind", str(package_parent), SUBMISSION_MOUNT, "--ro-bind", str(grader_dir), GRADER_MOUNT]
    # bubblewrap's own / and /dev are tmpfs without a size limit, writable by a user namespace's user: only the
    # sized /tmp may be written, or a submission could fill the machine's memory with files.
    command += ["--remount-ro", "/", "--remount-ro", "/dev", "--chdir", SUBMISSION_MOUNT, "--clearenv"]
    for name, value in ENVIRONMENT.items():
        command += ["--setenv", name, value]
    return command + ["--", python or sandbox_python(), "-s", "-B", f"{GRADER_MOUNT}/worker.py"]


def direct_command(grader_dir, python=sys.executable):
    """The command that runs the host with resource limits only (no bubblewrap); the host's fds are appended.

    A shell stands between the grader and the host, so that student code killing its parent process does
    not kill the grader.
    """
    return ["/bin/sh", "-c", '"$@"; exit $?', "sh", python, "-s", "-B", str(Path(grader_dir) / "worker.py")]


def start_message(package, limits, num_calls, run_as):
    """The host's first message: what to import and the limits it sets on itself before anything else."""
    return {"op": "start", "package": package, "limits": limits.for_host(num_calls), "run_as": run_as}

