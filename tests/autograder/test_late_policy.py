"""The late policy (``grade --late-policy``): the rule, its file, and a graded batch's totals, pages and export."""

import csv
import json
import subprocess
from datetime import datetime

import pytest

from autograder.grading.late import NO_TIME, LatePolicyError, parse_policy, read_policy
from autograder.intake.batch import Submission
from autograder.intake.times import BLACKBOARD_ATTEMPT, NBGRADER_TIMESTAMP
from autograder.outputs.totals import Total, describe
from autograder.results import from_record, to_record
from support.submissions import PYTHON, REPO, make_submission

POLICY = """
deadline = 2026-12-01T23:59:00+00:00
grace_minutes = 15
penalty_percent = 10
per = "day"
max_penalty_percent = 50
cutoff = 2026-12-08T23:59:00+00:00

[extensions]
ana = 2026-12-04T23:59:00+00:00
"""
#: The batch's policy also grants a mistyped id an extension.
BATCH_POLICY = POLICY + "anna = 2026-12-04T23:59:00+00:00\n"


def policy_file(tmp_path, text=POLICY):
    path = tmp_path / "late.toml"
    path.write_text(text, encoding="utf-8")
    return path


def submitted(student_id, when, source=NBGRADER_TIMESTAMP, late=None):
    return Submission(student_id, submitted_at=when, submitted_from=source if when else "", late=late)


@pytest.mark.parametrize("student_id, when, percent", [
    pytest.param("ben", datetime(2026, 12, 1, 23, 0), 0, id="on_time_costs_nothing"),
    pytest.param("ben", datetime(2026, 12, 2, 0, 10), 0, id="within_the_grace_period_costs_nothing"),
    pytest.param("ben", datetime(2026, 12, 2, 0, 20), 10, id="just_past_grace_costs_one_started_day"),
    pytest.param("ben", datetime(2026, 12, 3, 11, 59), 20, id="one_and_a_half_days_late_costs_two_started_days"),
    pytest.param("ben", datetime(2026, 12, 8, 0, 0), 50, id="six_days_late_is_capped"),
    pytest.param("ben", datetime(2026, 12, 9, 0, 0), 100, id="past_the_cutoff_scores_zero"),
    pytest.param("ana", datetime(2026, 12, 3, 11, 59), 0, id="an_extension_moves_one_students_deadline"),
    pytest.param("ana", datetime(2026, 12, 5, 12, 0), 10, id="late_past_an_extension_is_penalized_from_it"),
])
def test_the_penalty_follows_the_rule(tmp_path, student_id, when, percent):
    lateness = read_policy(policy_file(tmp_path)).assess(submitted(student_id, when))
    assert lateness.percent == percent
    assert "Handed in" in lateness.note


def test_hours_count_started_hours_and_blackboard_times_are_read_in_the_course_zone():
    policy = parse_policy({"deadline": datetime(2026, 12, 1, 12, 0), "timezone": "Europe/Berlin",
                           "penalty_percent": 5, "per": "hour"})
    # Noon in Berlin is 11:00 UTC: nbgrader's 11:30 (UTC) is 30 minutes late, Blackboard's 11:30 (Berlin) on time.
    assert policy.assess(submitted("ben", datetime(2026, 12, 1, 11, 30))).percent == 5
    assert policy.assess(submitted("ben", datetime(2026, 12, 1, 11, 30), BLACKBOARD_ATTEMPT)).percent == 0
    assert policy.assess(submitted("ben", datetime(2026, 12, 1, 14, 1), BLACKBOARD_ATTEMPT)).percent == 15


@pytest.mark.parametrize("penalty, percent, says", [
    pytest.param({}, 0, "noted, no penalty", id="canvas_late_flag_alone_is_noted_without_penalty"),
    pytest.param({"canvas_late_flag_penalty": 10}, 10, "10% off", id="canvas_late_flag_costs_what_the_policy_says"),
])
def test_a_late_flag_without_a_time(penalty, percent, says):
    policy = parse_policy({"deadline": datetime(2026, 12, 1, 12, 0), "penalty_percent": 5, **penalty})
    lateness = policy.assess(submitted("ben", None, late=True))
    assert (lateness.percent, says in lateness.note) == (percent, True)


