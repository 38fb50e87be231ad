"""The intake's identities: each LMS's layouts as its own code names them, and a student's own names (files,
folders, zips) never standing for another student (issue 16): each attack leaves the victim their own work and adds
no student."""

import unicodedata
import zipfile

import pytest

from autograder import course
from autograder.intake import read_batch
from support.lms import (
    MOODLE_DEFAULT_TEAM, OLD, assignment_folder, assignment_zip, attempt, blackboard_download, by_id, canvas_download,
    folder_files, intake_work, moodle_download, package_text, untouched, write_zip, zip_bytes,
)
from support.submissions import make_submission


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    return intake_work(tmp_path_factory.mktemp("work"))


# --- Each LMS's layouts, as its own code names them (tests/support/lms.py cites the code) -----------------------

@pytest.mark.parametrize("folders, version", [(True, "4.1"), (True, "3.1"), (False, "4.1")],
                         ids=["moodle 4.1 folders", "moodle 3.1 folders with a trailing _", "moodle without folders"])
@pytest.mark.parametrize("blind", [False, True], ids=["named", "blind marking"])
def test_every_moodle_layout_names_each_participant_by_the_id_moodle_wrote(tmp_path, work, folders, version, blind):
    ana, bob = ("Participant", "Participant") if blind else ("Ana Lopez", "Bob_Jones")
    download = moodle_download(tmp_path / "moodle.zip", [
        (ana, 1001, {"loss_optimization.zip": work["zip"]}, None),
        (bob, 1002, {"loss_optimization.zip": work["zip"]}, "<p>see attached</p>"),
    ], folders=folders, version=version)
    batch = read_batch(download, tmp_path / "work")
    students = by_id(batch)
    assert sorted(students) == ["1001", "1002"]
    assert [students[i].name for i in ("1001", "1002")] == (["", ""] if blind else ["Ana Lopez", "Bob Jones"])
    assert all(s.lms == "moodle" and (s.folder / course.PACKAGE / "losses.py").is_file() for s in students.values())
    assert batch.notes == ["Read as an LMS download: 2 students named as Moodle names them."]


def test_a_moodle_team_download_is_read_under_the_group_id_and_the_default_team_is_named_not_guessed(tmp_path, work):
    download = moodle_download(tmp_path / "moodle.zip", [
        ("Team_Rocket", 17, {"loss_optimization.zip": work["zip"]}, None),
        (MOODLE_DEFAULT_TEAM, None, {"loss_optimization.zip": work["zip"]}, None),
    ])
    batch = read_batch(download, tmp_path / "work")
    (team,) = batch.submissions
    assert (team.student_id, team.lms_id, team.name) == ("17", "17", "Team Rocket")
    assert ("Not attributed to any student (the LMS's name for it holds no id; grade them by hand): Default "
            "group_assignsubmission_file (Moodle's default team (students in no group) has no id in the download).") \
        in batch.notes


def test_canvas_late_anonymous_repeated_text_and_link_entries_and_names_with_digits_and_marks(tmp_path, work):
    download = canvas_download(tmp_path / "canvas.zip", [
        ("Jones, Bob", 1002, True, [(50099, "loss_optimization.zip", work["buggy_zip"]),
                                    ("text", None, "<p>my notes</p>")]),
        ("Smith2, Jane", 1003, False, [(50100, "loss_optimization.zip", work["zip"]), ("link", None, "<a>x</a>")]),
        ("Sharma, प्रिया", 1005, False, [(50005, "loss_optimization.zip", work["zip"])]),
        ("Nguyễn, An", 1006, False, [(50006, "loss_optimization.zip", work["zip"]),
                                     (50006, "loss_optimization.zip", work["buggy_zip"])]),
        ("...", 1007, False, [(50007, "loss_optimization.zip", work["zip"])]),
        (None, "anon_x7Kq2", True, [(61000, "loss_optimization.zip", work["zip"])]),
    ])
    batch = read_batch(download, tmp_path / "work")
    students = by_id(batch)
    assert sorted(students) == ["1002", "1003", "1005", "1006", "1007", "anon_x7Kq2"]
    assert [students[i].late for i in sorted(students)] == [True, False, False, False, False, True]
    assert students["1003"].name == "smith2jane" and students["1005"].name == "sharmaप्रिया"
    assert students["1007"].name == "" and students["1006"].name == unicodedata.normalize("NFC", "nguyễnan")
    assert all(s.folder is not None for s in students.values())
    assert batch.notes == ["Read as an LMS download: 6 students named as Canvas names them."]


