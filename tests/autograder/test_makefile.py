"""``make clean`` removes caches and never what students handed in or what grading made of it."""

import shutil
import subprocess

from support.submissions import REPO

KEPT = ("submitted/alice/loss_optimization/linear_classifier/losses.py", "autograded/alice/loss_optimization/01.ipynb",
        "feedback/alice/loss_optimization/01.html", "gradebook.db", "downloaded/loss_optimization/archive/moodle.zip",
        "graded/grades.csv", "roster.csv")
CACHES = (".pytest_cache/v/cache/lastfailed", "autograder/__pycache__/course.cpython-311.pyc")


def test_make_clean_removes_caches_and_keeps_students_work_and_grades(tmp_path):
    shutil.copyfile(REPO / "Makefile", tmp_path / "Makefile")
    for relative in KEPT + CACHES:
        (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / relative).write_text("x")
    completed = subprocess.run(["make", "clean"], cwd=tmp_path, capture_output=True, text=True)
    assert completed.returncode == 0, completed.stderr
    assert [relative for relative in KEPT if not (tmp_path / relative).is_file()] == []
    assert [relative for relative in CACHES if (tmp_path / relative).exists()] == []