def test_a_download_without_times_says_the_policy_was_not_applied():
    policy = parse_policy({"deadline": datetime(2026, 12, 1, 12, 0), "penalty_percent": 5})
    assert policy.assess(submitted("ben", None)).percent == 0
    assert policy.assess(submitted("ben", None)).note == NO_TIME == ("No submission time in this download: late "
                                                                     "policy not applied.")


def test_a_course_file_may_hold_the_policy_in_a_late_table(tmp_path):
    path = policy_file(tmp_path, "[other]\nx = 1\n\n[late]\n" + POLICY.replace("[extensions]", "[late.extensions]"))
    assert read_policy(path).deadline_of("ana") == datetime.fromisoformat("2026-12-04T23:59:00+00:00")


@pytest.mark.parametrize("text, key", [
    pytest.param('penalty_percent = 10\n', "'deadline' is missing", id="a_missing_deadline"),
    pytest.param('deadline = "2026-12-01"\n', "'deadline' must be a TOML date-time", id="a_quoted_deadline"),
    pytest.param('deadline = 2026-12-01\npenalty_percent = -5\n', "'penalty_percent' must be a number",
                 id="a_negative_penalty"),
    pytest.param('deadline = 2026-12-01\nper = "week"\n', "'per' must be", id="an_unknown_unit"),
    pytest.param('deadline = 2026-12-01\ntimezone = "Mars/Olympus"\n', "'timezone' must be", id="an_unknown_zone"),
    pytest.param('deadline = 2026-12-01\ngrace = 5\n', "unknown key 'grace'", id="a_misspelt_key"),
    pytest.param('deadline = 2026-12-01\n[extensions]\nana = "soon"\n', "'extensions.ana' must be",
                 id="a_bad_extension"),
    pytest.param('deadline = \n', "is not valid TOML", id="broken_toml"),
])
def test_a_bad_policy_file_is_refused_naming_the_key(tmp_path, text, key):
    with pytest.raises(LatePolicyError, match=key):
        read_policy(policy_file(tmp_path, text))


def test_the_total_sentence_shows_the_penalty_and_keeps_the_raw_code_score():
    total = Total(100, 100, 40, 50, late_percent=20)
    assert (total.earned, total.late_penalty, total.score) == (140, 28, 112)
    assert describe(total) == ("Total: 112 / 150 = code 100 / 100 (autograded) + written answers 40 / 50 (graded by "
                               "hand), minus a late penalty of 20% of the points earned (28 points).")
    assert "late" not in describe(Total(100, 100, 40, 50))


def test_the_record_keeps_the_percentage_so_merge_gives_the_same():
    from autograder.results import StudentResult

    student = StudentResult("ben", 1, [], late_percent=20.0)
    assert from_record(json.loads(json.dumps(to_record(student)))).late_percent == 20.0


def start_grade(submitted, out, *extra):
    return subprocess.Popen([str(PYTHON), "-m", "autograder", "grade", str(submitted), "--out", str(out), "--quiet",
                             "--seed", "3", *extra], cwd=REPO, text=True, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)


def run(*arguments):
    completed = subprocess.run([str(PYTHON), "-m", "autograder", *map(str, arguments)], cwd=REPO,
                               capture_output=True, text=True)
    assert completed.returncode == 0, completed.stderr
    return completed


@pytest.fixture(scope="module")
def late_batch(tmp_path_factory):
    """nbgrader's submitted/ with timestamp.txt (ana on time by her extension, ben 1.5 days late, cy none) graded
    with the policy in one run and in two shards at once, the shards merged, the run exported in the plain format."""
    root = tmp_path_factory.mktemp("late")
    folder = root / "submitted"
    for student_id, stamp in (("ana", "2026-12-03 11:59:00.000000 UTC"), ("ben", "2026-12-03 11:59:00.000000 UTC"),
                              ("cy", None)):
        assignment = make_submission(folder, student_id)
        if stamp:
            (assignment / "timestamp.txt").write_text(stamp + "\n")
    policy = ("--late-policy", policy_file(root, BATCH_POLICY))
    runs = [start_grade(folder, root / "out", "--gradebook", "none", *policy)]
    runs += [start_grade(folder, root / f"shard-{index}", "--shard", f"{index}/2", *policy) for index in range(2)]
    stderrs = []
    for process in runs:
        stderrs.append(process.communicate()[1])
        assert process.returncode == 0, stderrs[-1]
    assert "extensions to students not in this batch: anna." in stderrs[0]
    run("merge", root / "shard-0", root / "shard-1", "--out", root / "merged", "--gradebook", "none")
    run("export", root / "out", "--format", "plain", "--out", root / "plain.csv", "--gradebook", "none",
        "--part", "code")
    return root / "out", root / "plain.csv", root / "merged"


