"""``python -m autograder written``: each student's written answers, under their questions, as a PDF.

Printed by Debian's Chromium; read back with poppler's ``pdftotext`` and looked at as a PNG (``pdftoppm``,
``test-artifacts/``). An answer with raw HTML (a script, an image on the web) neither runs nor loads.
"""

import json
import subprocess

import pytest

from autograder import course
from lab_session import ARTIFACTS
from support.submissions import PYTHON, REPO, make_submission

pytestmark = pytest.mark.browser

ANSWER = "The loss is **at least 0** and has no upper bound: a score far below the others makes it grow."
HOSTILE = 'Mine. <script>document.title = "ran"</script><img src="http://127.0.0.1:9/tracker.png" alt="tracker">'


def answer(folder, notebook, grade_id, text):
    path = folder / notebook
    data = json.loads(path.read_text(encoding="utf-8"))
    (cell,) = [c for c in data["cells"] if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") == grade_id]
    cell["source"] = text
    path.write_text(json.dumps(data), encoding="utf-8")


def pdf_text(path):
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


def written(*args):
    """``python -m autograder written ...`` as an instructor runs it (its own process, as Playwright needs: the
    browser tests' session already drives one Chromium from this one)."""
    return subprocess.run([str(PYTHON), "-m", "autograder", "written", *map(str, args)], cwd=REPO,
                          capture_output=True, text=True)


def test_each_student_gets_a_pdf_of_their_answers_under_their_questions(tmp_path):
    submitted = tmp_path / "submitted"
    ada = make_submission(submitted, "ada")
    answer(ada, "01_loss_functions.ipynb", "q_svm_min_max", ANSWER)
    answer(ada, "01_loss_functions.ipynb", "q_svm_sum_over_all_classes", HOSTILE)
    make_submission(submitted, "ben")
    out = tmp_path / "pdfs"
    completed = written(submitted, "--out", out)
    assert completed.returncode == 0, completed.stderr
    assert "wrote the written answers of 2 students" in completed.stdout
    assert sorted(p.name for p in out.iterdir()) == ["ada.pdf", "ben.pdf"]
    text = " ".join(pdf_text(out / "ada.pdf").split())
    assert "written answers of ada" in text
    assert "Inline question 1" in text and "at least 0 and has no upper bound" in text
    assert text.index("Inline question 1") < text.index("at least 0")
    assert "q_svm_min_max (1 point)" in text
    assert "Mine." in text and "ran" not in text.split("Mine.")[1][:20]
    assert "YOUR ANSWER HERE" in " ".join(pdf_text(out / "ben.pdf").split())  # ben answered nothing
    ARTIFACTS.mkdir(exist_ok=True)
    subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", str(out / "ada.pdf"),
                    str(ARTIFACTS / "written-answers-ada")], check=True)


def test_a_folder_without_submissions_is_refused_with_what_to_give(tmp_path):
    (tmp_path / "empty").mkdir()
    completed = written(tmp_path / "empty", "--out", tmp_path / "pdfs")
    assert completed.returncode == 2
    assert completed.stderr.startswith("written refused: No submissions in")
    assert not (tmp_path / "pdfs").exists()
    assert course.ASSIGNMENT
