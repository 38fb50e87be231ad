"""The course hub of ``autograder/deploy/jupyterhub/``, started as root with real Linux users, driven as a class.

``support.hub`` creates the accounts (two students of this course, the good and the buggy one of the nbgrader
cycle test; a student of another course; the instructor; the grader account that owns the course root; an account
in no course, which the hub must refuse), starts
``jupyterhub`` with the deploy folder's configuration on free ports of 127.0.0.1, and removes everything again.
Everyone logs in through the hub's login form (PAM checks the passwords) and asks the hub for a token. Then, all
through the hub's proxy:

- the students start their servers (the hub's pre-spawn hook makes each home private);
- the instructor releases the assignment with the course's formgrader, a hub service run as the grader account;
- the students list, fetch (nbgrader's assignment_list API of their own servers), do the work (the servers'
  contents API) and submit; the other course's student sees and fetches nothing;
- the instructor collects and autogrades with formgrader; the grader account runs the sandboxed
  ``python -m autograder grade`` on the collected folder (as from formgrader's terminal, GRADING.md's route 1);
  formgrader generates and releases the feedback; the students fetch it.

The negative checks run as the students' own Linux accounts: the exchange's inbound folder and a classmate's
home cannot be listed, and formgrader answers a student with 403.
"""

import grp
import pwd
import shutil
import stat
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from corpus.build import (
    ASSIGNMENT, CORPUS_DIR, PACKAGE, REFERENCE_PACKAGE, REPO, apply_case, load_cases, matches, read_grades,
    shared_record, strip_markers, student_modules,
)
from support.hub import Hub, Machine, password
from support.ports import free_port
from test_nbgrader_cycle import BUGGY, CASES, COURSE_FILES, GOOD

COURSE = ASSIGNMENT  # the course id of the repository's nbgrader_config.py
OTHER_COURSE = "other_course"
OTHER = "other_course_student"
INSTRUCTOR = "instructor"
#: An account of the machine in no course's group: PAM would accept its password, the hub must not.
OUTSIDER = "no_course_user"
GRADER = f"grader-{COURSE}"
STUDENTS = (GOOD, BUGGY)
EVERYONE_LOGGING_IN = (*STUDENTS, OTHER, INSTRUCTOR)
FORMGRADER = f"/services/{COURSE}/formgrader/api"
COURSES_TOML = """\
[hub]
exchange = "{exchange}"
state = "{state}"
formgrader_port = {port}

[courses.{course}]
grader = "{grader}"
root = "{root}"

# A course graded elsewhere: no formgrader, but its students use the same hub and exchange.
[courses.{other}]
"""


def run_hub(folder):
    """Run the class on the hub; return what the tests look at, as plain data (the machine cleaned up)."""
    folder.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    machine = Machine()
    hub = None
    record = {"seconds": {}}
    try:
        hub = setup(machine)
        record["seconds"]["started"] = round(time.monotonic() - started)
        record.update(run_class(machine, hub))
        record["seconds"]["class"] = round(time.monotonic() - started)
    finally:
        if hub is not None:
            hub.stop()
            shutil.copyfile(hub.state / "jupyterhub.log", folder / "jupyterhub.log")
        accounts, groups, root = [*machine.users], [*machine.groups], machine.root
        machine.close()
        record["seconds"]["cleaned_up"] = round(time.monotonic() - started)
    record["accounts_left"] = [name for name in accounts if exists(pwd.getpwnam, name)]
    record["groups_left"] = [name for name in groups if exists(grp.getgrnam, name)]
    record["folder_left"] = root.exists()
    return record


def exists(lookup, name):
    try:
        lookup(name)
        return True
    except KeyError:
        return False


