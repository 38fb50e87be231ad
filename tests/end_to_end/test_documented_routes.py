"""The instructor's routes of README.md and autograder/GRADING.md, followed literally, command by command.

The commands are read from the documents (:mod:`support.documents`), never copied here: every ``bash`` block
of README.md's "For instructors and TAs" and of GRADING.md's routes runs as written, in a fresh course made the
way README.md says (the repository is the course root: a clone of it, here the files git would clone), with a
home of the test's own holding the LMS's download (a Canvas "Download Submissions" zip made by
:mod:`support.lms`) and the instructor's roster. So a renamed command, flag or file in the code, or a typo in the
documents, fails this test.

The class: Ana hands in her complete work; Bob only his first notebook, with his written answers; Mallory
complete work whose notebook tries what a notebook run as the instructor could do: a cell starts a background
process that edits ``gradebook.db`` and Ana's notebooks, and a written answer holds a script for the grader's
browser. The formgrader step starts as documented (``jupyter server``), and the TA grades the written answers
through formgrader's own web API, as its pages do. Afterwards the course's ``git status`` must be clean: no
student record and no solution outside ``.gitignore``.
"""

import csv
import hashlib
import html
import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import nbformat
import pytest

from autograder import course
from autograder.outputs.totals import written_cell_ids
from corpus.build import REPO, shared_record
from support.documents import document_blocks
from support.lms import canvas_download, folder_files, zip_bytes
from test_nbgrader_cycle import complete_assignment

ASSIGNMENT = course.ASSIGNMENT
BIN = Path(sys.executable).parent
README_SECTION = "## For instructors and TAs"
ROUTES_SECTION = "## From the LMS download to the LMS gradebook"
GRADESCOPE_SECTION = "### Trying the bundle on your machine"
ROSTER = ("student_id,lms_id,name,email\nalopez,1001,Ana Lopez,ana@example.edu\nbjones,1002,Bob Jones,"
          "bob@example.edu\nmory,1003,Mallory Ory,mallory@example.edu\n")
#: Written into Mallory's first notebook: the cell of her attack, and her answer with a script.
ATTACK_CELL = textwrap.dedent('''\
    import subprocess, sys, textwrap
    payload = textwrap.dedent("""
        import os, sqlite3, time
        from pathlib import Path
        root = Path.cwd().parents[2]  # autograded/<student>/loss_optimization/: the course root
        for marker in (root / "ATTACK_RAN", Path.home() / "ATTACK_RAN"):
            marker.write_text(str(os.getpid()))
        for _ in range(600):
            for folder in ("submitted", "autograded"):
                for notebook in (root / folder / "alopez").rglob("*.ipynb"):
                    notebook.write_text("{}")
            try:
                with sqlite3.connect(root / "gradebook.db") as db:
                    db.execute("UPDATE grade SET manual_score = 0")
            except sqlite3.Error:
                pass
            time.sleep(0.5)
    """)
    subprocess.Popen([sys.executable, "-c", payload], start_new_session=True,
                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    ''')
SCRIPT_IN_ANSWER = '<img src="x" onerror="fetch(\'/api/terminals\', {method: \'POST\'})">'


