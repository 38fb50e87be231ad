"""Rosters: the two kinds of id never confused, teams graded and exported for every member (issue 18).

Each round trip goes from a download built by the LMS's naming (``support.lms``) through the intake, the
outputs and ``export`` to that LMS's importer, transcribed in ``support.lms_importers``. The grading itself
is left out: each student's score is read from a marker in the package they handed in, so that a grade
reaching the wrong student shows.
"""

import re

import pytest

from autograder import catalogue, course
from autograder.intake import read_batch
from autograder.lms.export import export
from autograder.lms.roster import Roster, Student, read_roster
from autograder.outputs import tables
from autograder.outputs.totals import written_points
from autograder.points import load_points
from autograder.results import BatchResult, Row, StudentResult
from support.lms import assignment_folder, assignment_zip, canvas_download, moodle_download
from support.lms_importers import CanvasCourse, MoodleAssignment, canvas_import, moodle_import
from support.submissions import make_submission

#: The whole assignment's points (code and written answers): exported unscaled.
TOTAL = 100 + written_points()

#: Ana's course id is Bob's Moodle participant id.
COLLIDING = ("student_id,lms_id,name\n"
             "1001,2001,Ana Lopez\n"
             "bjones,1001,Bob Jones\n")
MARK = re.compile(r"# handed in by (\S+) for (\d+) points")


@pytest.fixture(scope="module")
def zips(tmp_path_factory):
    """Each author's zip of the assignment, marked with their name and the score it is to earn."""
    root = tmp_path_factory.mktemp("zips")
    return {author: assignment_zip(assignment_folder(root / author, append={
        "losses.py": f"\n# handed in by {author} for {points} points\n"}))
        for author, points in (("ana", 70), ("bob", 40), ("cleo", 90))}


def roster_of(tmp_path, text):
    path = tmp_path / "roster.csv"
    path.write_text(text, encoding="utf-8")
    return read_roster(path)


def graded_as_handed_in(batch, out):
    """``out`` as ``grade`` writes it, each student scored with the points their package's marker says."""
    worth = load_points()
    students = []
    for submission in batch.submissions:
        author, points = MARK.search((submission.folder / course.PACKAGE / "losses.py").read_text()).groups()
        rows, left = [], float(points)
        for name, value in worth.items():
            earned = min(value, left)
            left -= earned
            rows.append(Row(catalogue.Verdict(name, course.group_of(name), False, "",
                                              "passed" if earned else "failed"), earned, value))
        students.append(StudentResult(submission.student_id, 0, rows, written=0.0, name=submission.name,
                                      lms_id=submission.lms_id))
    out.mkdir()
    tables.write(BatchResult(students, out, "bubblewrap", "", 0, False), out)
    return out


def test_each_kind_of_id_is_looked_up_as_itself():
    ana, bob = Student("1001", "2001", "Ana"), Student("bjones", "1001", "Bob")
    roster = Roster([ana, bob])
    assert (roster.by_course_id("1001"), roster.by_lms_id("1001")) == (ana, bob)
    assert (roster.by_course_id("2001"), roster.by_lms_id("bjones")) == (None, None)


def test_a_course_id_equal_to_another_students_moodle_id_keeps_both_apart_to_moodles_import(tmp_path, zips):
    download = moodle_download(tmp_path / "moodle.zip", [
        ("Ana Lopez", 2001, {"loss_optimization.zip": zips["ana"]}, None),
        ("Bob Jones", 1001, {"loss_optimization.zip": zips["bob"]}, None)])
    roster = roster_of(tmp_path, COLLIDING)
    batch = read_batch(download, tmp_path / "work", roster)
    assert [(s.student_id, s.lms_id) for s in batch.submissions] == [("1001", "2001"), ("bjones", "1001")]
    assert not [note for note in batch.notes if "handed in nothing" in note or "one student" in note]
    graded = graded_as_handed_in(batch, tmp_path / "graded")
    export(graded, "moodle", tmp_path / "moodle.csv", roster, gradebook=None, max_grade=TOTAL)
    written, skipped = moodle_import((tmp_path / "moodle.csv").read_text(),
                                     MoodleAssignment({2001: "ana", 1001: "bob"}, max_grade=TOTAL))
    assert (written, skipped) == ({"ana": 70.0, "bob": 40.0}, {})


