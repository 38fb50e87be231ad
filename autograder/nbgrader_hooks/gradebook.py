"""Write the sandboxed scores into nbgrader's gradebook, and flag notebooks that passed only in their kernel.

Each group of tests has one autograded test cell in the notebooks (grade_id
``test_<module>_<function>``). Its grade's ``auto_score`` becomes the group's
score from the sandbox, so formgrader (where inline answers are graded by
hand) and ``nbgrader export`` show the sandboxed scores.

Each group's score in the student's own kernel is compared with the sandboxed
one: a notebook that scored more in its kernel than its code scores in the
sandbox is flagged as suspicious in the summary. The kernel's scores are read
from the notebooks ``nbgrader autograde`` wrote to the course's ``autograded/``
folder (nbgrader's own rule: a test cell without an error scores its points),
so every ``grade`` run flags, not only the first; where that folder has no
notebook, the score autograde left in the gradebook is used, which only the
first ``grade`` run after ``autograde`` still finds.

Any database nbgrader supports works: SQLite (``gradebook.db``, one grader) or
PostgreSQL (several graders at once). The PostgreSQL driver in requirements.txt
is ``psycopg2``; SQLAlchemy 2.1 reads a bare ``postgresql://`` URL as psycopg 3,
so nbgrader itself needs ``postgresql+psycopg2://`` in ``nbgrader_config.py``,
and ``grade``/``merge`` accept either (:func:`engine_url`). Passwords in a URL
are never printed nor written to the summary.
"""

import json
from pathlib import Path

from .. import course
from ..course import GROUPS, grade_id
from ..outputs.totals import written_cell_ids

#: Scores closer than this are equal.
EPSILON = 1e-9


class GradebookConfigError(RuntimeError):
    """The course's nbgrader_config.py cannot be read to find its gradebook."""


def default_gradebook_url(submitted):
    """The gradebook of the course whose ``submitted/`` folder is ``submitted``, if there is one.

    The course root is the folder holding ``submitted/``. Its gradebook is the
    ``CourseDirectory.db_url`` of its ``nbgrader_config.py`` when that sets one
    (e.g. a PostgreSQL server shared by several graders), else nbgrader's
    default ``gradebook.db`` in the course root. An SQLite gradebook counts only
    when its file exists (grading never creates one); a batch anywhere else (or
    a zip) has no gradebook unless one is named.
    """
    submitted = Path(submitted).resolve()
    if not submitted.is_dir():
        return None
    return course_gradebook_url(submitted.parent)


def course_gradebook_url(course_root):
    """The gradebook of the nbgrader course at ``course_root`` (see :func:`default_gradebook_url`), or None."""
    course_root = Path(course_root).resolve()
    url = _course_directory_setting(course_root, "db_url") or f"sqlite:///{course_root / 'gradebook.db'}"
    if url.startswith("sqlite:///"):
        path = Path(url[len("sqlite:///"):])
        path = path if path.is_absolute() else course_root / path
        return f"sqlite:///{path}" if path.is_file() else None
    return url


def _course_directory_setting(course_root, trait):
    """``CourseDirectory.<trait>`` from ``course_root/nbgrader_config.py``, or None when it sets none."""
    config_file = course_root / "nbgrader_config.py"
    if not config_file.is_file():
        return None
    from traitlets.config import PyFileConfigLoader

    try:
        config = PyFileConfigLoader(config_file.name, path=str(course_root)).load_config()
    except Exception as error:  # noqa: BLE001 (whatever the course's config raises)
        raise GradebookConfigError(f"Cannot read {config_file} to find the course's gradebook: "
                                   f"{type(error).__name__}: {error}. Fix it, or pass --gradebook URL "
                                   "or --gradebook none.") from None
    value = config.get("CourseDirectory", {}).get(trait)
    return value if isinstance(value, str) and value else None


def default_autograded_folder(submitted):
    """The course's folder of autograded notebooks (nbgrader's ``autograded/``) beside ``submitted``, if any."""
    if submitted is None or not Path(submitted).is_dir():
        return None
    course_root = Path(submitted).resolve().parent
    try:
        name = _course_directory_setting(course_root, "autograded_directory") or "autograded"
    except GradebookConfigError:  # default_gradebook_url reports a broken config; here it only costs the flags
        name = "autograded"
    folder = course_root / name
    return folder if folder.is_dir() else None


def kernel_scores(notebook_path):
    """``{grade_id: score}`` of the graded cells of an autograded notebook, as nbgrader scored them in the kernel.

    Empty when the notebook is missing or unreadable. nbgrader's own rule decides (``determine_grade``): a test
    cell with an error or stderr output scores 0, one with a number as its result that fraction, else its points.
    """
    import nbformat
    from nbgrader.utils import determine_grade

    try:
        # Plain JSON, and only the graded cells made NotebookNodes: nbformat.read would validate every
        # notebook (with its figures), seconds for a class.
        with open(notebook_path, encoding="utf-8") as handle:
            cells = json.load(handle)["cells"]
        scores = {}
        for raw in cells:
            # The test of nbgrader's is_grade, on the plain dict.
            if raw.get("cell_type") == "code" and raw.get("metadata", {}).get("nbgrader", {}).get("grade"):
                cell = nbformat.from_dict(raw)
                scores[cell.metadata.nbgrader["grade_id"]] = determine_grade(cell)[0]
        return scores
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}


