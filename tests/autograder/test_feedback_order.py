"""What to fix comes first: the order of the tests in feedback.html, results.json and nbgrader's feedback, and
where a student is told to look. Fast: the students are graded in this process (:mod:`support.graded_class`)."""

import nbformat
import pytest

from autograder.nbgrader_hooks.feedback import failed_tests
from autograder.outputs.student import location, ordered, results_json
from autograder.results import Row
from support.graded_class import student

BUGS = ["svm_naive_counts_correct_class", "svm_vectorized_squared_hinge", "cosine_decay_in_degrees"]


@pytest.fixture(scope="module")
def three():
    return student("three", BUGS)


def test_failed_tests_come_first_most_points_at_stake_first_ties_in_catalogue_order(three):
    rows = ordered(three.rows)
    failed = [row for row in rows if not row.verdict.passed]
    assert rows[:len(failed)] == failed and failed
    stakes = [row.max_score - row.score for row in failed]
    assert stakes == sorted(stakes, reverse=True)
    catalogue = [row.name for row in three.rows]
    for first, second in zip(failed, failed[1:]):
        if first.max_score - first.score == second.max_score - second.score:
            assert catalogue.index(first.name) < catalogue.index(second.name)


def test_results_json_lists_the_tests_in_the_same_order_and_names_their_mistakes(three):
    tests = results_json(three)["tests"]
    assert [test["name"] for test in tests] == [row.name for row in ordered(three.rows)]
    assert [test["number"] for test in tests] == [str(n) for n in range(1, len(tests) + 1)]
    mistakes = {m for test in tests if test["status"] == "failed" for m in test["extra_data"]["mistakes"]}
    assert mistakes == {"svm_correct_class_counted", "squared_hinge", "cosine_degrees"}


def test_where_to_look_is_the_line_an_error_was_raised_at_else_the_functions_definition(three):
    failed = next(row for row in three.rows if not row.verdict.passed)
    assert location(three, failed) == "linear_classifier/losses.py, svm_loss_naive"  # no code kept
    kept = student("kept", BUGS, {"linear_classifier/losses.py": "import numpy as np\n\n\ndef svm_loss_naive():\n"
                                                                  "    pass\n"})
    assert location(kept, failed) == "linear_classifier/losses.py, line 4: svm_loss_naive"
    raised = Row(type(failed.verdict)(failed.name, failed.verdict.group, False, "", "error",
                                      "a small batch: IndexError: index 10 is out of bounds (losses.py line 42, in "
                                      "svm_loss_naive)"), 0.0, 2.0)
    assert location(kept, raised) == ("linear_classifier/losses.py, line 42 (in svm_loss_naive), where the error "
                                      "was raised")


@pytest.mark.parametrize("source", ["x = 1" + " + 1" * 200_000, "x = " + "-" * 100_000 + "1", "def svm_loss_naive(:\n"],
                         ids=["too deep for the AST", "too deep for the parser", "not Python"])
def test_where_to_look_falls_back_to_the_function_when_the_students_file_cannot_be_parsed(three, source):
    failed = next(row for row in three.rows if not row.verdict.passed)
    unparsable = student("unparsable", BUGS, {"linear_classifier/losses.py": source})
    assert location(unparsable, failed) == "linear_classifier/losses.py, svm_loss_naive"


def test_nbgrader_feedback_lists_the_failed_test_cells_most_points_first():
    def cell(grade_id, points, error=None):
        code = nbformat.v4.new_code_cell("hidden_check('x')")
        code.metadata["nbgrader"] = {"grade": True, "solution": False, "grade_id": grade_id, "points": points}
        if error:
            code.outputs = [nbformat.v4.new_output("error", ename="AssertionError", evalue=error, traceback=[])]
        return code

    notebook = nbformat.v4.new_notebook(cells=[cell("test_a", 4, "a is wrong\nmore"), cell("test_b", 9, "b is wrong"),
                                               cell("test_c", 6)])
    assert failed_tests(notebook) == [("test_b", 9.0, "AssertionError: b is wrong"),
                                      ("test_a", 4.0, "AssertionError: a is wrong")]
