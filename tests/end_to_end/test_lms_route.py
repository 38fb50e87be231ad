"""The README's route from an LMS download to the LMS's gradebook, with the real nbgrader and the course's config.

On a copy of the course: the release is built; three students hand their work in through Moodle (Ana zips
her assignment folder, Bob zips the folder around it, so his is doubly nested, and Cleo's upload is a broken
zip); the instructor puts Moodle's "Download all submissions" zip in ``downloaded/loss_optimization/archive/``
and runs, as GRADING.md says, ``nbgrader zip_collect`` (the course's roster maps Moodle's participant ids to
the course's ids), ``nbgrader autograde``, grades the written answers (here through nbgrader's API, as
formgrader does), ``python -m autograder grade submitted``, ``python -m autograder export`` for Moodle's
grading worksheet, ``nbgrader export`` and ``nbgrader generate_feedback``. Every page must state the same
total, in its two parts.
"""

import csv
import html
import io
import re
import shutil
import subprocess
import sys

import pytest

from autograder import course
from autograder.outputs.totals import written_cell_ids, written_points
from corpus.build import CORPUS_DIR, apply_case, load_cases, shared_record
from support.lms import folder_files, moodle_download, zip_bytes
from support.lms_importers import MoodleAssignment, moodle_import
from test_nbgrader_cycle import Course, complete_assignment

ASSIGNMENT = course.ASSIGNMENT
#: The written answers' points and the assignment's, as the notebooks give them.
WRITTEN = written_points()
TOTAL = 100 + WRITTEN
ROSTER = "student_id,lms_id,name,email\nalopez,1001,Ana Lopez,ana@example.edu\nbjones,1002,Bob Jones,bob@example.edu\n" \
         "cwu,1003,Cleo Wu,cleo@example.edu\n"
BUGGY_CASE = "svm_naive_counts_correct_class"


def grade_written_answers(course_copy, student, score_of):
    """Grade every written answer of ``student`` as a TA does in formgrader: ``score_of(max score)`` points each."""
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course_copy.course / 'gradebook.db'}", course_id=ASSIGNMENT) as gradebook:
        submission = gradebook.find_submission(ASSIGNMENT, student)
        for notebook in submission.notebooks:
            for grade in notebook.grades:
                if grade.name in written_cell_ids():
                    grade.manual_score = score_of(grade.max_score)
                    grade.needs_manual_grade = False  # as formgrader's grade handler does
        gradebook.db.commit()