def engine_url(db_url):
    """``db_url`` with a driver that is installed: a bare ``postgresql://`` means psycopg2 unless psycopg 3 is there."""
    from importlib.util import find_spec

    from sqlalchemy.engine import make_url

    url = make_url(db_url)
    if url.drivername == "postgresql" and find_spec("psycopg") is None and find_spec("psycopg2") is not None:
        return url.set(drivername="postgresql+psycopg2")
    return url


def display_url(db_url):
    """``db_url`` with its password, if any, replaced by ``***``: what may be printed or written to the summary."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(db_url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 (not a URL SQLAlchemy understands: show no part that could be a password)
        return db_url.split("@")[-1] if "@" in db_url else db_url


def _open(db_url, course_id, work):
    """Run ``work(gradebook, MissingEntry)`` on the gradebook at ``db_url``; its result."""
    import warnings

    from nbgrader.api import Gradebook, MissingEntry

    # nbgrader runs the `alembic` command of its environment when it creates a database.
    with course.tools_on_path():
        # SQLAlchemy warns about nbgrader's own session handling; nothing here may clutter the output.
        with warnings.catch_warnings(), Gradebook(engine_url(db_url), course_id=course_id) as gradebook:
            warnings.simplefilter("ignore")
            return work(gradebook, MissingEntry)


def read_gradebook(db_url, result, stderr, assignment=course.ASSIGNMENT, course_id=course.ASSIGNMENT,
                   autograded="auto"):
    """Read from the gradebook what the outputs show, before they are written; a failure is reported, not raised.

    Flags the students whose notebooks scored more in their own kernel than their code in the sandbox (the
    kernel's scores from the notebooks in ``autograded``, nbgrader's autograded folder, "auto": the course's
    beside ``result.submitted``; else from the gradebook), and sets each student's ``written`` to the score of
    the written answers when every one of them is graded. Sets ``result.gradebook_note``.
    """
    if autograded == "auto":
        autograded = default_autograded_folder(result.submitted)
    shown = display_url(db_url)
    try:
        result.gradebook_note = _open(db_url, course_id, lambda gradebook, MissingEntry: _read(
            gradebook, MissingEntry, shown, result, assignment, autograded))
    except Exception as error:  # noqa: BLE001 (any database or driver error: the outputs are written anyway)
        result.gradebook_note = f"Could not read the gradebook {shown}: {type(error).__name__}: {error}"
        print(result.gradebook_note, file=stderr)


def record_in_gradebook(db_url, result, stderr, assignment=course.ASSIGNMENT, course_id=course.ASSIGNMENT):
    """Write each group's sandboxed score into the gradebook (and the students' names where it has none).

    Only the students of ``result`` are touched, so shards or graders writing different students into one
    PostgreSQL gradebook at the same time do not conflict. Returns whether the scores were written; a failure is
    reported on ``stderr`` and in ``result.gradebook_note``, not raised (the grades files are written anyway).
    """
    shown = display_url(db_url)
    try:
        return _open(db_url, course_id, lambda gradebook, MissingEntry: _write(
            gradebook, MissingEntry, result, assignment))
    except Exception as error:  # noqa: BLE001 (any database or driver error)
        result.gradebook_note = f"Could not write to the gradebook {shown}: {type(error).__name__}: {error}"
        print(result.gradebook_note, file=stderr)
        return False


def _test_cells(source):
    """``{grade_id: notebook name}`` of the assignment's graded cells in the gradebook."""
    return {cell.name: notebook.name for notebook in source.notebooks for cell in notebook.grade_cells}


def _read(gradebook, MissingEntry, shown_url, result, assignment, autograded):
    """Flag suspicious notebooks, fill in the written answers' scores; the note for the summary."""
    try:
        source = gradebook.find_assignment(assignment)
    except MissingEntry:
        return (f"The gradebook {shown_url} has no assignment {assignment}: scores were not written. Run "
                "`python -m autograder release` (nbgrader generate_assignment) with this gradebook first.")
    notebook_of = _test_cells(source)
    for student in result.students:
        try:
            submission = gradebook.find_submission(assignment, student.student_id)
        except MissingEntry:
            continue
        grades = {grade.name: grade for notebook in submission.notebooks for grade in notebook.grades}
        student.written = _written(grades)
        in_kernel = {}
        if autograded is not None:
            folder = Path(autograded) / student.student_id / assignment
            for notebook in sorted(set(notebook_of.values())):
                in_kernel.update(kernel_scores(folder / f"{notebook}.ipynb"))
        for group, score in _group_scores(student).items():
            cell = grade_id(group)
            kernel_score = in_kernel.get(cell, grades[cell].auto_score if cell in grades else None)
            if kernel_score is not None and kernel_score > score + EPSILON:
                student.flags.append(f"{group}: {kernel_score:g} points in the notebook's kernel, "
                                     f"{score:g} in the sandbox")
    missing = [group for group in GROUPS if grade_id(group) not in notebook_of]
    note = f"Scores written to the gradebook {shown_url} once these files were complete."
    if missing:
        note += " Its notebooks have no test cell for: " + ", ".join(missing) + " (not written)."
    return note


