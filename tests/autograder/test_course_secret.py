"""The course secret: created by ``python -m autograder secret``, refused when set but empty, warned about when absent."""

import os
import stat
import subprocess

import pytest

from autograder.seeds import SecretError, secret_warning
from support.submissions import PYTHON, REPO, make_submission


def autograder(*args, env_update=None, drop=("AUTOGRADER_SECRET",), home=None):
    env = {key: value for key, value in os.environ.items() if key not in drop}
    if home is not None:
        env["HOME"] = str(home)
    env.update(env_update or {})
    return subprocess.run([str(PYTHON), "-m", "autograder", *args], cwd=REPO, capture_output=True, text=True, env=env)


def test_the_secret_command_writes_a_random_secret_only_its_owner_can_read(tmp_path):
    created = autograder("secret", home=tmp_path)
    assert created.returncode == 0, created.stderr
    path = tmp_path / ".config" / "autograder" / "secret"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert len(path.read_text().strip()) >= 40
    assert 'export AUTOGRADER_SECRET="$(cat ~/.config/autograder/secret)"' in created.stdout


def test_the_secret_command_keeps_an_existing_secret(tmp_path):
    path = tmp_path / "secret"
    assert autograder("secret", "--path", str(path)).returncode == 0
    first = path.read_text()
    again = autograder("secret", "--path", str(path))
    assert again.returncode == 0 and "already exists and was kept" in again.stdout
    assert path.read_text() == first


def test_two_secrets_differ(tmp_path):
    for name in ("a", "b"):
        assert autograder("secret", "--path", str(tmp_path / name)).returncode == 0
    assert (tmp_path / "a").read_text() != (tmp_path / "b").read_text()


@pytest.mark.parametrize("value", ["", "  \n"])
def test_a_secret_set_but_empty_is_refused(value):
    with pytest.raises(SecretError, match="set but empty"):
        secret_warning({"AUTOGRADER_SECRET": value})


def test_a_set_secret_needs_no_warning():
    assert secret_warning({"AUTOGRADER_SECRET": "s3cret"}) is None


def test_grade_refuses_an_empty_secret_before_grading(tmp_path):
    make_submission(tmp_path / "submitted", "erin")
    completed = autograder("grade", str(tmp_path / "submitted"), "--out", str(tmp_path / "out"), "--quiet",
                           env_update={"AUTOGRADER_SECRET": ""})
    assert completed.returncode == 2
    assert completed.stderr.startswith("grading could not run: $AUTOGRADER_SECRET is set but empty")
    assert "python -m autograder secret" in completed.stderr
    assert not (tmp_path / "out").exists()


def test_grade_without_a_secret_says_so_on_stderr(tmp_path):
    make_submission(tmp_path / "submitted", "erin")
    completed = autograder("grade", str(tmp_path / "submitted"), "--out", str(tmp_path / "out"), "--quiet")
    assert completed.returncode == 0, completed.stderr
    assert completed.stderr.count("$AUTOGRADER_SECRET is not set") == 1
    assert "python -m autograder secret" in completed.stderr