def course_clone(folder):
    """A fresh course: the repository's files as a clone of it would hold them (tracked or not ignored), committed."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=REPO,
                            capture_output=True, check=True).stdout.decode().split("\0")
    for name in filter(None, listed):
        source = REPO / name
        if source.is_file():
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, folder / name)
    git = ["git", "-c", "user.name=Instructor", "-c", "user.email=instructor@example.edu"]
    subprocess.run(["git", "init", "-q"], cwd=folder, check=True)
    subprocess.run(["git", "add", "-A"], cwd=folder, check=True)
    subprocess.run([*git, "commit", "-q", "-m", "the course"], cwd=folder, check=True)
    return folder


def class_download(path, work):
    """Canvas's "Download Submissions" of the class (see the module's docstring)."""
    release, source = course.release_dir(), course.reference_dir()
    ana = shutil.copytree(release, work / "ana" / ASSIGNMENT)
    complete_assignment(ana, source)
    bob = shutil.copytree(release, work / "bob" / ASSIGNMENT)
    complete_assignment(bob, source)
    mallory = shutil.copytree(release, work / "mallory" / ASSIGNMENT)
    complete_assignment(mallory, source)
    first = mallory / "01_loss_functions.ipynb"
    notebook = nbformat.read(first, as_version=4)
    notebook.cells.insert(1, nbformat.v4.new_code_cell(ATTACK_CELL))
    answer = next(cell for cell in notebook.cells if cell.metadata.get("nbgrader", {}).get("grade_id")
                  in written_cell_ids())
    answer.source += "\n\n" + SCRIPT_IN_ANSWER
    nbformat.write(notebook, first)
    return canvas_download(path, [
        ("Lopez, Ana", 1001, False, [(50001, "loss_optimization.zip", zip_bytes(folder_files(ana, f"{ASSIGNMENT}/")))]),
        ("Jones, Bob", 1002, False, [(50002, "01_loss_functions.ipynb", (bob / "01_loss_functions.ipynb").read_bytes())]),
        ("Ory, Mallory", 1003, True, [(50003, "loss_optimization.zip",
                                        zip_bytes(folder_files(mallory, f"{ASSIGNMENT}/")))]),
    ])


class Shell:
    """The instructor's terminal: one command at a time in the course root, exported variables kept."""

    def __init__(self, cwd, home):
        self.cwd = cwd
        self.env = {key: value for key, value in os.environ.items()
                    if not key.startswith(("JUPYTER", "NBGRADER", "AUTOGRADER", "PYTEST", "COV_"))}
        self.env.update(HOME=str(home), PATH=f"{BIN}{os.pathsep}{self.env.get('PATH', '')}")
        self.ran = []

    def run(self, command):
        """Run ``command`` as bash runs a line typed in; what it did, as a dict."""
        with tempfile.NamedTemporaryFile(prefix="env-") as saved:
            script = f"{command}\nstatus=$?\nenv -0 > {saved.name}\nexit $status\n"
            started = time.monotonic()
            completed = subprocess.run(["bash", "-c", script], cwd=self.cwd, env=self.env, capture_output=True,
                                       text=True, errors="replace", timeout=1800)
            seconds = time.monotonic() - started
            exported = Path(saved.name).read_bytes().decode(errors="replace").split("\0")
        self.env = dict(entry.split("=", 1) for entry in exported if "=" in entry)
        done = {"command": command, "returncode": completed.returncode, "stdout": completed.stdout,
                "stderr": completed.stderr, "seconds": round(seconds, 1)}
        self.ran.append(done)
        return done

    def start(self, command):
        """Start a command that runs until it is stopped (a server), as bash would."""
        return subprocess.Popen(["bash", "-c", f"exec {command}"], cwd=self.cwd, env=self.env,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, errors="replace",
                                start_new_session=True)


