"""nbgrader's gradebook on a real PostgreSQL server, as multi-grader courses keep it (nbgrader's ``db_url``).

The module starts a throwaway server on 127.0.0.1 (Debian's ``postgresql`` package, which ``make setup``
installs), releases the assignment into it from a copy of the course, grades two students with
``--gradebook postgresql://...`` and reads the scores back with nbgrader's Gradebook API and ``nbgrader export``.
nbgrader itself is given ``postgresql+psycopg2://``: SQLAlchemy 2.1 reads a bare ``postgresql://`` as psycopg 3,
and the driver in requirements.txt is psycopg2 (``grade`` accepts both).
Where the server cannot start, the tests are skipped with the reason; with ``AUTOGRADER_REQUIRE_POSTGRES=1``
(for CI) they fail instead.
"""

import csv
import glob
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path

import pytest
from nbgrader.api import Gradebook

from autograder import catalogue, course
from autograder.nbgrader_hooks.gradebook import default_gradebook_url
from support.ports import free_port
from support.submissions import PYTHON, REPO, make_submission

COURSE_FILES = ("nbgrader_config.py", "solutions", "data")
DATABASE = "gradebook"
#: The server trusts local connections and ignores it: it is there to prove that no output shows it.
PASSWORD = "not-shown-anywhere"
L2_BUG = {"regularization.py": """
    def l2_penalty(W):
        return float(np.sum(W * W)), W.copy()
    """}


def cannot_run(reason):
    if os.environ.get("AUTOGRADER_REQUIRE_POSTGRES") == "1":
        pytest.fail(f"{reason} (and AUTOGRADER_REQUIRE_POSTGRES=1 requires these tests to run)")
    pytest.skip(reason)


def server_binaries():
    """The bin folder of the newest PostgreSQL installed the Debian way."""
    def version(pg_ctl):
        return [int(part) if part.isdigit() else 0 for part in Path(pg_ctl).parent.parent.name.split(".")]

    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=version)
    if not found:
        cannot_run("no PostgreSQL server binaries (/usr/lib/postgresql/*/bin/pg_ctl): install Debian's postgresql "
                   "package (`make setup` does)")
    return Path(found[-1]).parent


def tail(text, lines=8):
    return " | ".join(text.strip().splitlines()[-lines:])


@pytest.fixture(scope="module")
def postgres_url():
    """A fresh PostgreSQL server on 127.0.0.1 with an empty database; its URL (with a password it ignores)."""
    binaries = server_binaries()
    as_postgres = []
    owner = None
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root
        try:
            owner = pwd.getpwnam("postgres")
        except KeyError:
            cannot_run("running as root, which PostgreSQL refuses, and there is no postgres user to run it as")
        if not shutil.which("runuser"):
            cannot_run("running as root, which PostgreSQL refuses, and runuser is missing to run it as postgres")
        as_postgres = ["runuser", "-u", "postgres", "--"]
    # Not under pytest's tmp folder, which only its owner may enter.
    folder = Path(tempfile.mkdtemp(prefix="autograder-postgres-"))
    if owner:
        os.chown(folder, owner.pw_uid, owner.pw_gid)
    data, log = folder / "data", folder / "server.log"

    def run(*command):
        return subprocess.run([*as_postgres, *map(str, command)], cwd=folder, capture_output=True, text=True)

    started = False
    try:
        made = run(binaries / "initdb", "-D", data, "-A", "trust", "-U", "postgres", "--no-sync", "--no-locale",
                   "-E", "UTF8")
        if made.returncode != 0:
            cannot_run(f"initdb could not create a database cluster in {data}: {tail(made.stderr or made.stdout)}")
        for _ in range(3):  # another process may take the free port before the server binds it
            port = free_port()
            start = run(binaries / "pg_ctl", "-D", data, "-l", log, "-w", "-t", "60", "-o",
                        f"-c listen_addresses=127.0.0.1 -p {port} -k {folder} -c fsync=off", "start")
            if start.returncode == 0:
                started = True
                break
        if not started:
            server_log = log.read_text(errors="replace") if log.exists() else ""
            cannot_run(f"the PostgreSQL server did not start on 127.0.0.1:{port}: "
                       f"{tail(start.stderr + start.stdout)} {tail(server_log)}")
        import psycopg2

        connection = psycopg2.connect(host="127.0.0.1", port=port, user="postgres", dbname="postgres")
        connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute(f"CREATE DATABASE {DATABASE}")
        connection.close()
        yield f"postgresql://postgres:{PASSWORD}@127.0.0.1:{port}/{DATABASE}"
    finally:
        if started:
            run(binaries / "pg_ctl", "-D", data, "-m", "fast", "-w", "stop")
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="module")
def graded(postgres_url, tmp_path_factory):
    """A copy of the course whose nbgrader_config.py keeps the gradebook in PostgreSQL, released into it; alice
    (the reference) and bob (an l2_penalty gradient without the 2) graded with --gradebook postgresql://..."""
    course = tmp_path_factory.mktemp("postgres") / "course"
    for name in COURSE_FILES:
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, course / name, ignore=shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints"))
        else:
            course.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, course / name)
    nbgrader_url = postgres_url.replace("postgresql://", "postgresql+psycopg2://", 1)
    with open(course / "nbgrader_config.py", "a", encoding="utf-8") as config:
        config.write(f"\nc.CourseDirectory.db_url = {nbgrader_url!r}\n")
    # `python -m autograder release` on the copy: nbgrader generate_assignment creates the schema and the assignment.
    released = subprocess.run([str(PYTHON), "-c", "import sys; from autograder.release import build_release; "
                               "build_release(course_root=sys.argv[1])", str(course)],
                              cwd=course, capture_output=True, text=True)
    assert released.returncode == 0, released.stderr
    submitted = course / "submitted"
    make_submission(submitted, "alice")
    make_submission(submitted, "bob", append=L2_BUG)
    completed = subprocess.run([str(PYTHON), "-m", "autograder", "grade", str(submitted), "--out", str(course / "out"),
                                "--timeout", "10", "--jobs", "2", "--quiet", "--gradebook", postgres_url],
                               cwd=REPO, capture_output=True, text=True)
    assert completed.returncode == 0, completed.stderr
    return {"course": course, "url": nbgrader_url, "out": course / "out", "completed": completed}


