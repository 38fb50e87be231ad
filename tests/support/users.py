"""A normal user to run the grader as, for the tests of what a grader started by a normal user does.

CI runs as root, and a root grader isolates sandboxes differently (no user namespace, a uid of its own per
sandbox) from a normal user's grader (a user namespace). To test the second mode, a test run by root
creates the user :data:`NAME` and runs commands as it (:func:`as_user`). That user must reach this
interpreter and the files the command reads: folders on the way that others cannot traverse (``/root``
holds pyenv's Python) are opened for traversal only (``o+x``, never read), recorded in :data:`GRANTS`,
and closed again when the last test session using them ends (:func:`restore_traversal`, called by
``tests/conftest.py``: pytest sessions run side by side, in two checkouts say, share the grants, so the first to end
must not close folders the other still needs).
pytest keeps its temporary folders private, and closes them again whenever a test asks for one, so files
the user must read live in a folder of :func:`shared_folder` instead, removed at the same time.
"""

import fcntl
import json
import os
import pwd
import shutil
import stat
import subprocess
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path

NAME = "autograder-test"
#: Folders opened for traversal by this test session, with their original modes.
GRANTS = Path(tempfile.gettempdir()) / "autograder-test-traversal-grants.json"


@contextmanager
def _locked():
    with open(f"{GRANTS}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


@contextmanager
def _grants():
    """The grants as a dict, read under the lock and written back when the block ends (the file is removed once
    the dict is empty)."""
    with _locked():
        grants = json.loads(GRANTS.read_text()) if GRANTS.exists() else {}
        yield grants
        if grants:
            GRANTS.write_text(json.dumps(grants))
        else:
            GRANTS.unlink(missing_ok=True)


def ensure_user():
    """The uid and gid of :data:`NAME`, created (a system user without a home or a shell) when missing."""
    with _locked():
        try:
            entry = pwd.getpwnam(NAME)
        except KeyError:
            subprocess.run(["useradd", "--system", "--no-create-home", "--home-dir", "/nonexistent",
                            "--shell", "/usr/sbin/nologin", NAME], check=True, capture_output=True)
            entry = pwd.getpwnam(NAME)
    return entry.pw_uid, entry.pw_gid


def open_traversal(*paths):
    """Let others traverse every folder leading to ``paths`` (and this interpreter); remember what changed."""
    targets = [Path(sys.executable).resolve(), Path(sys.prefix).resolve(), *(Path(p).resolve() for p in paths)]
    with _grants() as grants:
        for target in targets:
            for folder in [target, *target.parents] if target.is_dir() else list(target.parents):
                mode = folder.stat().st_mode
                if not mode & stat.S_IXOTH:
                    grants.setdefault(str(folder), stat.S_IMODE(mode))
                    folder.chmod(stat.S_IMODE(mode) | stat.S_IXOTH)


def shared_folder(prefix):
    """A new folder others may traverse, outside pytest's private ones; removed when the session ends."""
    folder = Path(tempfile.mkdtemp(prefix=f"autograder-test-{prefix}-"))
    folder.chmod(0o711)
    with _grants() as grants:
        grants.setdefault("__remove__", {})[str(folder)] = _session()
    return folder


#: The environment variable naming the pytest session (its controlling process) that xdist's workers belong to.
SESSION_VARIABLE = "AUTOGRADER_TEST_SESSION"


def _session():
    return int(os.environ.get(SESSION_VARIABLE, os.getpid()))


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def register_session():
    """Record this pytest session as a user of the grants (its workers inherit its id)."""
    os.environ[SESSION_VARIABLE] = str(os.getpid())
    with _grants() as grants:
        grants.setdefault("__sessions__", []).append(os.getpid())


def restore_traversal():
    """Remove this session's :func:`shared_folder` folders; once no other session is running, close again every
    folder :func:`open_traversal` opened."""
    with _grants() as grants:
        session = _session()
        removals = grants.pop("__remove__", {})
        for folder, owner in list(removals.items()):
            if owner == session or not _alive(owner):
                shutil.rmtree(folder, ignore_errors=True)
                del removals[folder]
        others = [pid for pid in grants.pop("__sessions__", []) if pid != session and _alive(pid)]
        if others:
            grants.update({"__remove__": removals, "__sessions__": others})
            return
        for folder, mode in grants.items():
            try:
                os.chmod(folder, mode)
            except OSError:
                pass
        grants.clear()


def share(folder):
    """Let others read everything under ``folder`` (a test's own files; links are left alone)."""
    for root, folders, files in os.walk(folder):
        for name in folders:
            path = os.path.join(root, name)
            if not os.path.islink(path):
                os.chmod(path, stat.S_IMODE(os.lstat(path).st_mode) | 0o005)
        for name in files:
            path = os.path.join(root, name)
            if not os.path.islink(path):
                os.chmod(path, stat.S_IMODE(os.lstat(path).st_mode) | 0o004)


def user_home(uid, gid, parent):
    """A writable HOME for the user under ``parent`` (matplotlib and pip write their caches there)."""
    home = Path(parent) / f"home-{NAME}"
    home.mkdir(exist_ok=True)
    os.chown(home, uid, gid)
    return home


def as_user(command, uid, gid, home, env=None, **kwargs):
    """Run ``command`` as the user (``setpriv``, no supplementary groups); a CompletedProcess."""
    environment = dict(env if env is not None else os.environ)
    environment.update(HOME=str(home), USER=NAME, LOGNAME=NAME)
    return subprocess.run([shutil.which("setpriv"), f"--reuid={uid}", f"--regid={gid}", "--clear-groups", "--",
                           *map(str, command)], env=environment, **kwargs)