class Formgrader:
    """A TA's browser on formgrader: its web API, with the token the server printed."""

    def __init__(self, server):
        self.server = server
        self.log = []
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            line = server.stdout.readline()
            self.log.append(line)
            found = re.search(r"(http://127\.0\.0\.1:\d+)/\S*\?token=(\w+)", line)
            if found:
                self.base, self.token = found[1], found[2]
                # Keep reading what the server prints, or it would stop once the pipe is full.
                threading.Thread(target=lambda: self.log.extend(server.stdout), daemon=True).start()
                return
            assert line or server.poll() is None, "the server ended:\n" + "".join(self.log)
        raise AssertionError("the server printed no URL:\n" + "".join(self.log))

    def request(self, path, data=None):
        request = urllib.request.Request(self.base + path, method="PUT" if data is not None else "GET",
                                         data=None if data is None else json.dumps(data).encode(),
                                         headers={"Authorization": f"token {self.token}"})
        for attempt in range(20):  # the server may print its address a moment before it accepts connections
            try:
                with urllib.request.urlopen(request, timeout=60) as response:
                    body = response.read().decode()
                break
            except urllib.error.URLError as error:
                if not isinstance(error.reason, ConnectionRefusedError) or attempt == 19:
                    raise AssertionError(f"formgrader: {path}: {error}\n{''.join(self.log)}") from None
                time.sleep(0.5)
        return json.loads(body) if path.startswith("/formgrader/api/") else body

    def grade_written_answers(self, score_of):
        """Give every written answer of every submission ``score_of(student, max score)`` points; the students
        formgrader lists, and the page of each of Mallory's notebooks."""
        students, pages = set(), {}
        for notebook in sorted(path.stem for path in course.reference_dir().glob("*.ipynb")):
            for submission in self.request(f"/formgrader/api/submitted_notebooks/{ASSIGNMENT}/{notebook}"):
                students.add(submission["student"])
                for grade in self.request(f"/formgrader/api/grades?submission_id={submission['id']}"):
                    if grade["name"] in written_cell_ids():
                        self.request(f"/formgrader/api/grade/{grade['id']}",
                                     {"manual_score": score_of(submission["student"], grade["max_score"])})
                if submission["student"] == "mory":
                    pages[notebook] = self.request(f"/formgrader/submissions/{submission['id']}")
        return sorted(students), pages

    def stop(self):
        os.killpg(self.server.pid, signal.SIGTERM)
        try:
            self.server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.server.pid, signal.SIGKILL)
            self.server.wait()


def digests(folder):
    """``{relative path: sha256}`` of every file under ``folder``."""
    return {path.relative_to(folder).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
            for path in sorted(Path(folder).rglob("*")) if path.is_file()}


def documented_commands():
    """Every command block the test follows, in the documents' order: README.md's, then GRADING.md's routes."""
    grading = REPO / "autograder" / "GRADING.md"
    return (document_blocks(REPO / "README.md", README_SECTION) + document_blocks(grading, ROUTES_SECTION)
            + document_blocks(grading, GRADESCOPE_SECTION))


def run_routes(folder):
    """Follow the documents in ``folder``; what the tests look at, as plain data."""
    home, root = folder / "home", course_clone(folder / "course")
    (home / "Downloads").mkdir(parents=True)
    class_download(home / "Downloads" / "submissions.zip", folder / "work")
    (root / "roster.csv").write_text(ROSTER)
    if os.geteuid() == 0:  # CI runs as root, where Jupyter refuses to start unless its user's config allows it
        (home / ".jupyter").mkdir()
        (home / ".jupyter" / "jupyter_server_config.py").write_text("c.ServerApp.allow_root = True\n")
    shell, record = Shell(root, home), {"blocks": documented_commands(), "formgrader": None}
    before = {}
    for block in record["blocks"]:
        for command in block:
            if command.startswith(("jupyter server", "jupyter lab")):
                record["formgrader"] = follow_formgrader(shell, command)
                continue
            shell.run(command)
            if command.startswith("nbgrader zip_collect"):
                before["submitted"] = digests(root / "submitted" / "alopez")
            if command.startswith("nbgrader autograde"):
                before["autograded"] = digests(root / "autograded" / "alopez")
                record["collected"] = {student.name: sorted(digests(student)) for student in
                                       sorted((root / "submitted").iterdir())}
    record["ran"] = shell.ran
    time.sleep(2)  # what a background process started by a notebook would have done by now, it has done
    record["attack"] = {"markers": [str(p) for p in (root / "ATTACK_RAN", home / "ATTACK_RAN") if p.exists()],
                        "submitted_unchanged": before.get("submitted") == digests(root / "submitted" / "alopez"),
                        "autograded_unchanged": before.get("autograded") == digests(root / "autograded" / "alopez")}
    record["secret_mode"] = oct((home / ".config" / "autograder" / "secret").stat().st_mode & 0o777)
    record["files"] = {name: (root / name).read_text(encoding="utf-8") for name in
                       ("canvas-import.csv", "canvas-code-import.csv", "graded/totals.csv") if (root / name).exists()}
    trial = home / "gradescope-trial" / "results" / "results.json"
    record["gradescope_results"] = json.loads(trial.read_text()) if trial.is_file() else None
    record["pages"] = {str(path.relative_to(root)): text_of(path) for path in sorted(root.glob("feedback/*/*/*.html"))
                       + sorted(root.glob("graded/*/feedback.html"))}
    record["git_status"] = subprocess.run(["git", "status", "--porcelain", "--ignored=no"], cwd=root,
                                          capture_output=True, text=True).stdout
    record["late"] = grade_late(shell, root)
    return record


