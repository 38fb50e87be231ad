"""The intake: LMS downloads in each LMS's own layout, nested zips, several copies, unreadable entries, rosters."""

import io
import os
import stat
import tempfile
import zipfile
from pathlib import Path

import pytest

from autograder import course
from autograder.intake import SubmissionsError, read_batch, read_student
from autograder.intake import archive
from autograder.intake.files import MAX_SKIP_NOTES
from autograder.lms.roster import RosterError, read_roster
from support.lms import (
    attempt, blackboard_download, by_id, canvas_download, canvas_prefix,
    folder_files, intake_work, moodle_download, package_text, untouched, write_zip, zip_bytes,
)
from support.submissions import make_submission, tree_snapshot

STUDENT_FILES = [f"{module}.py" for module in course.STUDENT_MODULES]


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    return intake_work(tmp_path_factory.mktemp("work"))


def test_a_moodle_download_of_zipped_assignments_gives_one_student_per_participant(tmp_path, work):
    download = moodle_download(tmp_path / "moodle.zip", [
        ("Ana Lopez", 1001, {"loss_optimization.zip": work["zip"]}, None),
        ("Bob Jones", 1002, {"loss_optimization.zip": work["zip"]}, "<p>see attached</p>"),
        ("Cleo Wu", 1003, {}, "<p>I forgot to upload</p>"),
    ])
    students = by_id(read_batch(download, tmp_path / "work"))
    assert sorted(students) == ["1001", "1002", "1003"]
    assert students["1002"].name == "Bob Jones" and students["1002"].lms == "moodle"
    assert students["1001"].folder.name == course.ASSIGNMENT and students["1001"].notes == []
    assert (students["1002"].folder / course.PACKAGE / "losses.py").is_file()
    cleo = students["1003"]
    assert cleo.folder is None
    assert cleo.notes == ["No assignment was found in your submission (no linear_classifier/ package and none of "
                          f"{', '.join(STUDENT_FILES)}). It holds: Cleo Wu_1003_assignsubmission_onlinetext/"
                          "onlinetext.html."]


def test_a_student_who_hands_in_only_notebooks_keeps_them_with_a_note_saying_so(tmp_path, work):
    notebook = (work["good"] / "01_loss_functions.ipynb").read_bytes()
    download = canvas_download(tmp_path / "canvas.zip", [
        ("Jones, Bob", 1002, False, [(50002, "01_loss_functions.ipynb", notebook)]),
        ("Lopez, Ana", 1001, False, [(50001, "loss_optimization.zip", work["zip"])]),
    ])
    bob = by_id(read_batch(download, tmp_path / "work"))["1002"]
    assert bob.folder is None and bob.candidate is None
    assert {name: path.read_bytes() for name, path in bob.notebooks.items()} == {"01_loss_functions.ipynb": notebook}
    assert bob.notes == [f"Only notebooks were handed in (01_loss_functions.ipynb), no code (no linear_classifier/ "
                         f"package and none of {', '.join(STUDENT_FILES)}): the code scores 0, the written answers "
                         "are graded. It holds: jonesbob_1002_50002_01_loss_functions.ipynb."]


def test_moodles_flat_layout_and_blind_marking_name_participants_the_same_way(tmp_path, work):
    download = moodle_download(tmp_path / "moodle.zip", [
        ("Participant", 2001, {"loss_optimization.zip": work["zip"]}, None),
        ("Dana Ng", 2002, {f"{course.ASSIGNMENT}.zip": work["zip"]}, None),
    ], folders=False)
    students = by_id(read_batch(download, tmp_path / "work"))
    assert sorted(students) == ["2001", "2002"]
    assert students["2001"].name == "" and students["2002"].name == "Dana Ng"
    assert all((s.folder / course.PACKAGE / "losses.py").is_file() for s in students.values())