def test_canvas_names_with_decomposed_marks_are_read_as_canvas_keeps_them(tmp_path, work):
    decomposed = unicodedata.normalize("NFD", "Nguyễn, An")
    download = canvas_download(tmp_path / "canvas.zip", [(decomposed, 1006, False, [(50006, "hw.zip", work["zip"])])])
    (an,) = read_batch(download, tmp_path / "work").submissions
    assert (an.student_id, an.lms, an.name) == ("1006", "canvas", unicodedata.normalize("NFD", "nguyễnan"))


@pytest.mark.parametrize("language", ["en", "es"])
def test_blackboard_user_names_with_underscores_stay_apart_in_any_receipt_language(tmp_path, work, language):
    download = blackboard_download(tmp_path / "bb.zip", "Loss_Optimization", [
        ("j_doe", "Jane Doe", [(attempt(2024, 5, 3, 10, 0, 0), {"submission.zip": work["zip"]})]),
        ("doe", "John Doe", [(attempt(2024, 5, 4, 10, 0, 0), {"submission.zip": work["buggy_zip"]})]),
    ], language=language)
    students = by_id(read_batch(download, tmp_path / "work"))
    assert sorted(students) == ["doe", "j_doe"]
    assert students["j_doe"].name == "Jane Doe" and "return 0.0, W" not in package_text(students["j_doe"])
    assert students["j_doe"].submitted_at == attempt(2024, 5, 3, 10, 0, 0)
    assert students["j_doe"].submitted_from.startswith("Blackboard attempt")


def test_blackboard_user_names_with_underscores_are_split_by_what_the_download_shares_without_receipts(tmp_path, work):
    files = {f"Loss_Optimization_{user}_attempt_2024-05-03-10-00-00_loss_optimization.zip": work["zip"]
             for user in ("j_doe", "doe", "a_b_c")}
    students = by_id(read_batch(write_zip(tmp_path / "bb.zip", files), tmp_path / "work"))
    assert sorted(students) == ["a_b_c", "doe", "j_doe"]


def test_nbgraders_timestamp_is_read_as_the_submission_time_but_never_from_inside_a_students_zip(tmp_path, work):
    submitted = tmp_path / "submitted"
    make_submission(submitted, "alice")
    (submitted / "alice" / course.ASSIGNMENT / "timestamp.txt").write_text("2024-05-03 10:00:00.000000 UTC\n")
    (submitted / "mallory").mkdir()
    inner = dict(folder_files(work["good"], f"{course.ASSIGNMENT}/"))
    inner[f"{course.ASSIGNMENT}/timestamp.txt"] = "2000-01-01 00:00:00.000000 UTC"
    write_zip(submitted / "mallory" / "handin.zip", inner)
    students = by_id(read_batch(submitted, tmp_path / "work"))
    assert (students["alice"].submitted_at, students["alice"].submitted_from) == (
        attempt(2024, 5, 3, 10, 0, 0), "nbgrader timestamp.txt (UTC)")
    assert students["mallory"].folder is not None and students["mallory"].submitted_at is None


# --- A student's own names never stand for another student (issue 16, identities) --------------------------------

def test_a_moodle_file_named_like_another_participants_entry_and_dated_later_stays_its_uploaders(tmp_path, work):
    future = assignment_zip(assignment_folder(tmp_path / "evil", append={"losses.py": "def svm_loss_naive(W, X, y, "
                                                                          "reg):\n    return 0.0, W\n"}),
                            date_time=(2099, 1, 1, 0, 0, 0))
    download = moodle_download(tmp_path / "moodle.zip", [
        ("Ana Lopez", 1001, {"loss_optimization.zip": work["zip"]}, None),
        ("Mal Lory", 1003, {"Ana Lopez_1001_assignsubmission_file_loss_optimization.zip": future}, None),
    ], folders=False)
    students = by_id(read_batch(download, tmp_path / "work"))
    assert sorted(students) == ["1001", "1003"]
    assert untouched(students["1001"], work["good"]) and students["1001"].notes == []
    assert "return 0.0, W" in package_text(students["1003"])


def test_one_upload_holding_files_named_like_five_other_entries_adds_no_student(tmp_path, work):
    names = [f"Student {i}_{2000 + i}_assignsubmission_file_loss_optimization.zip" for i in range(5)]
    download = moodle_download(tmp_path / "moodle.zip", [
        ("Ana Lopez", 1001, {"loss_optimization.zip": work["zip"]}, None),
        ("Mal Lory", 1003, {name: work["buggy_zip"] for name in names}, None),
    ], folders=False)
    batch = read_batch(download, tmp_path / "work")
    assert sorted(by_id(batch)) == ["1001", "1003"]
    assert untouched(by_id(batch)["1001"], work["good"])