def follow_formgrader(shell, command):
    """Start formgrader as documented, grade the written answers as a TA: full marks to all; what it showed."""
    formgrader = Formgrader(shell.start(command))
    try:
        students, pages = formgrader.grade_written_answers(lambda student, points: points)
    finally:
        formgrader.stop()
    return {"students": students, "pages": pages, "log": "".join(formgrader.log)}


def grade_late(shell, root):
    """A TA regrades Bob's written answers after the route (through nbgrader's API, as formgrader does); the
    documented export, run again, must say the pages are stale."""
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{root / 'gradebook.db'}", course_id=ASSIGNMENT) as gradebook:
        for notebook in gradebook.find_submission(ASSIGNMENT, "bjones").notebooks:
            for grade in notebook.grades:
                if grade.name in written_cell_ids():
                    grade.manual_score, grade.needs_manual_grade = 0.0, False
        gradebook.db.commit()
    export = next(command for block in documented_commands() for command in block
                  if command.startswith("python -m autograder export graded "))
    return shell.run(export + " --force")


def text_of(path):
    """What a person reading the HTML page ``path`` sees, whitespace collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]*>", " ", path.read_text(encoding="utf-8"))).split())


@pytest.fixture(scope="module")
def routes(request, tmp_path_factory):
    record = shared_record("documented-routes", request, tmp_path_factory)
    assert "error" not in record, record["error"]
    return record


def written_points(notebook):
    """The points of the written answers of one of the instructor's notebooks."""
    cells = nbformat.read(course.reference_dir() / notebook, as_version=4).cells
    return sum(cell.metadata["nbgrader"]["points"] for cell in cells
               if cell.metadata.get("nbgrader", {}).get("grade_id") in written_cell_ids())


#: Bob handed in this notebook alone: its written answers are all he can score.
BOBS_POINTS = written_points("01_loss_functions.ipynb")
#: The code's points and the written answers' (the whole course's), as every page states them.
CODE = 100
WRITTEN = sum(written_points(path.name) for path in course.reference_dir().glob("*.ipynb"))


def canvas_rows(text):
    rows = list(csv.DictReader(io.StringIO(text)))
    column = list(rows[0])[5]  # Canvas's columns: Student, ID, SIS User ID, SIS Login ID, Section, the assignment
    return {row["ID"]: float(row[column]) for row in rows if row["ID"]}


def test_the_documents_hold_route_one_and_the_route_without_nbgrader(routes):
    commands = [command for block in routes["blocks"] for command in block]
    assert any(command.startswith("nbgrader zip_collect") for command in commands)
    assert any(command.startswith(("jupyter server", "jupyter lab")) for command in commands)
    assert any("--part code" in command for command in commands)


def test_every_documented_command_runs_as_written(routes):
    failed = [f"{done['command']}: status {done['returncode']}\n{done['stderr'][-2000:]}" for done in routes["ran"]
              if done["returncode"] != 0]
    assert failed == []