def test_a_canvas_student_with_two_uploads_is_one_student_graded_on_the_newest(tmp_path, work):
    late = canvas_prefix("Jones, Bob", 1002, late=True)
    download = canvas_download(tmp_path / "canvas.zip", [
        ("Jones, Bob", 1002, True, [(50099, "loss_optimization.zip", work["buggy_zip"]),
                                    (50123, "loss_optimization-1.zip", work["zip"])]),
        ("Smith, Jane", 1003, False, [(50100, "loss_optimization.zip", work["zip"])]),
    ])
    batch = read_batch(download, tmp_path / "work")
    students = by_id(batch)
    assert sorted(students) == ["1002", "1003"]
    bob = students["1002"]
    assert bob.name == "jonesbob" and bob.lms_id == "1002"
    assert "return 0.0, W" not in package_text(bob)
    assert bob.notes == [
        f"2 copies of the assignment were found in your submission: graded the newest, {late}_50123_loss_optimization"
        f"-1.zip/loss_optimization/ (files modified 2024-05-02 18:30); not graded: {late}_50099_loss_optimization.zip/"
        "loss_optimization/ (files modified 2024-05-01 09:00)."]
    assert batch.notes == ["Read as an LMS download: 2 students named as Canvas names them."]


def test_a_canvas_student_who_uploaded_loose_files_gets_them_graded_as_the_package(tmp_path, work):
    good = work["good"]
    uploads = [(60000 + i, name, (good / course.PACKAGE / name).read_bytes())
               for i, name in enumerate(STUDENT_FILES + ["validation.py", "__init__.py"])]
    uploads.append((60100, "01_loss_functions.ipynb", (good / "01_loss_functions.ipynb").read_bytes()))
    download = canvas_download(tmp_path / "canvas.zip", [("Lee, Kim", 1004, False, uploads),
                                                          (None, "anon_x7Kq2", False, [(61000, "loss_optimization.zip",
                                                                                          work["zip"])])])
    students = by_id(read_batch(download, tmp_path / "work"))
    kim = students["1004"]
    assert sorted(p.name for p in (kim.folder / course.PACKAGE).iterdir()) == sorted(
        STUDENT_FILES + ["validation.py", "__init__.py"])
    assert (kim.folder / "01_loss_functions.ipynb").is_file()
    assert kim.notes == [f"{', '.join(STUDENT_FILES)}, validation.py, __init__.py were not in a linear_classifier/ "
                         "folder (found at the top of your submission): graded as the linear_classifier/ package."]
    assert "anon_x7Kq2" in students


def test_blackboard_attempts_are_one_student_graded_on_the_latest_attempt(tmp_path, work):
    download = blackboard_download(tmp_path / "bb.zip", "Loss Optimization", [
        ("jdoe", "Jane Doe", [(attempt(2024, 5, 3, 10, 0, 0), {"loss_optimization.zip": work["zip"]}),
                              (attempt(2024, 5, 1, 10, 0, 0), {"loss_optimization.zip": work["buggy_zip"]})]),
        ("rroe", "Rick Roe", [(attempt(2024, 5, 2, 8, 15, 0), {"loss_optimization.zip": work["zip"]})]),
    ])
    students = by_id(read_batch(download, tmp_path / "work"))
    assert sorted(students) == ["jdoe", "rroe"]
    jane = students["jdoe"]
    assert jane.name == "Jane Doe" and jane.attempt == attempt(2024, 5, 3, 10, 0, 0)
    assert "return 0.0, W" not in package_text(jane)
    assert jane.notes[0].startswith("2 copies of the assignment were found in your submission: graded the newest, "
                                    "Loss Optimization_jdoe_attempt_2024-05-03-10-00-00_loss_optimization.zip/"
                                    "loss_optimization/ (attempt of 2024-05-03 10:00)")