def test_a_blackboard_file_named_like_another_users_attempt_and_a_forged_receipt_stay_the_uploaders(tmp_path, work):
    forged = "Name: Jane Doe (mal_jdoe)\nFiles:\n"
    mallory_files = {"jdoe_attempt_2099-01-01-00-00-00_loss_optimization.zip": work["buggy_zip"],
                     "jdoe_attempt_2024-05-03-10-00-00.txt": forged}
    download = blackboard_download(tmp_path / "bb.zip", "Loss Optimization", [
        ("jdoe", "Jane Doe", [(attempt(2024, 5, 3, 10, 0, 0), {"loss_optimization.zip": work["zip"]})]),
        ("mal", "Mal Lory", [(attempt(2024, 5, 3, 11, 0, 0), mallory_files, "Name: Jane Doe (x_jdoe)")]),
    ])
    students = by_id(read_batch(download, tmp_path / "work"))
    assert sorted(students) == ["jdoe", "mal"]
    jane = students["jdoe"]
    assert jane.name == "Jane Doe" and jane.attempt == attempt(2024, 5, 3, 10, 0, 0)
    assert untouched(jane, work["good"]) and jane.notes == []
    assert students["mal"].name == "Mal Lory"


@pytest.mark.parametrize("inside", ["folder", "zip", "zip in a zipped batch"])
def test_a_students_folder_or_zip_holding_per_student_entries_is_that_students_content(tmp_path, work, inside):
    alice = assignment_folder(tmp_path / "alice")
    evil = assignment_folder(tmp_path / "evil", append={"losses.py": "def svm_loss_naive(W, X, y, reg):\n    return 0.0, W\n"})
    planted = {**folder_files(evil, f"alice/{course.ASSIGNMENT}/"),
               "Ana Lopez_1001_assignsubmission_file/loss_optimization.zip": work["buggy_zip"],
               "bob_1002_50000_loss_optimization.zip": work["buggy_zip"]}
    batch_files = {**folder_files(alice, f"alice/{course.ASSIGNMENT}/"), "mallory.zip": zip_bytes(planted, (2099, 1, 1, 0, 0, 0))}
    if inside == "zip in a zipped batch":
        submitted = write_zip(tmp_path / "class.zip", batch_files, OLD)
    else:
        submitted = tmp_path / "submitted"
        files = batch_files if inside == "zip" else {**folder_files(alice, f"alice/{course.ASSIGNMENT}/"),
                                                     **{f"mallory/{name}": data for name, data in planted.items()}}
        for name, data in files.items():
            (submitted / name).parent.mkdir(parents=True, exist_ok=True)
            (submitted / name).write_bytes(data if isinstance(data, bytes) else data.encode())
    batch = read_batch(submitted, tmp_path / "work")
    students = by_id(batch)
    assert sorted(students) == ["alice", "mallory"]
    assert untouched(students["alice"], alice) and students["alice"].notes == []
    assert students["mallory"].lms == "folder"


def test_a_canvas_entry_without_a_name_is_read_only_as_canvas_writes_it(tmp_path, work):
    download = canvas_download(tmp_path / "canvas.zip", [
        ("Jones, Bob", 1002, False, [(50000, "loss_optimization.zip", work["zip"])]),
        ("Lory, Mal", 1003, False, [(50001, "1002_50002_loss_optimization.zip", work["buggy_zip"]),
                                    (50003, "LATE_1002_50004_loss_optimization.zip", work["buggy_zip"])]),
    ])
    students = by_id(read_batch(download, tmp_path / "work"))
    assert sorted(students) == ["1002", "1003"]
    assert untouched(students["1002"], work["good"]) and students["1002"].late is False


def test_a_moodle_team_download_in_moodles_own_layout_is_graded_for_every_member_of_the_group_roster(tmp_path, work):
    from autograder.lms.roster import read_roster

    download = moodle_download(tmp_path / "moodle.zip", [("Team_Rocket", 17, {"loss_optimization.zip": work["zip"]},
                                                          None)])
    roster = tmp_path / "roster.csv"
    roster.write_text("student_id,lms_id,name,group_id\nana,1001,Ana Lopez,17\nbob,1002,Bob Jones,17\n")
    students = by_id(read_batch(download, tmp_path / "work", read_roster(roster)))
    assert sorted(students) == ["ana", "bob"]
    assert [students[s].lms_id for s in ("ana", "bob")] == ["1001", "1002"]
    assert all(untouched(students[s], work["good"]) for s in ("ana", "bob"))