def rows_by_student(path):
    with open(path, newline="", encoding="utf-8") as handle:
        return {row["student_id"]: row for row in csv.DictReader(handle)}


def test_a_graded_batch_penalizes_the_late_student_in_totals_csv(late_batch):
    totals = rows_by_student(late_batch[0] / "totals.csv")
    assert {student: (row["code"], row["late_percent"], row["late_penalty"], row["total"])
            for student, row in totals.items()} == {"ana": ("100", "0", "0", "100"), "ben": ("100", "20", "20", "80"),
                                                    "cy": ("100", "0", "0", "100")}


def test_the_late_students_feedback_page_says_why_and_by_how_much(late_batch):
    ben = (late_batch[0] / "ben" / "feedback.html").read_text(encoding="utf-8")
    assert "minus a late penalty of 20% of the points earned (20 points)" in ben
    assert "late by 1 day 12 hours, 20% off" in ben
    assert "(extended): on time" in (late_batch[0] / "ana" / "feedback.html").read_text(encoding="utf-8")
    assert "late policy not applied" in (late_batch[0] / "cy" / "feedback.html").read_text(encoding="utf-8")


def test_the_plain_export_gives_the_score_after_the_penalty_and_the_penalty(late_batch):
    plain = rows_by_student(late_batch[1])
    assert {student: (row["total"], row["late_penalty"]) for student, row in plain.items()} == {
        "ana": ("100", "0"), "ben": ("80", "20"), "cy": ("100", "0")}


def test_merged_shards_give_the_same_penalized_totals_and_pages_as_one_run(late_batch):
    out, _, merged = late_batch
    assert (merged / "totals.csv").read_bytes() == (out / "totals.csv").read_bytes()
    assert (merged / "ben" / "feedback.html").read_bytes() == (out / "ben" / "feedback.html").read_bytes()


@pytest.fixture
def penalized(tmp_path):
    """An output folder of ``grade`` whose one student, full marks with written answers 20, lost 25% for lateness."""
    from autograder import catalogue, course
    from autograder.outputs import tables
    from autograder.points import load_points
    from autograder.results import BatchResult, Row, StudentResult

    rows = [Row(catalogue.Verdict(name, course.group_of(name), False, "", "passed"), worth, worth)
            for name, worth in load_points().items()]
    alice = StudentResult("alice", 0, rows, written=20.0, name="Alice Smith", lms_id="1001", late_percent=25.0)
    out = tmp_path / "graded"
    out.mkdir()
    tables.write(BatchResult([alice], out, "bubblewrap", "", 0, False), out)
    return out


def test_every_export_writes_the_score_after_the_penalty(tmp_path, penalized):
    from autograder.lms import moodle
    from autograder.lms.export import export
    from autograder.outputs.totals import written_points
    from support.lms_importers import CanvasCourse, MoodleAssignment, canvas_import, moodle_import

    total = 100 + written_points()  # exported unscaled

    export(penalized, "canvas", tmp_path / "canvas.csv", assignment="Loss optimization (1234)")
    canvas = canvas_import((tmp_path / "canvas.csv").read_text(), CanvasCourse(
        assignments={1234: ("Loss optimization", float(total))}, students={1001: ("Alice Smith", "Alice Smith", "", "")}))
    assert canvas.rows == [(1001, {1234: "90"})]  # (100 + 20) * 0.75
    export(penalized, "moodle", tmp_path / "moodle.csv", max_grade=total)
    text = moodle.LANGUAGES["en"]
    written, skipped = moodle_import((tmp_path / "moodle.csv").read_text(), MoodleAssignment(
        participants={1001: "alice-user"}, max_grade=float(total),
        strings=(text.identifier, text.participant, text.grade, text.modified)))
    assert (written, skipped) == ({"alice-user": 90.0}, {})
    export(penalized, "plain", tmp_path / "plain.csv")
    assert {key: rows_by_student(tmp_path / "plain.csv")["alice"][key] for key in ("code", "written", "total",
                                                                                "late_percent", "late_penalty")} == {
        "code": "100", "written": "20", "total": "90", "late_percent": "25", "late_penalty": "30"}