def setup(machine):
    """The accounts, the grader's course root with the release built, and the hub, started."""
    for group in (f"nbgrader-{COURSE}", f"formgrade-{COURSE}", f"nbgrader-{OTHER_COURSE}"):
        machine.group(group)
    machine.passwords = {name: password() for name in EVERYONE_LOGGING_IN}
    grader = machine.user(GRADER, home_mode=0o700)
    for student in STUDENTS:
        machine.user(student, [f"nbgrader-{COURSE}"], machine.passwords[student])
    machine.user(OTHER, [f"nbgrader-{OTHER_COURSE}"], machine.passwords[OTHER])
    machine.user(INSTRUCTOR, [f"formgrade-{COURSE}"], machine.passwords[INSTRUCTOR])
    machine.passwords[OUTSIDER] = password()
    machine.user(OUTSIDER, password=machine.passwords[OUTSIDER])

    course_root = Path(grader.pw_dir) / COURSE
    for name in COURSE_FILES:
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, course_root / name, ignore=shutil.ignore_patterns("__pycache__", ".ipynb_*"))
        else:
            course_root.mkdir(exist_ok=True)
            shutil.copyfile(source, course_root / name)
    shutil.chown(course_root, GRADER, GRADER)
    for path in course_root.rglob("*"):
        shutil.chown(path, GRADER, GRADER)
    machine.exchange = machine.root / "exchange"  # the hub creates it, root-owned, mode 1777
    hub = Hub(machine, COURSES_TOML.format(exchange=machine.exchange, state=machine.root / "hub", port=free_port(),
                                           course=COURSE,
                                           grader=GRADER, root=course_root, other=OTHER_COURSE))
    hub.course_root = course_root
    # The instructor's once-per-course step as the deploy README gives it, as the grader account, while the hub
    # starts (run_class waits for it before releasing).
    hub.building = ThreadPoolExecutor(max_workers=1).submit(
        machine.as_user, GRADER, [machine.python, "-m", "autograder", "release", "--course-root", str(course_root)],
        cwd=course_root, timeout=600)
    hub.wait()
    return hub


def in_parallel(work, names):
    with ThreadPoolExecutor(max_workers=len(names)) as pool:
        return dict(zip(names, pool.map(work, names)))


def completed_modules(student):
    """{path in the package: text} of the student's work: the reference, with the student's corpus bug if any."""
    from tempfile import TemporaryDirectory

    with TemporaryDirectory() as scratch:
        package = Path(scratch) / PACKAGE
        package.mkdir()
        for name in student_modules():
            (package / name).write_text(strip_markers((REFERENCE_PACKAGE / name).read_text()), encoding="utf-8")
        if student in CASES:
            case = {case.id: case for case in load_cases(CORPUS_DIR)}[CASES[student]]
            apply_case(case, Path(scratch), {"RELEASE": REPO / "assignments" / ASSIGNMENT})
        return {name: (package / name).read_text(encoding="utf-8") for name in student_modules()}


