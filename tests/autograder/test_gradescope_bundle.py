"""``python -m autograder gradescope``: the bundle holds what Gradescope needs and what a run reads, nothing else."""

import stat
import zipfile

from autograder import course
from autograder.__main__ import main
from autograder.gradescope import run


def entries(bundle):
    with zipfile.ZipFile(bundle) as archive:
        return {info.filename: info.external_attr >> 16 for info in archive.infolist()}


def test_the_bundle_has_gradescopes_two_scripts_at_its_root_and_the_grader_beside_them(tmp_path, capsys):
    assert main(["gradescope", "--out", str(tmp_path / "autograder.zip")]) == 0
    assert capsys.readouterr().out.startswith(f"wrote {tmp_path / 'autograder.zip'} (")
    names = entries(tmp_path / "autograder.zip")
    assert names["setup.sh"] & stat.S_IXUSR and names["run_autograder"] & stat.S_IXUSR
    assert {"requirements.txt", "gradescope.json", "autograder/points.toml", "autograder/gradescope/run.py",
            f"solutions/{course.ASSIGNMENT}/{course.PACKAGE}/losses.py",
            f"solutions/{course.ASSIGNMENT}/01_loss_functions.ipynb"} <= set(names)
    assert not [name for name in names if name.startswith(("tests/", "assignments/", "autograder/deploy/", "bench/"))
                or "__pycache__" in name]
    assert "secret" not in names
    with zipfile.ZipFile(tmp_path / "autograder.zip") as archive:
        assert archive.read("requirements.txt").decode().startswith("numpy==")


def test_a_secret_is_embedded_only_when_asked_and_only_if_there_is_one(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("AUTOGRADER_SECRET", raising=False)
    assert main(["gradescope", "--out", str(tmp_path / "a.zip"), "--embed-secret"]) == 2
    assert "--embed-secret puts $AUTOGRADER_SECRET into the bundle, and it is not set" in capsys.readouterr().err
    assert not (tmp_path / "a.zip").exists()
    monkeypatch.setenv("AUTOGRADER_SECRET", "the course secret")
    assert main(["gradescope", "--out", str(tmp_path / "a.zip"), "--embed-secret"]) == 0
    assert entries(tmp_path / "a.zip")["secret"] & 0o777 == 0o600


def test_gradescopes_environment_secret_wins_over_the_bundles(tmp_path, monkeypatch):
    (tmp_path / "secret").write_text("bundled\n")
    monkeypatch.delenv("AUTOGRADER_SECRET", raising=False)
    assert run.course_secret(tmp_path) == "bundled"
    monkeypatch.setenv("AUTOGRADER_SECRET", "from gradescope")
    assert run.course_secret(tmp_path) is None  # None: the grader reads $AUTOGRADER_SECRET itself


def test_the_submitter_is_gradescopes_user_id_and_a_group_is_all_of_them(tmp_path):
    metadata = tmp_path / "submission_metadata.json"
    metadata.write_text('{"users": [{"id": 7, "name": "Ana"}, {"id": 9, "name": "Bob"}]}')
    assert run.student_of(metadata) == ("7+9", "Ana, Bob")
    assert run.student_of(tmp_path / "missing.json") == (run.UNKNOWN_STUDENT, "")
