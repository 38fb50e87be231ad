"""The pages the grader writes, as a student and an instructor see them in Chromium, audited by axe-core.

The class is built in this process by the real judge (:mod:`support.graded_class`): 50 students, of whom some
made one of four planted mistakes and one made three. axe-core (the ``axe.min.js`` that the PyPI package
``axe-playwright-python`` ships) is injected into each page and must find no violation of WCAG 2.0, 2.1 and
2.2 A and AA nor of its best practices. Screenshots go to ``test-artifacts/``.
"""

import csv
import json
import re
from pathlib import Path

import pytest

from autograder.grading.merge import merge
from autograder.grading.shard import Shard, write_shard
from autograder.outputs import write_all
from autograder.similarity import find_pairs, write_report
from lab_session import new_page, screenshot
from support.graded_class import batch, student
from support.similar_class import write_similar_class

pytestmark = pytest.mark.browser

#: Planted bug (a corpus case) -> the mistake id the summary must name, and how many students made it.
PLANTED = {"svm_naive_counts_correct_class": ("svm_correct_class_counted", 12),
           "softmax_vectorized_gradient_missing_minus_one": ("softmax_missing_minus_one", 8),
           "sgd_adds_the_gradient": ("step_uphill", 5),
           "l2_value_is_the_norm": ("l2_norm", 3)}
#: The student with three mistakes, in three functions.
THREE = {"softmax_naive_ten_classes_hard_coded": "hard_coded_classes",
         "svm_vectorized_squared_hinge": "squared_hinge", "cosine_decay_in_degrees": "cosine_degrees"}
CLASS_SIZE = 50
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]


def axe_source():
    import axe_playwright_python

    return (Path(axe_playwright_python.__file__).parent / "axe.min.js").read_text(encoding="utf-8")


def class_of_50():
    students, index = [], 0
    for bug, (_, count) in PLANTED.items():
        for _ in range(count):
            students.append(student(f"s{index:02d}", [bug]))
            index += 1
    students.append(student("three_mistakes", list(THREE)))
    while len(students) < CLASS_SIZE:
        students.append(student(f"s{len(students) - 1:02d}"))
    return sorted(students, key=lambda s: s.student_id)


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    out = tmp_path_factory.mktemp("graded") / "out"
    write_all(batch(class_of_50(), out), out)
    return out


def audit(page):
    """axe-core's violations on the page (WCAG 2.x A/AA and best practices), as readable lines."""
    page.add_script_tag(content=axe_source())
    results = page.evaluate("tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", AXE_TAGS)
    assert len(results["passes"]) > 20, "axe-core ran no rules"
    return [f"{v['id']} ({v['impact']}): {v['help']}, {len(v['nodes'])} node(s), e.g. {v['nodes'][0]['target']}"
            for v in results["violations"]]


def test_a_student_with_three_mistakes_sees_the_three_first_with_their_points_and_where_to_look(browser, graded):
    page = new_page(browser)
    page.goto((graded / "three_mistakes" / "feedback.html").as_uri())
    screenshot(page, "grader-feedback-three-mistakes")
    articles = page.locator("article.failed-test")
    assert articles.count() > 0
    texts = articles.all_inner_texts()
    diagnoses = " ".join(texts)
    assert all(mistake_words in diagnoses for mistake_words in
               ("C = ", "squared hinge loss", "degrees") ), diagnoses[:2000]
    stakes = [float(re.search(r"Points at stake\s+([\d.]+)", text)[1]) for text in texts]
    assert stakes == sorted(stakes, reverse=True) and stakes[0] > 0
    assert all("Where to look" in text and "linear_classifier/" in text for text in texts)
    # Nothing passed is shown before the last failure, and the passed tests are folded.
    order = page.evaluate("""() => {
        const fails = [...document.querySelectorAll('article.failed-test')];
        const passed = document.getElementById('passed-heading');
        return fails.every(a => a.compareDocumentPosition(passed) & Node.DOCUMENT_POSITION_FOLLOWING);
    }""")
    assert order
    folded = {row.verdict.group for row in student("three_mistakes", list(THREE)).rows if row.verdict.passed}
    assert page.locator("details:has(ul.passed-tests)").count() == len(folded)
    assert not page.locator("ul.passed-tests").first.is_visible()
    assert audit(page) == []
    # Gradescope's results.json has the same order and names the same three mistakes in its failed tests.
    tests = json.loads((graded / "three_mistakes" / "results.json").read_text(encoding="utf-8"))["tests"]
    failed = [test for test in tests if test["status"] == "failed"]
    assert tests[:len(failed)] == failed
    assert [test["max_score"] - test["score"] for test in failed] == stakes
    assert {m for test in failed for m in test["extra_data"]["mistakes"]} == set(THREE.values())