def run_class(machine, hub):
    record = {"wrong_password_refused": hub.login(GOOD, "not-" + machine.passwords[GOOD]) is None,
              "outsider_refused": hub.login(OUTSIDER, machine.passwords[OUTSIDER]) is None}
    sessions = {name: hub.login(name, machine.passwords[name]) for name in EVERYONE_LOGGING_IN}
    record["logged_in"] = sorted(name for name, session in sessions.items() if session is not None)
    assert record["logged_in"] == sorted(EVERYONE_LOGGING_IN), f"PAM login failed:\n{hub.log_text()}"
    tokens = {name: hub.token(sessions[name], name) for name in EVERYONE_LOGGING_IN}
    students = (*STUDENTS, OTHER)
    for student in students:
        hub.start_server(student, tokens[student])
    in_parallel(lambda student: hub.wait_for_server(student, tokens[student]), students)
    record["home_modes"] = {student: stat.S_IMODE((machine.homes / student).stat().st_mode) for student in students}

    def formgrader(method, path, **kwargs):
        response = hub.api(method, f"{FORMGRADER}{path}", tokens[INSTRUCTOR], **kwargs)
        assert response.status_code == 200, f"{method} {path}: {response.status_code} {response.text[-2000:]}"
        return response.json()

    def student_api(student, method, path, **kwargs):
        response = hub.api(method, f"/user/{student}{path}", tokens[student], **kwargs)
        assert response.status_code in (200, 201), f"{student} {method} {path}: {response.status_code} " \
                                                   f"{response.text[-2000:]}"
        return response.json()

    hub.wait_for_service(COURSE, tokens[INSTRUCTOR])
    built = hub.building.result()
    assert built.returncode == 0, built.stdout[-2000:] + built.stderr[-3000:]
    record["formgrader_status"] = {name: hub.api("GET", f"{FORMGRADER}/assignments", tokens[name]).status_code
                                   for name in EVERYONE_LOGGING_IN}
    record["released"] = formgrader("POST", f"/assignment/{ASSIGNMENT}/release")
    exchange = machine.exchange
    record["exchange_mode"] = [stat.S_IMODE(exchange.stat().st_mode), exchange.stat().st_uid]
    record["inbound_mode"] = stat.S_IMODE((exchange / COURSE / "inbound").stat().st_mode)

    def listing(student):
        return student_api(student, "GET", "/assignments", params={"course_id": COURSE})

    record["listed"] = {student: [item["assignment_id"] for item in listing(student)["value"]]
                        for student in students}
    record["courses"] = {student: student_api(student, "GET", "/courses")["value"] for student in students}
    fetch = {"course_id": COURSE, "assignment_id": ASSIGNMENT}
    in_parallel(lambda student: student_api(student, "POST", "/assignments/fetch", data=fetch), students)
    fetched = {student: machine.homes / student / COURSE / ASSIGNMENT for student in students}
    record["fetched"] = {student: fetched[student].is_dir() for student in students}

    def do_the_work(student):
        for name, text in completed_modules(student).items():
            student_api(student, "PUT", f"/api/contents/{COURSE}/{ASSIGNMENT}/{PACKAGE}/{name}",
                        json={"type": "file", "format": "text", "content": text})
        return student_api(student, "POST", "/assignments/submit", data=fetch)

    in_parallel(do_the_work, STUDENTS)

    def attempt(student, path):
        """What ``student``'s own account gets when it lists ``path`` (its error, or what it saw)."""
        done = machine.as_user(student, [machine.python, "-c", f"import os; print(os.listdir({str(path)!r}))"])
        return "PermissionError" if "PermissionError" in done.stderr else (done.stdout + done.stderr)[-500:]

    record["inbound_entries"] = sorted(path.name for path in (exchange / COURSE / "inbound").iterdir())
    record["inbound_listing"] = {student: attempt(student, exchange / COURSE / "inbound") for student in students}
    record["classmate_home"] = {student: attempt(student, machine.homes / other) for student, other in
                                ((GOOD, BUGGY), (BUGGY, GOOD), (OTHER, GOOD))}

    record["collected"] = formgrader("POST", f"/assignment/{ASSIGNMENT}/collect")
    submitted = hub.course_root / "submitted"
    record["submitted"] = sorted(path.name for path in submitted.iterdir()) if submitted.is_dir() else []
    record["autograded"] = {student: formgrader("POST", f"/submission/{ASSIGNMENT}/{student}/autograde")
                            for student in record["submitted"]}
    graded = hub.course_root / "graded"
    done = machine.as_user(GRADER, [machine.python, "-m", "autograder", "grade", "submitted", "--out", "graded",
                                    "--jobs", "2", "--quiet"], cwd=hub.course_root, timeout=900)
    record["grade"] = {"returncode": done.returncode, "stderr": done.stderr[-3000:]}
    record["grades"] = read_grades(graded) if (graded / "grades.csv").exists() else {}
    record["feedback_generated"] = formgrader("POST", f"/assignment/{ASSIGNMENT}/generate_feedback")
    record["feedback_released"] = formgrader("POST", f"/assignment/{ASSIGNMENT}/release_feedback")
    in_parallel(lambda student: student_api(student, "POST", "/assignments/fetch_feedback", data=fetch), STUDENTS)
    record["fetched_feedback"] = {student: sorted(path.name for path in (fetched[student] / "feedback").rglob("*.html"))
                                  for student in STUDENTS}
    return record


@pytest.fixture(scope="module")
def hub(request, tmp_path_factory):
    return shared_record("jupyterhub", request, tmp_path_factory)


def test_the_hubs_login_refuses_a_wrong_password(hub):
    assert hub["wrong_password_refused"]


