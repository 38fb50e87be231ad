"""Copying a submission's package without following links, and reading its notebooks safely."""

import pytest

from autograder.grading import submissions
from autograder.intake import read_batch
from autograder.intake.files import MAX_FILE_BYTES, MAX_SKIP_NOTES
from autograder.intake.locate import MAX_WALK_DEPTH
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
        handle.truncate(MAX_FILE_BYTES + 1)
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
    found = {s.student_id: s for s in read_batch(submitted, tmp_path / "work").submissions}
    assert sorted(found) == ["bob", "carol", "dan"]
    assert found["carol"].folder.name == "my_work"
    assert found["carol"].notes == ["Your assignment was found at carol/Downloads/my_work/ and graded there."]
    assert found["dan"].folder is None and found["dan"].notes[0].endswith("it holds no files.")


def test_a_notebook_found_outside_the_assignment_folder_is_read_where_it_is(tmp_path):
    folder = make_submission(tmp_path / "submitted", "erin")
    (folder / "02_gradients.ipynb").unlink()
    outside = tmp_path / "01_loss_functions.ipynb"
    outside.write_text('{"cells": [ broken')
    notes = submissions.notebook_notes(folder, ["01_loss_functions.ipynb", "02_gradients.ipynb"],
                                       {"01_loss_functions.ipynb": outside})
    assert notes[0].startswith("01_loss_functions.ipynb is not a readable notebook (not JSON")
    assert notes[1] == "02_gradients.ipynb is missing: its written answers cannot be graded"


def test_the_graded_modules_are_copied_first_whatever_else_the_package_holds(tmp_path):
    folder = make_submission(tmp_path / "submitted", "frank")
    data = folder / "linear_classifier" / "aaa_dataset"  # sorted before every module
    data.mkdir()
    for index in range(submissions.MAX_FILES + 50):
        (data / f"image{index}.txt").write_text("")
    for index in range(50):
        (data / f"link{index}").symlink_to("/etc/passwd")
    notes = submissions.copy_package(folder, tmp_path / "scratch")
    assert submissions.module_problems(tmp_path / "scratch", notes) == {}
    # A note for each of the first few skipped entries, then one that counts the rest.
    assert len(notes) == MAX_SKIP_NOTES + 1
    assert "over the limit of 2000 files" in notes[0]
    # Everything the copy skips with a note: not the given checks, nor bytecode.
    handed_in = [path for path in data.parent.rglob("*") if not path.is_dir() and path.suffix != ".pyc"
                 and "checks" not in path.relative_to(data.parent).parts]
    skipped = len(handed_in) - sum(1 for path in (tmp_path / "scratch").rglob("*") if path.is_file())
    assert notes[-1] == f"... and {skipped - MAX_SKIP_NOTES} more entries skipped in the same way."


def test_a_package_of_countless_entries_is_not_read_to_the_end_and_its_modules_still_graded(tmp_path):
    folder = make_submission(tmp_path / "submitted", "grace")
    package = folder / "linear_classifier"
    for index in range(submissions.MAX_ENTRIES + 10):
        (package / f"junk{index}").mkdir()
    notes = submissions.copy_package(folder, tmp_path / "scratch")
    assert submissions.module_problems(tmp_path / "scratch", notes) == {}
    assert any(f"holds more than {submissions.MAX_ENTRIES} files and folders" in note for note in notes)
    assert len(notes) <= MAX_SKIP_NOTES + 2


@pytest.mark.parametrize("depth, copied", [(submissions.MAX_PACKAGE_DEPTH, True),
                                           (submissions.MAX_PACKAGE_DEPTH + 1, False)])
def test_folders_of_the_package_are_copied_to_the_package_depth_and_deeper_ones_named_in_a_note(tmp_path, depth,
                                                                                               copied):
    folder = make_submission(tmp_path / "submitted", "hana")
    deep = folder / "linear_classifier" / "/".join(["d"] * depth)
    deep.mkdir(parents=True)
    (deep / "notes.txt").write_text("kept")
    notes = submissions.copy_package(folder, tmp_path / "scratch")
    assert submissions.module_problems(tmp_path / "scratch", notes) == {}
    target = tmp_path / "scratch" / "linear_classifier" / "/".join(["d"] * depth) / "notes.txt"
    assert target.is_file() == copied
    nested = f"linear_classifier/{'/'.join(['d'] * depth)}/ is nested more than {submissions.MAX_PACKAGE_DEPTH} " \
             "folders deep: not copied"
    assert (nested in notes) == (not copied), notes


@pytest.mark.parametrize("levels, found", [(MAX_WALK_DEPTH - 2, True), (MAX_WALK_DEPTH - 1, False)])
def test_an_assignment_is_found_when_its_package_is_within_the_walk_depth_of_the_students_folder(tmp_path, levels,
                                                                                                found):
    """ivan's package sits ``levels + 2`` folders below his own (``d/.../d/my_work/linear_classifier``)."""
    submitted = tmp_path / "submitted"
    make_submission(submitted, "bob", "stubs")
    parent = submitted / "ivan" / "/".join(["d"] * levels)
    parent.mkdir(parents=True)
    make_submission(tmp_path / "elsewhere", "ivan").rename(parent / "my_work")
    ivan = next(s for s in read_batch(submitted, tmp_path / "work").submissions if s.student_id == "ivan")
    assert (ivan.folder == parent / "my_work") == found, ivan.notes