def test_a_folder_named_by_a_course_id_is_that_student_not_the_one_with_that_lms_id(tmp_path):
    submitted = tmp_path / "submitted"
    make_submission(submitted, "1001", append={"losses.py": "\n# handed in by ana for 70 points\n"})
    make_submission(submitted, "bjones", append={"losses.py": "\n# handed in by bob for 40 points\n"})
    roster = roster_of(tmp_path, COLLIDING)
    batch = read_batch(submitted, tmp_path / "work", roster)
    assert [(s.student_id, s.lms_id, s.name) for s in batch.submissions] == [
        ("1001", "2001", "Ana Lopez"), ("bjones", "1001", "Bob Jones")]
    graded = graded_as_handed_in(batch, tmp_path / "graded")
    export(graded, "canvas", tmp_path / "canvas.csv", roster, gradebook=None, assignment="Loss optimization (5)")
    course_ = CanvasCourse({5: ("Loss optimization", float(TOTAL))},
                           {2001: ("Ana Lopez", "Lopez, Ana", "", ""), 1001: ("Bob Jones", "Jones, Bob", "", "")})
    assert canvas_import((tmp_path / "canvas.csv").read_text(), course_).rows == [(2001, {5: "70"}), (1001, {5: "40"})]


def test_without_a_roster_a_folders_name_is_never_taken_for_an_lms_id(tmp_path):
    submitted = tmp_path / "submitted"
    make_submission(submitted, "1001")
    [submission] = read_batch(submitted, tmp_path / "work").submissions
    assert (submission.student_id, submission.lms_id) == ("1001", "")


def test_an_lms_id_missing_from_the_roster_is_never_graded_as_the_student_whose_course_id_it_is(tmp_path, zips):
    download = moodle_download(tmp_path / "moodle.zip", [
        ("Ana Lopez", 2001, {"loss_optimization.zip": zips["ana"]}, None),
        ("Stranger", 1001, {"loss_optimization.zip": zips["bob"]}, None)])
    roster = roster_of(tmp_path, "student_id,lms_id\n1001,2001\n")
    batch = read_batch(download, tmp_path / "work", roster)
    assert [s.student_id for s in batch.submissions] == ["1001", "moodle-1001"]
    assert any("graded under the LMS's name and the id so as not to be taken for theirs: moodle-1001" in note
               for note in batch.notes)


def test_entries_of_two_kinds_that_fall_on_one_id_are_merged_only_with_a_note(tmp_path, zips):
    download = tmp_path / "download"
    make_submission(download, "1001")
    (download / "Bob Jones_1001_assignsubmission_file_").mkdir()
    (download / "Bob Jones_1001_assignsubmission_file_" / "loss_optimization.zip").write_bytes(
        zips["bob"])
    batch = read_batch(download, tmp_path / "work")
    assert [s.student_id for s in batch.submissions] == ["1001"]
    assert "Entries graded as one student (the newest copy graded): 1001 (the folder 1001 and Moodle's 1001)." \
        in batch.notes


TEAM = ("student_id,lms_id,name,group_id\n"
        "ana,2001,Ana Lopez,7\n"
        "bob,1001,Bob Jones,7\n"
        "cleo,3001,Cleo Wu,\n")


def test_a_moodle_team_submission_under_its_group_id_is_graded_and_imported_for_every_member(tmp_path, zips):
    download = moodle_download(tmp_path / "moodle.zip", [
        ("Team seven", 7, {"loss_optimization.zip": zips["ana"]}, None),
        ("Cleo Wu", 3001, {"loss_optimization.zip": zips["cleo"]}, None)])
    roster = roster_of(tmp_path, TEAM)
    batch = read_batch(download, tmp_path / "work", roster)
    assert [(s.student_id, s.lms_id) for s in batch.submissions] == [("ana", "2001"), ("bob", "1001"),
                                                                     ("cleo", "3001")]
    graded = graded_as_handed_in(batch, tmp_path / "graded")
    export(graded, "moodle", tmp_path / "moodle.csv", roster, gradebook=None, max_grade=TOTAL)
    written, skipped = moodle_import((tmp_path / "moodle.csv").read_text(), MoodleAssignment(
        {2001: "ana", 1001: "bob", 3001: "cleo", 7: "nobody"}, max_grade=TOTAL))
    assert (written, skipped) == ({"ana": 70.0, "bob": 70.0, "cleo": 90.0}, {})