def group_scores(out):
    """``{student: {group: score}}`` from grades.csv."""
    scores = {}
    with open(out / "grades.csv", newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            group = ".".join(row["test"].split(".")[:2])
            student = scores.setdefault(row["student_id"], {})
            student[group] = student.get(group, 0.0) + float(row["score"])
    return scores


def test_grade_writes_every_groups_score_into_the_postgresql_gradebook(graded):
    expected = group_scores(graded["out"])
    assert expected["alice"]["regularization.l2_penalty"] > expected["bob"]["regularization.l2_penalty"]
    with warnings.catch_warnings(), Gradebook(graded["url"], course_id=course.ASSIGNMENT) as gradebook:
        warnings.simplefilter("ignore")  # SQLAlchemy's notes on nbgrader's own session handling
        assert "postgresql" in gradebook.engine.dialect.name
        assignment = gradebook.find_assignment(course.ASSIGNMENT)
        notebook_of = {cell.name: notebook.name for notebook in assignment.notebooks for cell in notebook.grade_cells}
        stored = {student: {group: gradebook.find_grade(catalogue.grade_id(group),
                                                        notebook_of[catalogue.grade_id(group)],
                                                        course.ASSIGNMENT, student).auto_score
                            for group in catalogue.GROUPS}
                  for student in expected}
    assert stored == expected


def test_nbgrader_export_from_postgresql_shows_the_sandboxed_totals(graded, tmp_path):
    exported = tmp_path / "export.csv"
    completed = subprocess.run([str(Path(sys.executable).parent / "nbgrader"), "export", f"--to={exported}"],
                               cwd=graded["course"], capture_output=True, text=True)
    assert completed.returncode == 0, completed.stderr
    with open(exported, newline="", encoding="utf-8") as handle:
        rows = {row["student_id"]: row for row in csv.DictReader(handle)}
    totals = {student: sum(groups.values()) for student, groups in group_scores(graded["out"]).items()}
    assert set(rows) == set(totals)
    for student, total in totals.items():
        assert rows[student]["assignment"] == course.ASSIGNMENT
        assert float(rows[student]["score"]) == pytest.approx(total)


def test_the_gradebook_password_is_never_printed_nor_written_to_the_summary(graded):
    note = "Scores written to the gradebook postgresql://postgres:***@127.0.0.1:"
    assert note in graded["completed"].stdout
    summary = (graded["out"] / "summary.html").read_text(encoding="utf-8")
    assert note in summary
    for text in (graded["completed"].stdout, graded["completed"].stderr, summary):
        assert PASSWORD not in text
    assert "no test cell for" not in summary  # the release put a test cell for every group in PostgreSQL


def test_grade_auto_finds_the_postgresql_gradebook_named_by_the_courses_nbgrader_config(graded):
    assert default_gradebook_url(graded["course"] / "submitted") == graded["url"]