def test_the_secret_command_creates_a_file_only_its_owner_reads(routes):
    assert routes["secret_mode"] == "0o600"
    assert not any("AUTOGRADER_SECRET is not set" in done["stderr"] for done in routes["ran"])


def test_formgrader_starts_as_documented_and_lists_the_notebook_only_student(routes):
    assert routes["formgrader"] is not None, "no formgrader step in the documents"
    assert routes["formgrader"]["students"] == ["alopez", "bjones", "mory"]


def test_zip_collect_collects_the_notebook_only_student(routes):
    assert routes["collected"]["bjones"] == ["loss_optimization/01_loss_functions.ipynb"] or \
        routes["collected"]["bjones"] == ["01_loss_functions.ipynb"]


def test_the_notebook_only_student_gets_his_written_score_and_code_zero_with_a_note(routes):
    assert 0 < BOBS_POINTS < WRITTEN
    assert canvas_rows(routes["files"]["canvas-import.csv"])["1002"] == BOBS_POINTS
    page = routes["pages"]["graded/bjones/feedback.html"]
    assert f"code 0 / {CODE} (autograded) + written answers {BOBS_POINTS:g} / {WRITTEN:g}" in page
    assert "Only notebooks were handed in (01_loss_functions.ipynb)" in page


def test_every_student_gets_code_and_written_answers_in_the_export(routes):
    full = CODE + WRITTEN
    assert canvas_rows(routes["files"]["canvas-import.csv"]) == {"1001": full, "1002": BOBS_POINTS, "1003": full}
    assert canvas_rows(routes["files"]["canvas-code-import.csv"]) == {"1001": CODE, "1002": 0.0, "1003": CODE}


def test_the_feedback_pages_state_the_total_once_graded(routes):
    full = CODE + WRITTEN
    sentence = (f"Total: {full:g} / {full:g} = code {CODE} / {CODE} (autograded) + written answers {WRITTEN:g} / "
                f"{WRITTEN:g} (graded by hand).")
    assert sentence in routes["pages"]["feedback/alopez/loss_optimization/01_loss_functions.html"]
    assert sentence in routes["pages"]["graded/alopez/feedback.html"]


def test_a_notebook_that_attacks_the_grader_runs_nowhere(routes):
    assert routes["attack"] == {"markers": [], "submitted_unchanged": True, "autograded_unchanged": True}


def test_formgrader_shows_a_students_answer_without_its_script(routes):
    page = routes["formgrader"]["pages"]["01_loss_functions"]
    assert "onerror" not in re.sub(r"&lt;.*?&gt;", "", page)  # shown as text, never as a tag
    assert "&lt;img" in page


def test_a_fresh_course_that_followed_the_routes_has_nothing_to_commit(routes):
    assert routes["git_status"] == ""


def test_the_console_holds_no_per_file_noise(routes):
    said = {done["command"].split()[1]: done["stdout"] + done["stderr"] for done in routes["ran"]
            if done["command"].startswith("nbgrader ")}
    assert "Skipped submission with no match information" not in said["zip_collect"]
    assert "Parsing file" not in said["zip_collect"]
    assert "without encryption" not in said["autograde"] and "SAWarning" not in said["autograde"]
    assert "Alternative text is missing" not in said["generate_feedback"]
    # A few lines per student at most: what remains names a student or counts.
    assert {app: len(text.splitlines()) for app, text in said.items() if len(text.splitlines()) > 5 * 3} == {}


def test_export_says_which_pages_are_stale_after_late_hand_grading(routes):
    late = routes["late"]
    assert late["returncode"] == 0, late["stderr"]
    assert "bjones" in late["stderr"] and "generate_feedback loss_optimization --force" in late["stderr"]
    assert "alopez" not in late["stderr"]


def test_the_gradescope_bundle_tried_as_documented_gives_the_reference_every_point(routes):
    results = routes["gradescope_results"]
    assert results is not None, "no results.json"
    assert sum(test["score"] for test in results["tests"]) == sum(test["max_score"] for test in results["tests"]) == CODE
