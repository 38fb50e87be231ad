"""The folders opened for the normal user's tests stay open while another test session still runs.

Two pytest sessions on one machine (two checkouts, or a session beside a helper's) share one grants file; the first
to end used to close ``/root`` while the other's normal-user grader was still importing from it.
"""

import json
import os
import subprocess
import sys

import pytest

from support import users


@pytest.fixture
def grants_file(tmp_path, monkeypatch):
    monkeypatch.setattr(users, "GRANTS", tmp_path / "grants.json")
    monkeypatch.setenv(users.SESSION_VARIABLE, str(os.getpid()))
    return tmp_path / "grants.json"


@pytest.fixture
def other_session():
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    yield process.pid
    process.kill()
    process.wait()


def _granted(tmp_path, grants_file, sessions):
    closed = tmp_path / "closed"
    closed.mkdir(mode=0o700)
    closed.chmod(0o700)
    grants_file.write_text(json.dumps({str(closed): 0o700, "__sessions__": sessions, "__remove__": {}}))
    closed.chmod(0o701)
    return closed


def test_the_first_session_to_end_leaves_the_folders_open_for_a_session_still_running(
        tmp_path, grants_file, other_session):
    folder = _granted(tmp_path, grants_file, [os.getpid(), other_session])
    mine, theirs = users.shared_folder("mine"), users.shared_folder("theirs")
    grants = json.loads(grants_file.read_text())
    grants["__remove__"][str(theirs)] = other_session  # made by a worker of the other session
    grants_file.write_text(json.dumps(grants))

    users.restore_traversal()

    assert folder.stat().st_mode & 0o777 == 0o701
    assert not mine.exists() and theirs.exists()
    assert json.loads(grants_file.read_text())["__sessions__"] == [other_session]
    theirs.rmdir()


def test_the_last_session_to_end_closes_the_folders_and_forgets_sessions_that_died(tmp_path, grants_file):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    folder = _granted(tmp_path, grants_file, [os.getpid(), dead.pid])

    users.restore_traversal()

    assert folder.stat().st_mode & 0o777 == 0o700
    assert not grants_file.exists()