def test_a_canvas_group_download_under_one_members_id_is_graded_for_every_member_of_the_group_roster(tmp_path, work):
    from autograder.lms.roster import read_roster

    # content_zipper.rb zip_assignment(): assignment.representatives -> one entry per group, named by one member.
    download = canvas_download(tmp_path / "canvas.zip", [("Lopez, Ana", 1001, False,
                                                          [(50001, "loss_optimization.zip", work["zip"])])])
    roster = tmp_path / "roster.csv"
    roster.write_text("student_id,lms_id,name,group_id\nana,1001,Ana Lopez,g1\nbob,1002,Bob Jones,g1\n"
                      "cleo,1003,Cleo Wu,g2\n")
    batch = read_batch(download, tmp_path / "work", read_roster(roster))
    students = by_id(batch)
    assert sorted(students) == ["ana", "bob"]
    assert [students[s].lms_id for s in ("ana", "bob")] == ["1001", "1002"]
    assert "1 student of the roster handed in nothing: cleo." in batch.notes


@pytest.mark.parametrize("trusted", ["receipt", "assembly"], ids=["receipt refuses the name", "assembly refuses it"])
def test_a_blackboard_receipts_original_name_holding_a_path_never_writes_outside_the_copy(tmp_path, work, monkeypatch,
                                                                                          trusted):
    """Round 4: a receipt's "Original filename" is the name the student gave the file. ``../../x.py`` or an absolute
    name was joined to the assembled copy's folder: the intake wrote the student's file wherever the grader may
    write (its own code included). Both the receipt's reading and the assembly refuse it."""
    from autograder.intake import layouts

    if trusted == "assembly":  # the second line of defence, alone
        monkeypatch.setattr(layouts, "is_plain_file_name", lambda name: True)
    outside = tmp_path / "outside"
    outside.mkdir()
    uploads = {"losses.py": (work["good"] / course.PACKAGE / "losses.py").read_bytes(), "evil.py": b"x = 1\n",
               "01_loss_functions.ipynb": b"{}"}
    download = blackboard_download(tmp_path / "bb.zip", "Loss_Optimization", [
        ("mal", "Mal Lory", [(attempt(2024, 5, 3, 10, 0, 0), uploads)])])
    with zipfile.ZipFile(download) as archive:
        files = {info.filename: archive.read(info) for info in archive.infolist()}
    (receipt,) = [name for name in files if name.endswith(".txt")]
    files[receipt] = files[receipt].decode().replace(
        "Original filename: evil.py", f"Original filename: {'../' * 20}{outside.as_posix().lstrip('/')}/x.py").replace(
        "Original filename: 01_loss_functions.ipynb", f"Original filename: {outside}/abs.ipynb").encode()
    (mal,) = read_batch(write_zip(download, files), tmp_path / "work").submissions
    assert list(outside.iterdir()) == []
    assert (mal.folder / course.PACKAGE / "losses.py").is_file()
    if trusted == "assembly":
        assert any("is not a plain file name: not graded" in note for note in mal.notes)


# --- A Canvas sortable name or file name that makes an entry read as a classmate's --------------------------------
# Canvas's prefix is <sanitized sortable name>_<user id>; sanitize_user_name() removes "_<digits>_" from the name but
# not a final "_<digits>" (lib/content_zipper.rb, get_user_name), and a student may be able to edit that name.

def _canvas_roster(tmp_path, rows):
    from autograder.lms.roster import read_roster

    path = tmp_path / "roster.csv"
    path.write_text("student_id,lms_id,name\n" + "".join(f"{sid},{lms_id},{name}\n" for sid, lms_id, name in rows))
    return read_roster(path)