def test_the_hubs_login_refuses_an_account_of_no_course(hub):
    assert hub["outsider_refused"]


@pytest.mark.parametrize("student", (*STUDENTS, OTHER))
def test_a_students_home_is_theirs_alone_once_their_server_starts(hub, student):
    assert oct(hub["home_modes"][student]) == oct(0o700)


def test_the_exchange_is_root_owned_writable_by_all_and_sticky(hub):
    assert hub["exchange_mode"] == [0o1777, 0]


def test_the_exchanges_inbound_folder_takes_submissions_but_lists_none_to_students(hub):
    # nbgrader's mode (its setgid bit aside): others may enter and write (submit), never read (list).
    assert oct(hub["inbound_mode"] & 0o777) == oct(0o733)


def test_each_submission_in_the_exchange_has_a_name_no_classmate_can_guess(hub):
    # Submitted files are readable by all (nbgrader's modes): what hides them is the unlistable folder and
    # the random end of each submission's name, <student>+<assignment>+<timestamp>+<12 random characters>.
    entries = hub["inbound_entries"]
    assert sorted(entry.split("+")[0] for entry in entries) == sorted(STUDENTS), entries
    assert all(len(entry.split("+")) == 4 and len(entry.split("+")[3]) >= 12 for entry in entries), entries


@pytest.mark.parametrize("student", (*STUDENTS, OTHER))
def test_a_student_cannot_list_the_exchanges_inbound_folder(hub, student):
    assert hub["inbound_listing"][student] == "PermissionError"


@pytest.mark.parametrize("student", (GOOD, BUGGY, OTHER))
def test_a_student_cannot_list_a_classmates_home(hub, student):
    assert hub["classmate_home"][student] == "PermissionError"


def test_the_formgrader_answers_the_courses_instructor(hub):
    assert hub["formgrader_status"][INSTRUCTOR] == 200


@pytest.mark.parametrize("student", (*STUDENTS, OTHER))
def test_the_formgrader_refuses_a_student_with_403(hub, student):
    assert hub["formgrader_status"][student] == 403


def test_the_instructor_releases_the_assignment_through_the_formgrader(hub):
    assert hub["released"]["success"], hub["released"]


@pytest.mark.parametrize("student", STUDENTS)
def test_a_student_of_the_course_sees_and_fetches_its_assignment(hub, student):
    assert hub["courses"][student] == [COURSE]
    assert hub["listed"][student] == [ASSIGNMENT]
    assert hub["fetched"][student]


def test_a_student_of_another_course_neither_sees_nor_fetches_the_assignment(hub):
    assert hub["courses"][OTHER] == []
    assert hub["listed"][OTHER] == []
    assert not hub["fetched"][OTHER]


def test_the_instructor_collects_and_autogrades_every_submission_of_the_course(hub):
    assert hub["collected"]["success"], hub["collected"]
    assert hub["submitted"] == sorted(STUDENTS)
    assert {student: result["success"] for student, result in hub["autograded"].items()} == {
        student: True for student in STUDENTS}


def test_the_sandboxed_grader_grades_the_collected_submissions(hub):
    assert hub["grade"]["returncode"] == 0, hub["grade"]["stderr"]
    grades = hub["grades"]
    assert [row["test"] for row in grades[GOOD] if row["score"] < row["max_score"]] == []
    lost = [row["test"] for row in grades[BUGGY] if row["score"] < row["max_score"]]
    assert lost and all(matches(test, ["losses.svm_loss_naive"]) for test in lost), lost


def test_the_instructor_generates_and_releases_the_feedback_through_the_formgrader(hub):
    assert hub["feedback_generated"]["success"], hub["feedback_generated"]
    assert hub["feedback_released"]["success"], hub["feedback_released"]


@pytest.mark.parametrize("student", STUDENTS)
def test_a_student_fetches_their_feedback_from_their_server(hub, student):
    assert hub["fetched_feedback"][student], "no feedback page was fetched"


def test_the_hub_leaves_no_account_or_folder_behind(hub):
    assert hub["accounts_left"] == []
    assert hub["groups_left"] == []
    assert not hub["folder_left"]
