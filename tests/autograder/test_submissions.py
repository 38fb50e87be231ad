"""Finding submissions, copying them without following links, and unpacking LMS zips safely."""

import os
import stat
import zipfile

import pytest

from autograder.grading import submissions
from support.submissions import make_submission


def test_the_copy_skips_links_bytecode_and_huge_files_and_says_so(tmp_path):
    folder = make_submission(tmp_path / "submitted", "alice")
    package = folder / "linear_classifier"
    (package / "gradients.py").unlink()
    (package / "gradients.py").symlink_to("/etc/hostname")
    (package / "__pycache__").mkdir(exist_ok=True)
    (package / "__pycache__" / "losses.cpython-311.pyc").write_bytes(b"forged bytecode")
    (package / "optim.pyc").write_bytes(b"forged bytecode")
    with open(package / "weights.npy", "wb") as handle:
        handle.truncate(submissions.MAX_FILE_BYTES + 1)
    notes = submissions.copy_package(folder, tmp_path / "scratch")
    copied = sorted(p.name for p in (tmp_path / "scratch" / "linear_classifier").iterdir())
    assert "gradients.py" not in copied and "__pycache__" not in copied and "optim.pyc" not in copied
    assert "weights.npy" not in copied and "losses.py" in copied
    assert any("gradients.py is a symbolic link (to /etc/hostname)" in note for note in notes)
    assert any("weights.npy" in note and "limit" in note for note in notes)
    assert submissions.module_problems(tmp_path / "scratch", notes) == {
        "gradients": next(note for note in notes if note.startswith("linear_classifier/gradients.py"))}


def test_students_are_the_folders_of_submitted_and_a_misplaced_package_is_found(tmp_path):
    submitted = tmp_path / "submitted"
    make_submission(submitted, "bob")
    inside = make_submission(tmp_path / "elsewhere", "carol")
    (submitted / "carol" / "Downloads").mkdir(parents=True)
    inside.rename(submitted / "carol" / "Downloads" / "my_work")
    (submitted / ".DS_Store").write_text("")
    (submitted / "dan").mkdir()
    found = {s.student_id: s for s in submissions.discover(submitted)}
    assert sorted(found) == ["bob", "carol", "dan"]
    assert found["carol"].folder.name == "my_work" and "graded carol/Downloads/my_work/" in found["carol"].notes[0]
    assert found["dan"].folder is None and "no loss_optimization/ folder" in found["dan"].notes[0]


def test_an_empty_submitted_folder_is_an_error_that_names_the_layout(tmp_path):
    with pytest.raises(submissions.SubmissionsError, match="<student_id>/loss_optimization/"):
        submissions.discover(tmp_path)


def test_lms_zips_unpack_safely_under_a_top_folder_and_with_one_zip_per_student(tmp_path):
    inner = tmp_path / "erin.zip"
    with zipfile.ZipFile(inner, "w") as archive:
        archive.writestr("loss_optimization/linear_classifier/losses.py", "x = 1\n")
    download = tmp_path / "download.zip"
    with zipfile.ZipFile(download, "w") as archive:
        archive.writestr("submitted/frank/loss_optimization/linear_classifier/losses.py", "y = 2\n")
        archive.writestr("submitted/../../escaped.txt", "outside")
        archive.writestr("/absolute.txt", "outside")
        link = zipfile.ZipInfo("submitted/frank/loss_optimization/link")
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(link, "/etc/passwd")
        archive.write(inner, "submitted/erin.zip")
    root = submissions.extract_zip(download, tmp_path / "unzipped")
    assert root.name == "submitted"
    assert sorted(s.student_id for s in submissions.discover(root)) == ["erin", "frank"]
    assert (root / "erin" / "loss_optimization" / "linear_classifier" / "losses.py").read_text() == "x = 1\n"
    assert not (root / "frank" / "loss_optimization" / "link").exists()
    assert not (tmp_path / "escaped.txt").exists() and not os.path.exists("/absolute.txt")


def test_a_file_that_is_not_a_zip_is_refused(tmp_path):
    bad = tmp_path / "bad.zip"
    bad.write_text("not a zip")
    with pytest.raises(submissions.SubmissionsError, match="not a readable zip"):
        submissions.extract_zip(bad, tmp_path / "unzipped")