def test_the_class_summary_names_each_planted_mistake_with_its_count_and_students(browser, graded):
    page = new_page(browser)
    page.goto((graded / "summary.html").as_uri())
    screenshot(page, "grader-summary-class-of-50")
    rows = {page.locator("#mistakes tbody tr").nth(i).locator("th").inner_text():
            page.locator("#mistakes tbody tr").nth(i) for i in range(page.locator("#mistakes tbody tr").count())}
    for mistake, count in PLANTED.values():
        cells = rows[mistake].locator("td").all_inner_texts()
        assert int(cells[0]) == count, (mistake, cells)
        assert rows[mistake].locator("a").count() == count
    for mistake in THREE.values():
        assert int(rows[mistake].locator("td").first.inner_text()) == 1
    link = rows["hard_coded_classes"].locator("a").first
    assert link.inner_text() == "three_mistakes" and link.get_attribute("href") == "three_mistakes/feedback.html"
    # Most students first: the largest planted mistake leads the table.
    assert page.locator("#mistakes tbody tr th").first.inner_text() == "svm_correct_class_counted"
    # The chart's numbers are in a table, functions ranked by points lost.
    lost = [float(t) for t in page.locator("#functions tbody tr td:nth-child(2)").all_inner_texts()]
    assert lost == sorted(lost, reverse=True) and lost[0] > 0
    assert page.locator("#scores tbody td").all_inner_texts()  # the histogram's numbers
    assert sum(int(t) for t in page.locator("#scores tbody td").all_inner_texts()) == CLASS_SIZE
    assert audit(page) == []


def test_mistakes_csv_counts_the_same_as_the_page(graded):
    with open(graded / "mistakes.csv", newline="", encoding="utf-8") as handle:
        rows = {row["mistake"]: row for row in csv.DictReader(handle)}
    for mistake, count in PLANTED.values():
        assert int(rows[mistake]["students"]) == count
        assert len(rows[mistake]["student_ids"].split(";")) == count
    assert rows["svm_correct_class_counted"]["function"] == "losses.svm_loss_naive"
    assert float(rows["svm_correct_class_counted"]["points_lost"]) == 12 * 4


def test_a_merge_of_shards_shows_the_same_class_view(tmp_path, graded):
    students = class_of_50()
    folders = []
    for index in range(2):
        folder = tmp_path / f"shard{index}"
        part = batch(Shard(index, 2).select(students), folder)
        part.shard, part.batch_students, part.submitted = Shard(index, 2), tuple(s.student_id for s in students), tmp_path / "submitted"
        write_all(part, folder)
        write_shard(part)
        folders.append(folder)
    merge(folders, tmp_path / "merged", gradebook="none")
    assert (tmp_path / "merged" / "mistakes.csv").read_bytes() == (graded / "mistakes.csv").read_bytes()
    page = (tmp_path / "merged" / "summary.html").read_text(encoding="utf-8")
    assert page.split('id="mistakes-heading"')[1].split("</section>")[0] == \
        (graded / "summary.html").read_text(encoding="utf-8").split('id="mistakes-heading"')[1].split("</section>")[0]


def test_the_similarity_report_shows_shared_code_side_by_side_without_axe_violations(browser, tmp_path):
    graded, out = write_similar_class(tmp_path / "graded"), tmp_path / "report"
    pairs, students = find_pairs(graded)
    html, _ = write_report(pairs, students, graded, out, 0.6)
    page = new_page(browser)
    page.goto(html.as_uri())
    screenshot(page, "grader-similarity-report")
    assert page.locator("mark").count() > 0
    assert "not a verdict" in page.inner_text("main")
    assert audit(page) == []


@pytest.mark.parametrize("page_name", ["summary.html", "s00/feedback.html", "s40/feedback.html"])
def test_every_page_the_grader_writes_has_no_axe_violation(browser, graded, page_name):
    page = new_page(browser)
    page.goto((graded / page_name).as_uri())
    assert audit(page) == []
