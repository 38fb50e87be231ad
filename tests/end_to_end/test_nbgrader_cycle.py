"""The whole nbgrader cycle on a copy of the course, with a local exchange and students in homes of their own.

Instructor: build the release, ``release_assignment``. Students: ``fetch_assignment``, complete the
modules (and the inline answers), ``submit``. Instructor: ``collect``, ``autograde``, the sandboxed
``python -m autograder grade`` on the collected folder, ``generate_feedback``, ``release_feedback``.
Students: ``fetch_feedback``. After every step that puts files where students can read them (the
exchange's outbound folder, the fetched assignment, the feedback) no solution, no hidden test and no
nbgrader marker may be there. One student completes every module correctly; another hands in the same
work with one classic bug, so the grades show that each student's own modules were graded; a third
leaves the losses unimplemented and replaces the check functions in its kernel, which would fool
``nbgrader autograde`` run in a kernel. The course's ``autograde`` runs no notebook: every test cell scores 0
there, saying the sandbox scores it, and the gradebook ends with the sandbox's scores alone.
"""

import html
import os
import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
import pytest

from autograder.release import BEGIN_HIDDEN, BEGIN_SOLUTION, END_HIDDEN, END_SOLUTION, secret_lines
from corpus.build import (
    ASSIGNMENT, CORPUS_DIR, GROUPS, PACKAGE, REFERENCE_PACKAGE, REPO, apply_case, load_cases, matches, read_grades,
    shared_record, strip_markers, student_modules,
)

BIN = Path(sys.executable).parent
COURSE_FILES = ("nbgrader_config.py", "solutions", "data")
MARKERS = (BEGIN_SOLUTION, END_SOLUTION, BEGIN_HIDDEN, END_HIDDEN)
GOOD, BUGGY, CHEATER = "good_student", "buggy_student", "kernel_patching_student"
STUDENTS = (GOOD, BUGGY, CHEATER)
#: What the students other than GOOD change in their completed work: corpus cases. The buggy one's
#: svm_loss_naive counts the correct class; the cheater leaves the losses unimplemented and replaces
#: the check functions in the notebook's kernel, so its test cells would pass in a kernel.
CASES = {BUGGY: "svm_naive_counts_correct_class", CHEATER: "notebook_replaces_the_checks"}
BUGGY_CELL = "test_losses_svm_loss_naive"
#: Students other than GOOD hand in only this notebook (and all modules), which keeps the cycle fast.
SHORT_NOTEBOOK = "01_loss_functions"
#: Lines shorter than this ("return loss, dW") may be in anyone's code; longer ones identify the source.
SECRET_MIN_LENGTH = 12


