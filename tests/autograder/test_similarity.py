"""``python -m autograder similarity``: a disguised copy is found, independent solutions and the release are not.

The class is graded in this process (:mod:`support.graded_class`) and written by the grader's own writers,
so the comparison reads ``.code/`` and ``failures.json`` exactly as after ``grade``. Every student's modules
are the release's stubs but ``losses.py``, which is: the reference with a rare bug (``original``); the same,
disguised (``disguised``: every local variable renamed, the functions in reverse order, comments gone); a
solution written independently (``independent``); the reference itself (``reference``); or the stub, the
release as handed out (``release``).
"""

import csv

import pytest

from autograder import course
from autograder.__main__ import main
from autograder.similarity import SimilarityError, find_pairs
from support.similar_class import INDEPENDENT, disguise, write_similar_class

@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    return write_similar_class(tmp_path_factory.mktemp("graded") / "out")


def test_a_disguised_copy_is_found_and_independent_solutions_and_the_release_are_not(graded):
    pairs, students = find_pairs(graded)
    assert students == 8
    found = {frozenset((pair.first, pair.second)) for pair in pairs}
    assert frozenset(("original", "disguised")) in found
    assert not any("independent" in pair for pair in found), pairs
    assert not any(name in pair for pair in found for name in ("release", "other0", "other1", "other2"))
    (copy,) = [pair for pair in pairs if {pair.first, pair.second} == {"original", "disguised"}]
    assert min(copy.similarity) > 0.8
    assert any("rare mistake" in sentence and "svm_correct_class_counted" in sentence for sentence in copy.evidence)
    assert any("same wrong value" in sentence for sentence in copy.evidence)


def test_a_copy_of_the_reference_is_near_the_reference_but_the_stubs_count_for_nothing(graded):
    pairs, _ = find_pairs(graded)
    assert {"original", "reference"} in [{p.first, p.second} for p in pairs]  # the bug is one function of four
    every = find_pairs(graded, threshold=0.0)[0]
    assert all(0.0 <= share <= 1.0 for pair in every for share in pair.similarity)
    scores = {frozenset((p.first, p.second)): p.score for p in every}
    assert scores.get(frozenset(("release", "other0")), 0.0) == 0.0


def test_the_command_writes_a_report_with_the_shared_code_side_by_side_and_changes_no_grade(graded, tmp_path, capsys):
    before = (graded / "grades.csv").read_bytes()
    assert main(["similarity", str(graded), "--out", str(tmp_path)]) == 0
    assert "pair(s) at or above 60%" in capsys.readouterr().out
    page = (tmp_path / "similarity.html").read_text(encoding="utf-8")
    assert "not a verdict" in page and "<mark>" in page and 'lang="en"' in page
    rows = list(csv.DictReader(open(tmp_path / "similarity.csv", encoding="utf-8")))
    assert {rows[0]["first"], rows[0]["second"]} in ({"original", "disguised"}, {"disguised", "reference"},
                                                     {"original", "reference"})
    assert (graded / "grades.csv").read_bytes() == before


def test_known_public_solutions_are_compared_with_every_student(graded, tmp_path):
    public = tmp_path / "public" / "github_solution" / course.PACKAGE
    public.mkdir(parents=True)
    (public / "losses.py").write_text(disguise(INDEPENDENT), encoding="utf-8")
    pairs, _ = find_pairs(graded, public=tmp_path / "public")
    assert [(p.first, p.second, p.public) for p in pairs if p.public] == [("independent", "github_solution", True)]


@pytest.mark.parametrize("argument, message", [("not_graded", "has no .code/ folder"),
                                               ("threshold", "--threshold must be between 0 and 1")])
def test_bad_input_is_refused_with_what_to_do(graded, tmp_path, capsys, argument, message):
    args = ["similarity", str(tmp_path)] if argument == "not_graded" else ["similarity", str(graded),
                                                                            "--threshold", "60"]
    assert main(args) == 2
    assert message in capsys.readouterr().err
    with pytest.raises(SimilarityError):
        find_pairs(tmp_path) if argument == "not_graded" else find_pairs(graded, threshold=60)


def test_a_large_report_lists_the_most_similar_pairs_and_links_only_those_shown_side_by_side(graded, tmp_path,
                                                                                              monkeypatch):
    from autograder.similarity import report

    monkeypatch.setattr(report, "LISTED", 3)
    pairs, students = find_pairs(graded, threshold=0.01, detailed=1)
    assert len(pairs) > 3 and [bool(pair.shared) for pair in pairs[:2]] == [True, False]
    html, table = report.write_report(pairs, students, graded, tmp_path, 0.01)
    page = html.read_text(encoding="utf-8")
    assert f"{len(pairs)} pairs above the threshold" in page and "The 3 most similar are listed here" in page
    assert page.count('<tr><th scope="row">') == 3 and page.count('href="#pair-') == 1
    assert page.count('<section aria-labelledby="pair-') == 1
    assert len(table.read_text(encoding="utf-8").splitlines()) == len(pairs) + 1