def test_a_canvas_group_submission_under_one_members_id_is_graded_and_imported_for_every_member(tmp_path, zips):
    download = canvas_download(tmp_path / "canvas.zip", [
        ("lopezana", 2001, False, [(50001, "loss_optimization.zip", zips["ana"])]),
        ("wucleo", 3001, False, [(50002, "loss_optimization.zip", zips["cleo"])])])
    roster = roster_of(tmp_path, TEAM.replace(",7\n", ",team-a\n"))
    batch = read_batch(download, tmp_path / "work", roster)
    assert [s.student_id for s in batch.submissions] == ["ana", "bob", "cleo"]
    graded = graded_as_handed_in(batch, tmp_path / "graded")
    export(graded, "canvas", tmp_path / "canvas.csv", roster, gradebook=None, assignment="Loss optimization (5)")
    course_ = CanvasCourse({5: ("Loss optimization", float(TOTAL))}, {
        2001: ("Ana Lopez", "Lopez, Ana", "", ""), 1001: ("Bob Jones", "Jones, Bob", "", ""),
        3001: ("Cleo Wu", "Wu, Cleo", "", "")})
    assert canvas_import((tmp_path / "canvas.csv").read_text(), course_).rows == [
        (2001, {5: "70"}), (1001, {5: "70"}), (3001, {5: "90"})]


def test_an_id_that_is_both_a_students_and_a_teams_is_named(tmp_path, zips):
    download = moodle_download(tmp_path / "moodle.zip", [
        ("Team", 1001, {"loss_optimization.zip": zips["ana"]}, None)])
    roster = roster_of(tmp_path, "student_id,lms_id,group_id\nana,2001,1001\nbob,1001,1001\n")
    batch = read_batch(download, tmp_path / "work", roster)
    assert [s.student_id for s in batch.submissions] == ["ana", "bob"]
    assert any(note.startswith("Ids that are both a student's LMS id and a team's group_id") and
               "1001 (read as the team)" in note for note in batch.notes)


# A roster whose group ids come from another activity's groups: 1001 is Bob's participant id and a group's id.
GROUPS_ELSEWHERE = "student_id,lms_id,name,group_id\nana,2001,Ana Lopez,1001\nbob,1001,Bob Jones,\ncleo,3001,Cleo Wu,\n"


def test_in_a_download_of_participants_an_id_that_is_also_a_groups_is_the_participants(tmp_path, zips):
    download = moodle_download(tmp_path / "moodle.zip", [
        ("Bob Jones", 1001, {"loss_optimization.zip": zips["ana"]}, None),
        ("Cleo Wu", 3001, {"loss_optimization.zip": zips["cleo"]}, None)])
    batch = read_batch(download, tmp_path / "work", roster_of(tmp_path, GROUPS_ELSEWHERE))
    assert [s.student_id for s in batch.submissions] == ["bob", "cleo"]
    assert any("1001 (read as the student)" in note for note in batch.notes)


@pytest.mark.parametrize("entry_name, graded_for", [
    ("Bob Jones", ["bob"]),  # named after the participant: his own work
    ("bob_jones", ["bob"]),  # as Moodle writes a name with "_" (a space), in another case
    ("Team seven", ["ana"]),  # named otherwise: the group's, Moodle's form for a team
])
def test_a_lone_entry_whose_id_is_a_participants_and_a_groups_is_read_by_its_name(tmp_path, zips, entry_name,
                                                                                 graded_for):
    download = moodle_download(tmp_path / "moodle.zip", [(entry_name, 1001, {"loss_optimization.zip": zips["ana"]},
                                                          None)])
    batch = read_batch(download, tmp_path / "work", roster_of(tmp_path, GROUPS_ELSEWHERE))
    assert [s.student_id for s in batch.submissions] == graded_for
