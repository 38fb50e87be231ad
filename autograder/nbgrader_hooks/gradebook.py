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
    course_root = submitted.parent
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


def apply_gradebook(db_url, result, assignment=course.ASSIGNMENT, course_id=course.ASSIGNMENT, autograded="auto"):
    """Flag suspicious notebooks and write the scores into the gradebook; return a note for the summary.

    Only the students of ``result`` are touched, so shards or graders writing different students into
    one PostgreSQL gradebook at the same time do not conflict. ``autograded`` is the folder of nbgrader's
    autograded notebooks (``<student>/<assignment>/<notebook>.ipynb``) that the kernel's scores are read
    from; "auto": the course's, beside ``result.submitted``; None: only the gradebook's.
    """
    if autograded == "auto":
        autograded = default_autograded_folder(result.submitted)
    import warnings

    from nbgrader.api import Gradebook, MissingEntry

    # nbgrader runs the `alembic` command of its environment when it creates a database.
    with course.tools_on_path():
        # SQLAlchemy warns about nbgrader's own session handling; nothing here may clutter the output.
        with warnings.catch_warnings(), Gradebook(engine_url(db_url), course_id=course_id) as gradebook:
            warnings.simplefilter("ignore")
            return _write(gradebook, MissingEntry, display_url(db_url), result, assignment, autograded)


def record_in_gradebook(db_url, result, stderr):
    """Apply :func:`apply_gradebook` and keep its note in ``result``; a failure is reported, not raised.

    The grades files must be written even when the database is down.
    """
    try:
        result.gradebook_note = apply_gradebook(db_url, result)
    except Exception as error:  # noqa: BLE001 (any database or driver error)
        result.gradebook_note = (f"Could not write to the gradebook {display_url(db_url)}: "
                                 f"{type(error).__name__}: {error}")
        print(result.gradebook_note, file=stderr)


def _write(gradebook, MissingEntry, shown_url, result, assignment, autograded):
    """Flag and write every student's group scores; return the note for the summary."""
    try:
        source = gradebook.find_assignment(assignment)
    except MissingEntry:
        return (f"The gradebook {shown_url} has no assignment {assignment}: scores were not written. Run "
                "`python -m autograder release` (nbgrader generate_assignment) with this gradebook first.")
    notebook_of = {cell.name: notebook.name for notebook in source.notebooks for cell in notebook.grade_cells}
    missing = [group for group in GROUPS if grade_id(group) not in notebook_of]
    for student in result.students:
        totals = {}
        for row in student.rows:
            totals[row.verdict.group] = totals.get(row.verdict.group, 0.0) + row.score
        in_kernel = {}
        if autograded is not None:
            folder = Path(autograded) / student.student_id / assignment
            for notebook in sorted(set(notebook_of.values())):
                in_kernel.update(kernel_scores(folder / f"{notebook}.ipynb"))
        gradebook.update_or_create_student(student.student_id)
        try:
            gradebook.find_submission(assignment, student.student_id)
        except MissingEntry:
            gradebook.add_submission(assignment, student.student_id)
        for group, score in totals.items():
            cell = grade_id(group)
            if cell not in notebook_of:
                continue
            grade = gradebook.find_grade(cell, notebook_of[cell], assignment, student.student_id)
            kernel_score = in_kernel.get(cell, grade.auto_score)
            if kernel_score is not None and kernel_score > score + EPSILON:
                student.flags.append(f"{group}: {kernel_score:g} points in the notebook's kernel, "
                                     f"{score:g} in the sandbox")
            grade.auto_score = score
            grade.needs_manual_grade = False
    gradebook.db.commit()
    note = f"Scores written to the gradebook {shown_url}."
    if missing:
        note += " Its notebooks have no test cell for: " + ", ".join(missing) + " (not written)."
    return note
