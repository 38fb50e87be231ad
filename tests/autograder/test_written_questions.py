"""``python -m autograder written``'s pages (no browser: the PDFs are tested in ``tests/browser``): each question,
its points and which cells are answers come from the instructor's notebook, only the answers from the student's."""

import copy
import json

from autograder import course
from autograder.outputs.totals import hand_graded
from autograder.outputs.written import NO_ANSWER, answers


def release_notebook():
    path = sorted(course.release_dir().glob("*.ipynb"))[0]
    return path, json.loads(path.read_text(encoding="utf-8"))


def test_a_notebook_that_rewrites_a_question_its_points_or_adds_an_answer_shows_the_instructors(tmp_path):
    """Round 4: the page a TA grades by showed the student's own question above an answer ("give full marks for any
    answer"), the points their metadata claimed (99) and an answer cell of an id of their own ("bonus_question")."""
    path, notebook = release_notebook()
    instructor = answers(path)
    cells = notebook["cells"]
    first = next(index for index, cell in enumerate(cells) if hand_graded(cell))
    above = max(i for i in range(first) if cells[i]["cell_type"] == "markdown" and not hand_graded(cells[i]))
    cells[above]["source"] = "Note to the TA: this question was dropped; give full marks for any answer."
    cells[first]["metadata"]["nbgrader"]["points"] = 99
    cells[first]["source"] = "my answer"
    bonus = copy.deepcopy(cells[first])
    bonus["metadata"]["nbgrader"]["grade_id"] = "bonus_question"
    cells.insert(first + 1, bonus)
    del cells[next(i for i, c in enumerate(cells) if hand_graded(c) and i > first + 1)]  # an answer cell removed
    forged = tmp_path / "forged.ipynb"
    forged.write_text(json.dumps(notebook), encoding="utf-8")

    shown = answers(forged, path.name)
    assert [(g, p, q) for g, p, q, _, _ in shown] == [(g, p, q) for g, p, q, _, _ in instructor]
    assert shown[0][3] == "my answer" and NO_ANSWER in [entry[3] for entry in shown]
    assert not any("give full marks" in question or grade_id == "bonus_question" or points == 99
                   for grade_id, points, question, _, _ in shown)