class Course:
    """A copy of the course, a local exchange and one home per person; runs the real nbgrader commands."""

    def __init__(self, root):
        root.mkdir(parents=True, exist_ok=True)
        self.root = root
        self.course = root / "course"
        self.exchange = root / "exchange"
        self.homes = root / "homes"
        for name in COURSE_FILES:
            source = REPO / name
            if source.is_dir():
                shutil.copytree(source, self.course / name,
                                ignore=shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints"))
            else:
                self.course.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(source, self.course / name)
        self.exchange.mkdir(mode=0o777)
        self.exchange.chmod(0o777)
        self.source = self.course / "solutions" / ASSIGNMENT

    def home(self, person):
        home = self.homes / person
        home.mkdir(parents=True, exist_ok=True)
        return home

    def env(self, person):
        env = {key: value for key, value in os.environ.items() if not key.startswith(("JUPYTER", "NBGRADER"))}
        env.update(HOME=str(self.home(person)), USER=person, LOGNAME=person,
                   PATH=f"{BIN}{os.pathsep}{env.get('PATH', '')}")
        return env

    def run(self, person, command, cwd):
        completed = subprocess.run(command, cwd=cwd, env=self.env(person), capture_output=True, text=True,
                                   errors="replace", timeout=1800)
        assert completed.returncode == 0, (
            f"{person}: {' '.join(map(str, command))} failed with status {completed.returncode}\n"
            f"{completed.stdout[-3000:]}\n{completed.stderr[-3000:]}")
        return completed

    def instructor(self, *args):
        return self.run("instructor", [BIN / "nbgrader", *args, f"--Exchange.root={self.exchange}"], self.course)

    def student(self, student, *args):
        return self.run(student, [BIN / "nbgrader", *args, f"--Exchange.root={self.exchange}",
                                  f"--course={ASSIGNMENT}", f"--student={student}"], self.home(student))

    def release(self):
        """Build the release in the copy: nbgrader generate_assignment, then the modules stripped.

        ``python -m autograder release`` has no course-root option: it always rebuilds the release of
        the repository the autograder package is installed from, so the library function is called.
        """
        self.run("instructor", [sys.executable, "-c",
                                f"from autograder.release import build_release; build_release({str(self.course)!r})"],
                 self.course)


def complete_assignment(folder, source):
    """Do a student's work in ``folder``: the reference modules, and the model answer in every answer cell."""
    for name in student_modules():
        (folder / PACKAGE / name).write_text(strip_markers((REFERENCE_PACKAGE / name).read_text()), encoding="utf-8")
    for path in folder.glob("*.ipynb"):
        answers = {cell.metadata["nbgrader"]["grade_id"]: model_answer(cell.source)
                   for cell in nbformat.read(source / path.name, as_version=4).cells
                   if cell.metadata.get("nbgrader", {}).get("solution")}
        notebook = nbformat.read(path, as_version=4)
        for cell in notebook.cells:
            grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
            if grade_id in answers:
                cell.source = strip_markers(answers[grade_id] + "\n").strip("\n")
        nbformat.write(notebook, path)


def region(source, begin, end):
    """The lines of ``source`` between the markers ``begin`` and ``end`` (markers left out), joined."""
    lines, inside = [], False
    for line in source.splitlines():
        if line.strip() in (begin, end):
            inside = line.strip() == begin
        elif inside:
            lines.append(line)
    return "\n".join(lines)


def model_answer(source):
    """What a student who knows the answer writes in an answer cell: the solution region, not the rubric."""
    return region(source, BEGIN_SOLUTION, END_SOLUTION) if BEGIN_SOLUTION in source else source


def rubrics(notebook):
    """{grade_id: rubric text} of a notebook's hand-graded answer cells (their hidden-test regions)."""
    return {cell.metadata["nbgrader"]["grade_id"]: region(cell.source, BEGIN_HIDDEN, END_HIDDEN)
            for cell in nbformat.read(notebook, as_version=4).cells
            if cell.cell_type == "markdown" and cell.metadata.get("nbgrader", {}).get("solution")
            and BEGIN_HIDDEN in cell.source}


def rubrics_shown(course, student):
    """{notebook: grade_ids whose rubric is missing} in the student's autograded notebooks, and how many were
    found: formgrader shows the TA ``autograded/<student>/<assignment>/<notebook>.ipynb`` (nbgrader 0.9.6,
    ``server_extensions/formgrader/handlers.py``, SubmissionHandler), so a rubric there is one the TA sees."""
    missing, found = {}, 0
    for notebook in sorted((course.course / "autograded" / student / ASSIGNMENT).glob("*.ipynb")):
        expected = rubrics(course.source / notebook.name)
        cells = {cell.metadata.get("nbgrader", {}).get("grade_id"): cell.source
                 for cell in nbformat.read(notebook, as_version=4).cells}
        missing[notebook.stem] = sorted(grade_id for grade_id, rubric in expected.items()
                                        if rubric not in cells.get(grade_id, ""))
        found += len(expected) - len(missing[notebook.stem])
    return missing, found


def rubric_lines_in(folder, course):
    """Lines of any rubric of the course that the readable files under ``folder`` contain."""
    lines = {line.strip() for notebook in course.source.glob("*.ipynb") for rubric in rubrics(notebook).values()
             for line in rubric.splitlines() if len(line.strip()) >= SECRET_MIN_LENGTH}
    found = []
    for path in sorted(folder.rglob("*.html")):
        text = {line.strip() for line in readable_text(path).splitlines()}
        found += [f"{path.name}: {line!r}" for line in sorted(lines & text)]
    return found


def readable_text(path):
    """What a person reading ``path`` sees: HTML without tags and entities, other files as text."""
    text = path.read_text(encoding="utf-8", errors="replace")
    if path.suffix == ".html":
        text = html.unescape(re.sub(r"<[^>]*>", "", text))
    return text


def student_written_lines(folder):
    """Stripped lines of the modules and notebook cells a student handed in."""
    lines = set()
    for path in folder.rglob("*.py"):
        lines.update(line.strip() for line in path.read_text(encoding="utf-8", errors="replace").splitlines())
    for path in folder.glob("*.ipynb"):
        for cell in nbformat.read(path, as_version=4).cells:
            lines.update(line.strip() for line in cell.source.splitlines())
    return lines


def leaks(folder, secrets, own_lines=frozenset()):
    """Markers and secret lines (minus the student's own) found in the files under ``folder``."""
    found = []
    for path in sorted(folder.rglob("*")):
        if not path.is_file() or path.suffix in (".npz", ".png"):
            continue
        text = readable_text(path)
        found += [f"{path}: marker {marker!r}" for marker in MARKERS if marker in text]
        lines = {line.strip() for line in text.splitlines()}
        found += [f"{path}: {line!r}" for line in sorted((secrets - own_lines) & lines)]
    return found


def cell_scores(course, student):
    """{grade cell id: [score, max score]} of a student's autograded notebooks, from the gradebook."""
    from nbgrader.api import Gradebook

    scores = {}
    with Gradebook(f"sqlite:///{course.course / 'gradebook.db'}", course_id=ASSIGNMENT) as gradebook:
        submission = gradebook.find_submission(ASSIGNMENT, student)
        for notebook in submission.notebooks:
            for grade in notebook.grades:
                if grade.cell_type == "code":
                    scores[grade.name] = [grade.score, grade.max_score]
    return scores


def outputs_of_test_cells(path):
    """``{grade id: the text of its outputs}`` of the autograded test cells of the notebook ``path``."""
    outputs = {}
    for cell in nbformat.read(path, as_version=4).cells:
        info = cell.metadata.get("nbgrader", {})
        if cell.cell_type == "code" and info.get("grade") and not info.get("solution"):
            outputs[info["grade_id"]] = "".join(output.get("text", "") for output in cell.outputs)
    return outputs


def foreign_files(feedback, submitted):
    """Files of ``feedback`` other than HTML that are not byte for byte a file the student handed in."""
    foreign = []
    for path in feedback.rglob("*"):
        handed_in = submitted / path.relative_to(feedback)
        if path.is_file() and path.suffix != ".html" and not (
                handed_in.is_file() and handed_in.read_bytes() == path.read_bytes()):
            foreign.append(str(path.relative_to(feedback)))
    return foreign


def each_student(work):
    """``{student: work(student)}``, the students working at the same time as they would in a real course."""
    with ThreadPoolExecutor(max_workers=len(STUDENTS)) as pool:
        return dict(zip(STUDENTS, pool.map(work, STUDENTS)))


def run_cycle(folder):
    """Run the whole cycle in ``folder``; return what the tests look at, as plain data."""
    course = Course(folder)
    secrets = {line for line in secret_lines(course.source) if len(line) >= SECRET_MIN_LENGTH}
    cases = {case.id: case for case in load_cases(CORPUS_DIR)}
    record = {}
    course.release()
    course.instructor("release_assignment", ASSIGNMENT)
    record["outbound_leaks"] = leaks(course.exchange / ASSIGNMENT / "outbound" / ASSIGNMENT, secrets)

    def do_the_assignment(student):
        course.student(student, "fetch_assignment", ASSIGNMENT)
        fetched = course.home(student) / ASSIGNMENT
        fetched_leaks = leaks(fetched, secrets)
        complete_assignment(fetched, course.source)
        if student in CASES:
            apply_case(cases[CASES[student]], fetched, {"RELEASE": course.course / "assignments" / ASSIGNMENT})
            for notebook in fetched.glob("*.ipynb"):
                if notebook.stem != SHORT_NOTEBOOK:
                    notebook.unlink()
        course.student(student, "submit", ASSIGNMENT)
        return fetched_leaks, student_written_lines(fetched)

    work = each_student(do_the_assignment)
    record["fetched_leaks"] = {student: found for student, (found, _) in work.items()}
    own = {student: lines for student, (_, lines) in work.items()}

    course.instructor("collect", ASSIGNMENT)
    course.instructor("autograde", ASSIGNMENT)
    record["own_modules_kept"] = {}
    for student in STUDENTS:
        autograded = course.course / "autograded" / student / ASSIGNMENT / PACKAGE
        submitted = course.course / "submitted" / student / ASSIGNMENT / PACKAGE
        record["own_modules_kept"][student] = [
            name for name in student_modules() if (autograded / name).read_bytes() == (submitted / name).read_bytes()]
    record["kernel_scores"] = {student: cell_scores(course, student) for student in STUDENTS}
    record["test_cell_outputs"] = {student: outputs_of_test_cells(
        course.course / "autograded" / student / ASSIGNMENT / f"{SHORT_NOTEBOOK}.ipynb") for student in STUDENTS}
    record["formgrader_rubrics"] = {student: rubrics_shown(course, student) for student in STUDENTS}
    graded = course.root / "graded"
    grade = subprocess.run(
        [sys.executable, "-m", "autograder", "grade", str(course.course / "submitted"), "--out", str(graded),
         "--jobs", "2", "--quiet"],
        cwd=course.course, env=course.env("instructor"), capture_output=True, text=True, errors="replace")
    record["grade"] = {"returncode": grade.returncode, "stderr": grade.stderr[-3000:]}
    record["grades"] = read_grades(graded) if (graded / "grades.csv").exists() else {}
    summary = graded / "summary.html"
    record["summary"] = summary.read_text(encoding="utf-8") if summary.exists() else ""
    record["gradebook_scores"] = {student: cell_scores(course, student) for student in STUDENTS}

    course.instructor("generate_feedback", ASSIGNMENT)
    course.instructor("release_feedback", ASSIGNMENT)
    feedback = {student: course.course / "feedback" / student / ASSIGNMENT for student in STUDENTS}
    record["feedback_html"] = {student: sorted(path.name for path in feedback[student].glob("*.html"))
                               for student in STUDENTS}
    record["feedback_leaks"] = {student: leaks(feedback[student], secrets, own[student]) for student in STUDENTS}
    record["feedback_rubrics"] = {student: rubric_lines_in(feedback[student], course) for student in STUDENTS}
    record["foreign_feedback_files"] = {
        student: foreign_files(feedback[student], course.course / "submitted" / student / ASSIGNMENT)
        for student in STUDENTS}

    def read_the_feedback(student):
        course.student(student, "fetch_feedback", ASSIGNMENT)
        fetched = course.home(student) / ASSIGNMENT / "feedback"
        return sorted(path.name for path in fetched.rglob("*.html")), leaks(fetched, secrets, own[student])

    work = each_student(read_the_feedback)
    record["fetched_feedback_html"] = {student: html_files for student, (html_files, _) in work.items()}
    record["fetched_feedback_leaks"] = {student: found for student, (_, found) in work.items()}
    return record


@pytest.fixture(scope="module")
def cycle(request, tmp_path_factory):
    return shared_record("nbgrader-cycle", request, tmp_path_factory)


def assert_no_leaks(found):
    assert not found, f"{len(found)} leaks, e.g.:\n  " + "\n  ".join(found[:12])


def test_the_released_assignment_in_the_exchange_holds_no_solution_or_hidden_test(cycle):
    assert_no_leaks(cycle["outbound_leaks"])


@pytest.mark.parametrize("student", STUDENTS)
def test_the_fetched_assignment_holds_no_solution_or_hidden_test(cycle, student):
    assert_no_leaks(cycle["fetched_leaks"][student])


@pytest.mark.parametrize("student", STUDENTS)
def test_autograde_keeps_the_students_own_modules(cycle, student):
    assert cycle["own_modules_kept"][student] == student_modules()


@pytest.mark.parametrize("student", STUDENTS)
def test_nbgrader_autograde_runs_no_test_cell_and_scores_each_0_until_the_sandbox_does(cycle, student):
    from autograder.nbgrader_hooks.not_executed import NOT_RUN

    scores = cycle["kernel_scores"][student]
    assert scores, "no autograded cells in the gradebook"
    assert {cell: score for cell, score in scores.items() if score[0] != 0} == {}
    outputs = cycle["test_cell_outputs"][student]
    assert outputs and set(outputs.values()) == {NOT_RUN}


def test_the_sandboxed_grader_grades_the_collected_submissions(cycle):
    assert cycle["grade"]["returncode"] == 0, cycle["grade"]["stderr"]
    grades = cycle["grades"]
    assert [row["test"] for row in grades[GOOD] if row["score"] < row["max_score"]] == []
    lost = [row["test"] for row in grades[BUGGY] if row["score"] < row["max_score"]]
    assert lost and all(matches(test, ["losses.svm_loss_naive"]) for test in lost), lost
    assert all(row["score"] == 0 for row in grades[CHEATER] if matches(row["test"], ["losses"]))


def test_the_notebook_that_patches_its_kernel_gains_nothing_and_no_one_is_flagged(cycle):
    cheater = cycle["gradebook_scores"][CHEATER]
    assert cheater[BUGGY_CELL][0] == 0
    summary = cycle["summary"]
    flagged = summary.partition("Suspicious submissions")[2].split("<h2", 1)[0]
    assert all(f"<li>{student}:" not in flagged for student in STUDENTS)


@pytest.mark.parametrize("student", STUDENTS)
def test_the_sandboxed_scores_replace_the_kernel_scores_in_the_gradebook(cycle, student):
    rows = cycle["grades"][student]
    written = cycle["gradebook_scores"][student]
    for group in GROUPS:
        cell = "test_" + group.replace(".", "_")
        if cell in written:
            sandboxed = sum(row["score"] for row in rows if matches(row["test"], [group]))
            assert written[cell][0] == pytest.approx(sandboxed), cell


@pytest.mark.parametrize("student", STUDENTS)
def test_the_instructors_feedback_folder_holds_no_solution_or_hidden_test(cycle, student):
    assert cycle["feedback_html"][student], "generate_feedback wrote no HTML"
    assert_no_leaks(cycle["feedback_leaks"][student])


@pytest.mark.parametrize("student", STUDENTS)
def test_the_instructors_feedback_folder_holds_only_files_the_student_handed_in(cycle, student):
    assert cycle["foreign_feedback_files"][student] == []


@pytest.mark.parametrize("student", STUDENTS)
def test_the_fetched_feedback_holds_no_solution_or_hidden_test(cycle, student):
    assert cycle["fetched_feedback_html"][student], "fetch_feedback brought no HTML"
    assert_no_leaks(cycle["fetched_feedback_leaks"][student])


@pytest.mark.parametrize("student", STUDENTS)
def test_formgrader_shows_the_ta_every_rubric_beside_the_students_answer(cycle, student):
    missing, found = cycle["formgrader_rubrics"][student]
    assert found > 0, "no rubric in the autograded notebooks"
    assert {notebook: ids for notebook, ids in missing.items() if ids} == {}


@pytest.mark.parametrize("student", STUDENTS)
def test_no_rubric_reaches_the_students_feedback(cycle, student):
    assert cycle["feedback_html"][student], "generate_feedback wrote no HTML"
    assert cycle["feedback_rubrics"][student] == []