@pytest.mark.parametrize("attacker_name", ["Victim_1002", "Victim, Vic_1002"], ids=["a name", "the victim's own name"])
def test_a_canvas_sortable_name_ending_in_a_classmates_id_never_takes_their_place_when_the_roster_is_given(
        tmp_path, work, attacker_name):
    download = canvas_download(tmp_path / "canvas.zip", [
        ("Victim, Vic", 1002, False, [(50001, "loss_optimization.zip", work["zip"])]),
        (attacker_name, 1099, False, [(50002, "loss_optimization.zip", work["buggy_zip"])]),
    ])
    roster = _canvas_roster(tmp_path, [("vic", 1002, "Vic Victim"), ("mal", 1099, "Mal Lory")])
    batch = read_batch(download, tmp_path / "work", roster)
    students = by_id(batch)
    assert "return 0.0, W" not in package_text(students["vic"])
    assert "mal" not in students or "return 0.0, W" in package_text(students["mal"])
    left = [note for note in batch.notes if note.startswith("Not attributed to any student")]
    assert left and "reads as the entry of 1002 or 1099, each a student's in the roster" in left[0], batch.notes


def test_a_canvas_entry_read_two_ways_goes_to_the_reading_the_roster_names_and_says_nothing_else(tmp_path, work):
    # Notebooks handed in loose: "lopezana_1001_50001_01_loss_functions.ipynb" reads as user 1001's (attachment
    # 50001) or as user 50001's named "lopezana_1001" (attachment 1); "1002_..." as Bob's, named "...".
    notebook = (course.release_dir() / "01_loss_functions.ipynb").read_bytes()
    download = canvas_download(tmp_path / "canvas.zip", [
        ("Lopez, Ana", 1001, False, [(50001, "01_loss_functions.ipynb", notebook),
                                     (50002, "loss_optimization.zip", work["zip"])]),
        ("Jones, Bob", 1002, False, [(50003, "01_loss_functions.ipynb", notebook)]),
    ])
    roster = _canvas_roster(tmp_path, [("ana", 1001, "Ana Lopez"), ("bob", 1002, "Bob Jones")])
    batch = read_batch(download, tmp_path / "work", roster)
    students = by_id(batch)
    assert sorted(students) == ["ana", "bob"]
    assert batch.notes == [
        "Read as an LMS download: 2 students named as Canvas names them."], batch.notes


@pytest.mark.parametrize("with_roster", [False, True], ids=["without a roster", "with the roster"])
def test_a_canvas_file_name_starting_with_a_classmates_id_never_takes_their_place(tmp_path, work, with_roster):
    download = canvas_download(tmp_path / "canvas.zip", [
        ("Jones, Bob", 1002, False, [(50000, "loss_optimization.zip", work["zip"])]),
        ("Lory, Mal", 1003, False, [(50001, "1002_50002_loss_optimization.zip", work["buggy_zip"])]),
    ])
    roster = _canvas_roster(tmp_path, [("bob", 1002, "Bob Jones"), ("mal", 1003, "Mal Lory")]) if with_roster else None
    batch = read_batch(download, tmp_path / "work", roster)
    students = by_id(batch)
    assert untouched(students["bob" if with_roster else "1002"], work["good"])
    if with_roster:  # read as 1003's or 1002's, both students: left for grading by hand, with a note
        assert "mal" not in students
        assert any("reads as the entry of 1003 or 1002" in note for note in batch.notes), batch.notes
    else:  # as Canvas reads it: the leftmost id, the student's own
        assert "return 0.0, W" in package_text(students["1003"])


def test_a_canvas_entry_no_reading_of_which_the_roster_names_is_read_as_canvas_reads_it_with_a_note(tmp_path, work):
    download = canvas_download(tmp_path / "canvas.zip", [
        ("Lopez, Ana", 1001, False, [(50001, "2024_loss_optimization.zip", work["zip"])]),
    ])
    batch = read_batch(download, tmp_path / "work", _canvas_roster(tmp_path, [("bob", 1002, "Bob Jones")]))
    assert sorted(by_id(batch)) == ["1001"]
    assert any("can be read as more than one id's" in note and "lopezana_1001_50001_2024_loss_optimization.zip (read "
               "as 1001's; it also reads as 50001's)" in note for note in batch.notes), batch.notes


def test_a_canvas_name_longer_than_a_file_name_can_be_is_read_only_the_leftmost_way():
    from autograder.intake import layouts

    def name(pairs):
        return "a" + "".join(f"_{i}" for i in range(pairs)) + "_x.py"

    short, overlong = layouts.classify(name(40), False), layouts.classify(name(20_000), False)
    assert len(name(40).encode()) <= layouts.NAME_MAX < len(name(20_000).encode())
    assert (short.lms_id, len(short.other_readings)) == ("0", 38)  # each "_<id>_<attachment>_" of it, one per id
    assert (overlong.lms_id, overlong.other_readings) == ("0", ())  # never unpacked: each reading would copy it