def test_a_blackboard_user_name_with_an_underscore_is_read_from_the_receipt(tmp_path, work):
    download = blackboard_download(tmp_path / "bb.zip", "Loss_Optimization", [
        ("j_doe", "Jane Doe", [(attempt(2024, 5, 3, 10, 0, 0), {"loss_optimization.zip": work["zip"]})])])
    jane = read_batch(download, tmp_path / "work").submissions[0]
    assert (jane.student_id, jane.name) == ("j_doe", "Jane Doe")


def test_nbgrader_submitted_folders_are_read_as_they_are_and_never_written(tmp_path):
    submitted = tmp_path / "submitted"
    make_submission(submitted, "alice")
    make_submission(submitted, "bob")
    before = tree_snapshot(submitted)
    batch = read_batch(submitted, tmp_path / "work")
    assert [(s.student_id, s.folder, s.notes) for s in batch.submissions] == [
        ("alice", submitted / "alice" / course.ASSIGNMENT, []), ("bob", submitted / "bob" / course.ASSIGNMENT, [])]
    assert batch.notes == [] and tree_snapshot(submitted) == before


def test_a_doubly_nested_assignment_folder_is_graded_and_said_where_it_was(tmp_path):
    submitted = tmp_path / "submitted"
    inner = make_submission(tmp_path / "elsewhere", "x")
    (submitted / "carol" / course.ASSIGNMENT).mkdir(parents=True)
    inner.rename(submitted / "carol" / course.ASSIGNMENT / course.ASSIGNMENT)
    carol = read_batch(submitted, tmp_path / "work").submissions[0]
    assert carol.folder == submitted / "carol" / course.ASSIGNMENT / course.ASSIGNMENT
    assert carol.notes == ["Your assignment was found at carol/loss_optimization/loss_optimization/ and graded there."]


def test_of_two_copies_of_the_folder_the_newest_is_graded_and_the_other_named(tmp_path):
    submitted = tmp_path / "submitted"
    old = make_submission(submitted, "dan")
    new = make_submission(tmp_path / "copy", "dan")
    new.rename(submitted / "dan" / f"{course.ASSIGNMENT} (1)")
    for path in old.rglob("*"):
        if path.is_file():
            os.utime(path, (1_700_000_000, 1_700_000_000))
    dan = read_batch(submitted, tmp_path / "work").submissions[0]
    assert dan.folder.name == f"{course.ASSIGNMENT} (1)"
    assert dan.notes[0].startswith("2 copies of the assignment were found in your submission: graded the newest, "
                                   "dan/loss_optimization (1)/ (files modified ")
    assert dan.notes[0].endswith("not graded: dan/loss_optimization/ (files modified 2023-11-14 22:13).")


def test_one_unreadable_zip_costs_only_its_student_and_is_named_as_in_the_download(tmp_path, work):
    download = moodle_download(tmp_path / "moodle.zip", [
        ("Ana Lopez", 1001, {"loss_optimization.zip": work["zip"]}, None),
        ("Bob Jones", 1002, {"loss_optimization.zip": b"PK\x03\x04 this upload was cut short"}, None),
    ])
    students = by_id(read_batch(download, tmp_path / "work"))
    assert students["1001"].folder is not None and students["1001"].notes == []
    bob = students["1002"]
    assert bob.folder is None
    assert bob.notes[0] == ("Bob Jones_1002_assignsubmission_file/loss_optimization.zip is not a readable zip file "
                            "(File is not a zip file).")
    assert str(tmp_path) not in " ".join(bob.notes)