def text_of(path):
    """What a person reading the HTML page ``path`` sees, whitespace collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]*>", " ", path.read_text(encoding="utf-8"))).split())


def run_route(folder):
    """Run the route in ``folder``; return what the tests look at, as plain data."""
    course_copy = Course(folder)
    course_copy.release()
    release = course_copy.course / "assignments" / ASSIGNMENT
    work = folder / "work"
    ana = shutil.copytree(release, work / "ana" / ASSIGNMENT)
    complete_assignment(ana, course_copy.source)
    bob = shutil.copytree(release, work / "bob" / ASSIGNMENT / ASSIGNMENT)
    complete_assignment(bob, course_copy.source)
    case = next(case for case in load_cases(CORPUS_DIR) if case.id == BUGGY_CASE)
    apply_case(case, bob, {"RELEASE": release})
    for notebook in bob.glob("*.ipynb"):
        if not notebook.name.startswith("01_"):
            notebook.unlink()
    archive = course_copy.course / "downloaded" / ASSIGNMENT / "archive"
    archive.mkdir(parents=True)
    moodle_download(archive / "moodle-download.zip", [
        ("Ana Lopez", 1001, {"loss_optimization.zip": zip_bytes(folder_files(ana, f"{ASSIGNMENT}/"))}, None),
        ("Bob Jones", 1002, {"hw.zip": zip_bytes(folder_files(bob.parent, f"{ASSIGNMENT}/"))}, None),
        ("Cleo Wu", 1003, {"loss_optimization.zip": b"PK\x03\x04 the upload broke off"}, None),
    ])
    (course_copy.course / "roster.csv").write_text(ROSTER)
    record = {}
    collected = course_copy.instructor("zip_collect", ASSIGNMENT, "--LMSCollector.roster=roster.csv")
    record["zip_collect_log"] = collected.stdout + collected.stderr
    submitted = course_copy.course / "submitted"
    record["collected"] = {student.name: sorted(p.relative_to(student / ASSIGNMENT).as_posix()
                                                for p in (student / ASSIGNMENT).rglob("*") if p.is_file())
                           for student in sorted(submitted.iterdir())}
    autograded = course_copy.instructor("autograde", ASSIGNMENT)
    record["autograde_log"] = autograded.stdout + autograded.stderr
    grade_written_answers(course_copy, "alopez", lambda points: points)

    def autograder(*args):
        completed = subprocess.run([sys.executable, "-m", "autograder", *args], cwd=course_copy.course,
                                   env=course_copy.env("instructor"), capture_output=True, text=True)
        return {"returncode": completed.returncode, "stdout": completed.stdout, "stderr": completed.stderr}

    record["grade"] = autograder("grade", "submitted", "--out", "graded", "--roster", "roster.csv", "--quiet")
    graded = course_copy.course / "graded"
    record["sandbox_feedback"] = {student: text_of(graded / student / "feedback.html") for student in
                                  ("alopez", "bjones")}
    record["export_refused"] = autograder("export", "graded", "--format", "moodle", "--out", "moodle.csv",
                                          "--roster", "roster.csv", "--max-grade", f"{TOTAL:g}")
    grade_written_answers(course_copy, "bjones", lambda points: 0.0)
    record["export"] = autograder("export", "graded", "--format", "moodle", "--out", "moodle.csv", "--roster",
                                  "roster.csv", "--max-grade", f"{TOTAL:g}")
    record["moodle_csv"] = (course_copy.course / "moodle.csv").read_text() if record["export"]["returncode"] == 0 \
        else ""
    course_copy.instructor("export")
    record["nbgrader_export"] = (course_copy.course / "grades.csv").read_text()
    course_copy.instructor("generate_feedback", ASSIGNMENT)
    feedback = course_copy.course / "feedback"
    record["nbgrader_feedback"] = {student: text_of(feedback / student / ASSIGNMENT / "01_loss_functions.html")
                                   for student in ("alopez", "bjones")}
    return record


@pytest.fixture(scope="module")
def route(request, tmp_path_factory):
    return shared_record("lms-route", request, tmp_path_factory)


def test_zip_collect_collects_each_students_newest_copy_with_its_modules_under_the_rosters_ids(route):
    assert sorted(route["collected"]) == ["alopez", "bjones"]
    for student, files in route["collected"].items():
        assert "01_loss_functions.ipynb" in files
        assert {f"{course.PACKAGE}/{module}.py" for module in course.STUDENT_MODULES} <= set(files), student
    assert len([f for f in route["collected"]["alopez"] if f.endswith(".ipynb")]) == 5


def test_zip_collect_names_the_broken_upload_as_it_is_in_the_download(route):
    log = route["zip_collect_log"]
    assert "note to cwu: Cleo Wu_1003_assignsubmission_file/loss_optimization.zip is not a readable zip file" in log
    assert "note to bjones: Your assignment was found at Bob Jones_1002_assignsubmission_file/hw.zip/loss_optimization/" \
           "loss_optimization/ and graded there." in log


def test_autograde_runs_without_false_checksum_warnings(route):
    assert "Creating/updating student with ID 'alopez'" in route["autograde_log"]
    assert "checksum" not in route["autograde_log"]


def test_the_sandboxed_grade_and_the_feedback_pages_state_the_same_total(route):
    assert route["grade"]["returncode"] == 0, route["grade"]["stderr"]
    sentence = (f"Total: {TOTAL:g} / {TOTAL:g} = code 100 / 100 (autograded) + written answers {WRITTEN:g} / "
                f"{WRITTEN:g} (graded by hand).")
    assert sentence in route["sandbox_feedback"]["alopez"]
    assert sentence in route["nbgrader_feedback"]["alopez"]
    bob = route["nbgrader_feedback"]["bjones"]
    total = re.search(rf"Total: (\S+) / {TOTAL:g} = code (\S+) / 100 \(autograded\) \+ written answers 0 / (\S+)", bob)
    assert total and total[1] == total[2] and float(total[2]) < 100


def test_the_export_waits_for_every_written_answer_then_writes_moodles_worksheet(route):
    refused = route["export_refused"]
    assert refused["returncode"] == 2
    assert "export refused: The written answers of 1 student is not graded yet (bjones)" in refused["stderr"]
    assert route["export"]["returncode"] == 0, route["export"]["stderr"]
    rows = list(csv.DictReader(io.StringIO(route["moodle_csv"])))
    grades = {row["Identifier"]: (row["Full name"], float(row["Grade"]), row["Maximum Grade"]) for row in rows}
    assert grades["Participant 1001"] == ("Ana Lopez", float(TOTAL), f"{TOTAL:g}")
    assert grades["Participant 1002"][0] == "Bob Jones" and grades["Participant 1002"][1] < 100
    assert "cwu" in route["export"]["stderr"]  # on the roster, nothing handed in: not written
    written, skipped = moodle_import(route["moodle_csv"], MoodleAssignment({1001: "ana", 1002: "bob"}, max_grade=TOTAL))
    assert written["ana"] == TOTAL and written["bob"] == grades["Participant 1002"][1] and skipped == {}


def test_nbgrader_export_shows_the_names_the_roster_gives(route):
    rows = list(csv.DictReader(io.StringIO(route["nbgrader_export"])))
    names = {row["student_id"]: (row["first_name"], row["last_name"]) for row in rows}
    assert names["alopez"] == ("Ana", "Lopez") and names["bjones"] == ("Bob", "Jones")