def _written(grades):
    """The written answers' score from ``{grade_id: nbgrader Grade}``, None unless every answer is graded."""
    answers = [grades[cell] for cell in written_cell_ids() if cell in grades]
    if answers and not any(grade.needs_manual_grade or grade.score is None for grade in answers):
        return float(sum(grade.score for grade in answers))
    return None


def written_scores(db_url, student_ids, assignment=course.ASSIGNMENT, course_id=course.ASSIGNMENT):
    """``{student id: score of the written answers, or None until all are graded}`` from the gradebook."""
    def read(gradebook, MissingEntry):
        scores = {}
        for student_id in student_ids:
            try:
                submission = gradebook.find_submission(assignment, student_id)
            except MissingEntry:
                scores[student_id] = None
                continue
            scores[student_id] = _written({grade.name: grade for notebook in submission.notebooks
                                           for grade in notebook.grades})
        return scores

    return _open(db_url, course_id, read)


def assignment_total(db_url, student_id, assignment=course.ASSIGNMENT, course_id=course.ASSIGNMENT):
    """The student's :class:`autograder.outputs.totals.Total` as the gradebook has it (the code's points are the
    sandbox's once ``grade`` wrote them), or None when the gradebook has no such submission."""
    from ..outputs.totals import Total

    def read(gradebook, MissingEntry):
        try:
            submission = gradebook.find_submission(assignment, student_id)
        except MissingEntry:
            return None
        grades = {grade.name: grade for notebook in submission.notebooks for grade in notebook.grades}
        tests = [grades[grade_id(group)] for group in GROUPS if grade_id(group) in grades]
        answers = [grades[cell] for cell in written_cell_ids() if cell in grades]
        return Total(sum(grade.score or 0.0 for grade in tests), sum(grade.max_score for grade in tests),
                     _written(grades), sum(grade.max_score for grade in answers))

    return _open(db_url, course_id, read)


def _group_scores(student):
    totals = {}
    for row in student.rows:
        totals[row.verdict.group] = totals.get(row.verdict.group, 0.0) + row.score
    return totals


def _write(gradebook, MissingEntry, result, assignment):
    """Write every student's group scores; False when the gradebook has no such assignment."""
    try:
        source = gradebook.find_assignment(assignment)
    except MissingEntry:
        return False
    notebook_of = _test_cells(source)
    for student in result.students:
        gradebook.update_or_create_student(student.student_id, **_identity(gradebook, MissingEntry, student))
        try:
            gradebook.find_submission(assignment, student.student_id)
        except MissingEntry:
            gradebook.add_submission(assignment, student.student_id)
        for group, score in _group_scores(student).items():
            cell = grade_id(group)
            if cell in notebook_of:
                grade = gradebook.find_grade(cell, notebook_of[cell], assignment, student.student_id)
                grade.auto_score = score
                grade.needs_manual_grade = False
    gradebook.db.commit()
    return True


def _identity(gradebook, MissingEntry, student):
    """The names and LMS id the gradebook lacks for ``student`` (nbgrader export shows them)."""
    try:
        known = gradebook.find_student(student.student_id)
    except MissingEntry:
        known = None
    first, last = split_name(student.name)
    wanted = {"first_name": first, "last_name": last, "lms_user_id": student.lms_id}
    return {key: value for key, value in wanted.items() if value and not (known and getattr(known, key))}


def split_name(name):
    """``(first, last)`` of a full name: "Bob Jones" and "Jones, Bob" give ("Bob", "Jones")."""
    name = " ".join(name.split())
    if "," in name:
        last, _, first = name.partition(",")
        return first.strip(), last.strip()
    first, _, last = name.rpartition(" ")
    return first, last


def stale_pages(rows, db_url, feedback="feedback", assignment=course.ASSIGNMENT, course_id=course.ASSIGNMENT):
    """The ids of the students whose pages state another total than the gradebook's now (hand grading came later).

    ``rows`` are ``totals.csv``'s (:func:`autograder.lms.export.read_totals`): ``grade``'s pages are stale where
    their written score is not the gradebook's. nbgrader's pages (``feedback/<student>/<assignment>/``, where they
    exist) are stale where the first of them does not state the student's total as the gradebook has it now.
    """
    import html
    import re

    from ..outputs.totals import describe

    current = written_scores(db_url, [row.student_id for row in rows], assignment, course_id)
    stale = []
    for row in rows:
        fresh = current.get(row.student_id) == row.total.written
        pages = sorted((Path(feedback) / row.student_id / assignment).glob("*.html"))
        if fresh and pages:
            total = assignment_total(db_url, row.student_id, assignment, course_id)
            text = " ".join(html.unescape(re.sub(r"<[^>]*>", " ", pages[0].read_text(encoding="utf-8",
                                                                                      errors="replace"))).split())
            fresh = total is None or describe(total) in text
        if not fresh:
            stale.append(row.student_id)
    return stale