def test_a_corrupt_student_zip_in_a_folder_of_zips_costs_only_that_student(tmp_path, work):
    submitted = tmp_path / "submitted"
    submitted.mkdir()
    (submitted / "erin.zip").write_bytes(work["zip"])
    (submitted / "frank.zip").write_bytes(work["zip"][: len(work["zip"]) // 2])
    students = by_id(read_batch(submitted, tmp_path / "work"))
    assert students["erin"].folder is not None
    assert students["frank"].folder is None and students["frank"].notes[0].startswith(
        "frank.zip is not a readable zip file")


def test_zips_inside_zips_are_unpacked_at_any_depth(tmp_path, work):
    innermost = zip_bytes({"loss_optimization.zip": work["zip"]})
    middle = zip_bytes({"handin/final.zip": innermost})
    download = moodle_download(tmp_path / "moodle.zip", [("Ana Lopez", 1001, {"everything.zip": middle}, None)])
    ana = read_batch(download, tmp_path / "work").submissions[0]
    assert (ana.folder / course.PACKAGE / "losses.py").is_file()
    assert ana.notes == ["Your assignment was found at Ana Lopez_1001_assignsubmission_file/everything.zip/handin/"
                         "final.zip/loss_optimization.zip/loss_optimization/ and graded there."]


def test_notebooks_handed_in_beside_a_zipped_package_are_found(tmp_path, work):
    good = work["good"]
    package_zip = zip_bytes(folder_files(good / course.PACKAGE, f"{course.PACKAGE}/"))
    uploads = {"code.zip": package_zip, "01_loss_functions.ipynb": (good / "01_loss_functions.ipynb").read_bytes()}
    download = moodle_download(tmp_path / "moodle.zip", [("Ana Lopez", 1001, uploads, None)])
    ana = read_batch(download, tmp_path / "work").submissions[0]
    assert ana.folder.name == "code.zip"
    assert set(ana.notebooks) == {"01_loss_functions.ipynb"}
    assert "01_loss_functions.ipynb was not in the assignment folder: read from Ana Lopez_1001_assignsubmission_" \
           "file/01_loss_functions.ipynb." in ana.notes


@pytest.mark.parametrize("layout", ["contents", "folder", "zip", "loose"])
def test_one_students_upload_is_found_in_each_way_it_can_be_handed_in(tmp_path, work, layout):
    upload = tmp_path / "submission"
    upload.mkdir()
    if layout == "contents":
        for name, data in folder_files(work["good"]).items():
            (upload / name).parent.mkdir(parents=True, exist_ok=True)
            (upload / name).write_bytes(data)
    elif layout == "folder":
        for name, data in folder_files(work["good"], f"{course.ASSIGNMENT}/").items():
            (upload / name).parent.mkdir(parents=True, exist_ok=True)
            (upload / name).write_bytes(data)
    elif layout == "zip":
        (upload / f"{course.ASSIGNMENT}.zip").write_bytes(work["zip"])
    else:
        for name in STUDENT_FILES + ["validation.py", "__init__.py"]:
            (upload / name).write_bytes((work["good"] / course.PACKAGE / name).read_bytes())
    submission = read_student(upload, "gs", tmp_path / "work")
    assert (submission.folder / course.PACKAGE / "losses.py").is_file()
    assert (layout == "loose") == bool(submission.notes)


def test_unsafe_members_are_skipped_and_named(tmp_path, work):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as handle:
        for name, data in folder_files(work["good"], f"{course.ASSIGNMENT}/").items():
            handle.writestr(name, data)
        handle.writestr("../../escaped.txt", "outside")
        handle.writestr("/absolute.txt", "outside")
        link = zipfile.ZipInfo(f"{course.ASSIGNMENT}/linear_classifier/link.py")
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        handle.writestr(link, "/etc/passwd")
    download = moodle_download(tmp_path / "moodle.zip", [("Ana Lopez", 1001, {"a.zip": buffer.getvalue()}, None)])
    ana = read_batch(download, tmp_path / "work").submissions[0]
    prefix = "Ana Lopez_1001_assignsubmission_file/a.zip"
    assert f"{prefix}/../../escaped.txt has a path outside the zip (absolute, or with '..'): skipped." in ana.notes
    assert f"{prefix}/loss_optimization/linear_classifier/link.py is a symbolic link: skipped." in ana.notes
    assert not (ana.folder / course.PACKAGE / "link.py").exists()
    assert not list(tmp_path.parent.glob("escaped.txt")) and not os.path.exists("/absolute.txt")


def test_countless_unsafe_members_give_a_few_notes_and_a_count(tmp_path, work):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as handle:
        for name, data in folder_files(work["good"], f"{course.ASSIGNMENT}/").items():
            handle.writestr(name, data)
        for index in range(500):
            handle.writestr(f"../escaped{index}.txt", "outside")
    download = moodle_download(tmp_path / "moodle.zip", [("Ana Lopez", 1001, {"a.zip": buffer.getvalue()}, None)])
    ana = read_batch(download, tmp_path / "work").submissions[0]
    skipped = [note for note in ana.notes if "has a path outside the zip" in note]
    assert len(skipped) == MAX_SKIP_NOTES
    assert f"... and {500 - MAX_SKIP_NOTES} more entries skipped in the same way." in ana.notes
    assert (ana.folder / course.PACKAGE / "losses.py").is_file()


def test_a_zip_bomb_is_refused_and_costs_only_its_student(tmp_path, work):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as handle:
        handle.writestr("zeros.bin", b"\0" * (archive.RATIO_FLOOR_BYTES + 2 ** 20))
    download = moodle_download(tmp_path / "moodle.zip", [
        ("Ana Lopez", 1001, {"loss_optimization.zip": work["zip"]}, None),
        ("Max Bomb", 1002, {"bomb.zip": buffer.getvalue()}, None)])
    students = by_id(read_batch(download, tmp_path / "work"))
    assert students["1001"].folder is not None
    assert students["1002"].notes[0].startswith("Max Bomb_1002_assignsubmission_file/bomb.zip holds zeros.bin, which "
                                                "inflates") and "(a zip bomb?): not unpacked." in students["1002"].notes[0]


def test_zips_nested_too_deep_are_reported_not_unpacked(tmp_path):
    data = zip_bytes({"x.txt": "x"})
    for level in range(archive.MAX_NESTING + 1):
        data = zip_bytes({f"level{level}.zip": data})
    problems = archive.unpack_tree(write_zip(tmp_path / "top.zip", {"inner.zip": data}), tmp_path / "out")
    assert len(problems) == 1 and problems[0][1] == f"is a zip inside {archive.MAX_NESTING} other zips: not unpacked"


def test_a_download_that_is_not_a_zip_is_refused_as_a_whole(tmp_path):
    bad = tmp_path / "download.zip"
    bad.write_text("not a zip")
    with pytest.raises(SubmissionsError, match="download.zip is not a readable zip file"):
        read_batch(bad, tmp_path / "work")


def test_an_empty_folder_is_refused_naming_the_layouts_it_could_be(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(SubmissionsError, match="<student_id>/loss_optimization/.*Moodle, Canvas or Blackboard"):
        read_batch(tmp_path / "empty", tmp_path / "work")


def test_a_roster_maps_lms_ids_to_the_courses_and_names_who_is_missing(tmp_path, work):
    download = moodle_download(tmp_path / "moodle.zip", [
        ("Ana Lopez", 1001, {"loss_optimization.zip": work["zip"]}, None),
        ("Bob Jones", 1002, {"loss_optimization.zip": work["zip"]}, None),
    ])
    roster_file = tmp_path / "roster.csv"
    roster_file.write_text("Student ID,LMS id,Name,Email\nalopez,1001,Ana López,ana@example.edu\n"
                           "cwu,1003,Cleo Wu,cleo@example.edu\n", encoding="utf-8")
    batch = read_batch(download, tmp_path / "work", read_roster(roster_file))
    students = by_id(batch)
    assert sorted(students) == ["1002", "alopez"]
    assert students["alopez"].name == "Ana López" and students["alopez"].lms_id == "1001"
    assert f"1 LMS id is not in the roster {roster_file}, graded under the LMS id: 1002." in batch.notes
    assert "1 student of the roster handed in nothing: cwu." in batch.notes


@pytest.mark.parametrize("text, message", [
    ("name,lms_id\nAna,1\n", "has no student_id column"),
    ("student_id,lms_id\nana,1\nbob,1\n", "lines 2 and 3: the lms_id '1' is given twice"),
    ("student_id,lms_id\nana,\n", "line 2: the lms_id is empty"),
    ("student_id,lms_id\n../x,1\n", "cannot name a folder"),
    ("", "is empty"),
])
def test_a_roster_that_cannot_be_used_is_refused_saying_what_to_fix(tmp_path, text, message):
    path = tmp_path / "roster.csv"
    path.write_text(text)
    with pytest.raises(RosterError, match=message):
        read_roster(path)


def test_a_module_lying_beside_the_package_is_named_as_not_graded(tmp_path):
    submitted = tmp_path / "submitted"
    folder = make_submission(submitted, "gail")
    (folder / "losses.py").write_text("# an older draft\n")
    gail = read_batch(submitted, tmp_path / "work").submissions[0]
    assert gail.folder == folder
    assert gail.notes == ["losses.py next to linear_classifier/ in gail/loss_optimization/ was not graded: the copies "
                          "inside linear_classifier/ were."]


def test_a_student_folder_named_with_control_or_bidirectional_characters_is_graded_under_a_printable_id(tmp_path):
    submitted = tmp_path / "submitted"
    make_submission(submitted, "eve\x1b[2J\u202eevil")
    batch = read_batch(submitted, tmp_path / "work")
    (eve,) = batch.submissions
    assert eve.student_id.isprintable() and "\x1b" not in eve.student_id and "\u202e" not in eve.student_id
    assert eve.student_id.startswith("eve") and eve.folder is not None


# --- Bounded unpacking: one student's upload costs that student only ----------------------------------------------

def _deep_zip(levels):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as handle:
        for level in range(1, levels + 1):
            handle.writestr(zipfile.ZipInfo("d/" * level), "")
        handle.writestr("d/" * levels + "x.txt", "deep")
    return buffer.getvalue()


def test_a_zip_of_folders_1200_levels_deep_costs_only_its_student_and_leaves_no_temporary_folder(tmp_path, work):
    download = moodle_download(tmp_path / "moodle.zip", [
        ("Ana Lopez", 1001, {"loss_optimization.zip": work["zip"]}, None),
        ("Mal Lory", 1003, {"deep.zip": _deep_zip(1200)}, None),
    ])
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    with tempfile.TemporaryDirectory(dir=scratch) as workdir:
        students = by_id(read_batch(download, Path(workdir) / "intake"))
        assert untouched(students["1001"], work["good"])
    assert list(scratch.iterdir()) == []
    mallory = students["1003"]
    assert mallory.folder is None
    assert (f"Mal Lory_1003_assignsubmission_file/deep.zip/d/d/d/... is more than {archive.MAX_PATH_PARTS} folders "
            "deep: skipped.") in mallory.notes
    assert len(mallory.notes) <= MAX_SKIP_NOTES + 3


def test_a_small_zip_of_many_zips_of_empty_files_is_refused_before_it_unpacks_them(tmp_path, work):
    many = zip_bytes({f"f{i}": b"" for i in range(archive.MAX_STUDENT_MEMBERS + 1)})
    bomb = zip_bytes({f"z{i}.zip": many for i in range(30)})
    download = moodle_download(tmp_path / "moodle.zip", [
        ("Ana Lopez", 1001, {"loss_optimization.zip": work["zip"]}, None),
        ("Mal Lory", 1003, {"many.zip": bomb}, None),
    ])
    workdir = tmp_path / "work"
    students = by_id(read_batch(download, workdir))
    assert untouched(students["1001"], work["good"])
    mallory = students["1003"]
    assert mallory.folder is None
    assert any(note.endswith("and nothing is left of what one student's zips may unpack (1000 members and 256 MB, all "
                             "their zips together): not unpacked.") for note in mallory.notes)
    unpacked = sum(len(files) + len(folders) for _, folders, files in os.walk(workdir / "unpacked" / "1"))
    assert unpacked <= archive.MAX_STUDENT_MEMBERS + 2


def test_a_students_entry_of_a_download_too_large_for_its_allowance_is_refused_alone(tmp_path, work):
    files = {f"Mal Lory_1003_assignsubmission_file/f{i}": b"" for i in range(archive.MAX_STUDENT_MEMBERS + 1)}
    files.update({f"Ana Lopez_1001_assignsubmission_file/{name}": data
                  for name, data in folder_files(work["good"], f"{course.ASSIGNMENT}/").items()})
    students = by_id(read_batch(write_zip(tmp_path / "moodle.zip", files), tmp_path / "work"))
    assert untouched(students["1001"], work["good"])
    assert students["1003"].folder is None and "more than one student's files may unpack" in students["1003"].notes[0]


def test_a_failure_while_reading_one_student_costs_that_student_only(tmp_path, work, monkeypatch):
    from autograder.intake import batch as intake_batch

    real_choose = intake_batch.choose

    def choose_failing_for_mallory(sources, workdir):
        if any("Mal Lory" in source.root.display or any("Mal Lory" in n.display for n in source.root.children)
               for source in sources):
            raise RecursionError("maximum recursion depth exceeded")
        return real_choose(sources, workdir)

    monkeypatch.setattr(intake_batch, "choose", choose_failing_for_mallory)
    download = moodle_download(tmp_path / "moodle.zip", [
        ("Ana Lopez", 1001, {"loss_optimization.zip": work["zip"]}, None),
        ("Mal Lory", 1003, {"loss_optimization.zip": work["zip"]}, None),
    ])
    students = by_id(read_batch(download, tmp_path / "work"))
    assert students["1001"].folder is not None
    assert students["1003"].folder is None and students["1003"].notes == [
        "Your files could not be read (RecursionError): nothing was graded. Hand in the loss_optimization/ folder (or "
        "a zip of it)."]


def test_a_zip_larger_than_the_allowance_has_what_may_be_graded_unpacked_first(tmp_path, work):
    files = {f"{course.ASSIGNMENT}/data/{i:05}.png": b"" for i in range(archive.MAX_STUDENT_MEMBERS)}
    files.update({f"venv/lib/site-packages/m{i}.py": b"" for i in range(archive.MAX_STUDENT_MEMBERS)})
    files.update(folder_files(work["good"], f"{course.ASSIGNMENT}/"))
    download = moodle_download(tmp_path / "moodle.zip", [("Ana Lopez", 1001, {"everything.zip": zip_bytes(files)},
                                                          None)])
    (ana,) = read_batch(download, tmp_path / "work").submissions
    assert untouched(ana, work["good"]) and (ana.folder / "01_loss_functions.ipynb").is_file()
    assert any("more members were not unpacked: more than one student's zips may unpack (1000 members and 256 MB, all "
               "their zips together; what may be graded was unpacked first)." in note for note in ana.notes)


def test_zip_collects_unpacking_of_a_whole_download_bounds_each_students_nested_zips_apart(tmp_path, work):
    many = zip_bytes({f"f{i}": b"" for i in range(archive.MAX_STUDENT_MEMBERS + 1)})
    download = moodle_download(tmp_path / "moodle.zip", [
        ("Ana Lopez", 1001, {"loss_optimization.zip": work["zip"]}, None),
        ("Mal Lory", 1003, {"many.zip": zip_bytes({f"z{i}.zip": many for i in range(5)})}, None),
    ])
    problems = archive.unpack_tree(download, tmp_path / "extracted")  # as LMSExtractor unpacks it, zips inside too
    mallory = tmp_path / "extracted" / "Mal Lory_1003_assignsubmission_file"
    assert sum(len(files) for _, _, files in os.walk(mallory)) <= archive.MAX_STUDENT_MEMBERS
    assert all(path.startswith("Mal Lory_1003_assignsubmission_file/") for path, _ in problems)
    ana = tmp_path / "extracted" / "Ana Lopez_1001_assignsubmission_file" / "loss_optimization.zip"
    assert (ana / course.ASSIGNMENT / course.PACKAGE / "losses.py").is_file()


@pytest.mark.parametrize("layout", ["canvas", "moodle without folders"])
def test_a_students_flat_files_of_a_download_share_one_allowance_and_are_refused_together(tmp_path, work, layout):
    """Round 4: in a flat download each file is a top-level entry, and each entry had an allowance of its own, so
    one student's 1,500 files were all unpacked (1,000 is a student's allowance). A student's entries share one."""
    count = archive.MAX_STUDENT_MEMBERS + 500
    if layout == "canvas":
        files = {f"lory_1003_{60000 + i}_f{i}.txt": b"" for i in range(count)}
        files["lopez_1001_50001_loss_optimization.zip"] = work["zip"]
    else:
        files = {f"Mal Lory_1003_assignsubmission_file_f{i}.txt": b"" for i in range(count)}
        files["Ana Lopez_1001_assignsubmission_file_loss_optimization.zip"] = work["zip"]
    students = by_id(read_batch(write_zip(tmp_path / "download.zip", files), tmp_path / "work"))
    assert sum(len(names) for _, _, names in os.walk(tmp_path / "work")) < 100
    assert untouched(students["1001"], work["good"])
    assert f"holds {count} members of 0 MB, more than one student's files may unpack" in students["1003"].notes[0]


def test_a_student_whose_files_pass_the_batchs_budget_is_refused_alone_never_the_download(tmp_path, work,
                                                                                          monkeypatch):
    """Round 4: one Canvas student's files, each within its own allowance, together passed what the batch may
    unpack (4 GB), and the whole download was refused: nobody was graded. (A budget of 40 MB stands for 4 GB.)"""
    monkeypatch.setattr(archive.Budget.__init__, "__defaults__", (40 * 2 ** 20,))
    files = {f"lory_1003_{60000 + i}_blob{i}.bin": os.urandom(2 ** 20) * 3 for i in range(15)}  # 45 MB in all
    files["lopez_1001_50001_loss_optimization.zip"] = work["zip"]
    students = by_id(read_batch(write_zip(tmp_path / "canvas.zip", files), tmp_path / "work"))
    assert untouched(students["1001"], work["good"]) and students["1001"].notes == []
    assert "would unpack to more than the 4 GB this batch may use" in students["1003"].notes[0]


def test_a_member_named_with_terminal_escapes_reaches_no_note_with_them(tmp_path, work):
    """Round 4: the notes name a student's own files, and zip_collect logs them (``note to ...``) to the instructor's
    terminal as they are: a member named with OSC 52 (write the clipboard) and cursor moves (hide lines) acted there.
    The intake's notes are cleaned where they are made."""
    files = dict(folder_files(work["good"], f"{course.ASSIGNMENT}/"))
    files["\x1b]52;c;ZWNobyBwd25lZA==\x07\x1b[2K\x1b[1Ahidden/../../x.txt"] = "x"
    download = moodle_download(tmp_path / "moodle.zip", [("Mal Lory", 1003, {"handin.zip": zip_bytes(files)}, None)])
    batch = read_batch(download, tmp_path / "work")
    (mallory,) = batch.submissions
    assert any("hidden/../../x.txt has a path outside the zip" in note for note in mallory.notes)
    assert not any(character in note for note in mallory.notes + batch.notes for character in "\x1b\x07")
