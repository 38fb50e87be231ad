"""Diagnoses: each recognises its mistake from parts of the correct answer, stays silent for other results, and
reaches the grader's message; every sentence a student reads is defined once, in checks/mistakes.py."""

import ast
import re

import numpy as np
import pytest

from autograder import catalogue, course
from autograder.packages import load_reference

ROWS = np.arange(4)


@pytest.fixture(scope="module")
def diagnosis():
    return load_reference().diagnosis


@pytest.fixture(scope="module")
def svm_example():
    """A worked SVM batch, its gradient parts built by hand from the margins, and a correct dW."""
    rng = np.random.default_rng(0)
    X, W, y, reg = rng.standard_normal((4, 3)), rng.standard_normal((3, 5)), np.array([0, 3, 3, 1]), 0.1
    scores = X @ W
    violated = (scores - scores[ROWS, y][:, None] + 1 > 0).astype(float)
    violated[ROWS, y] = 0.0
    counts = violated.sum(axis=1)
    correct_column = np.zeros_like(violated)
    correct_column[ROWS, y] = -counts
    parts = {"wrong_class_grad": X.T @ violated / 4, "correct_class_grad": X.T @ correct_column / 4,
             "violations": counts, "X": X, "y": y, "W": W, "reg": reg}
    assert len(set(counts)) > 1  # per-row and whole-batch counts differ
    return parts, violated, parts["wrong_class_grad"] + parts["correct_class_grad"] + 2 * reg * W


def svm_dW_with_correct_column(svm_example, coefficients):
    parts, violated, _ = svm_example
    binary = violated.copy()
    binary[ROWS, parts["y"]] = coefficients
    return parts["X"].T @ binary / 4 + 2 * parts["reg"] * parts["W"]


@pytest.mark.parametrize("coefficients, hint", [
    (lambda counts: 0.0, "column never changes"),
    (lambda counts: counts, "wrong sign"),
    (lambda counts: -counts.sum(), "whole batch"),
], ids=["never subtracts X[i]", "adds X[i]", "counts over the whole batch"])
def test_svm_gradient_diagnosis_names_the_correct_class_column_mistake(diagnosis, svm_example, coefficients, hint):
    parts = svm_example[0]
    dW = svm_dW_with_correct_column(svm_example, coefficients(parts["violations"]))
    hints = diagnosis.diagnose_svm_gradient(dW, **parts)
    assert len(hints) == 1 and hint in hints[0], hints


def test_svm_gradient_diagnosis_is_silent_for_the_correct_and_unrelated_gradients(diagnosis, svm_example):
    parts, _, correct = svm_example
    assert diagnosis.diagnose_svm_gradient(correct, **parts) == []
    assert diagnosis.diagnose_svm_gradient(correct + 0.3, **parts) == []


@pytest.fixture(scope="module")
def softmax_example():
    rng = np.random.default_rng(1)
    scores = rng.standard_normal((4, 3))
    probs = np.exp(scores) / np.exp(scores).sum(axis=1, keepdims=True)
    return -np.log(probs), probs, np.array([2, 0, 0, 1]), 0.25


def test_softmax_loss_diagnosis_recognises_indexing_probs_with_a_colon(diagnosis, softmax_example):
    class_losses, probs, y, reg_term = softmax_example
    got = -np.mean(np.log(probs[:, y])) + reg_term
    hints = diagnosis.diagnose_softmax_loss(got, class_losses=class_losses, y=y, reg_term=reg_term)
    assert len(hints) == 1 and "probs[np.arange(N), y]" in hints[0], hints


def test_softmax_loss_diagnosis_is_silent_for_the_correct_and_unrelated_losses(diagnosis, softmax_example):
    class_losses, probs, y, reg_term = softmax_example
    correct = -np.mean(np.log(probs[ROWS, y])) + reg_term
    for got in (correct, correct + 0.5):
        assert diagnosis.diagnose_softmax_loss(got, class_losses=class_losses, y=y, reg_term=reg_term) == []


# --- the same mistakes, judged by the grader from the reference's parts -----------------------------------------

def svm_missing_correct_column(W, X, y, reg):
    rows = np.arange(len(y))
    scores = X @ W
    margins = np.maximum(0, scores - scores[rows, y][:, None] + 1)
    margins[rows, y] = 0
    return margins.sum() / len(y) + reg * np.sum(W * W), X.T @ (margins > 0) / len(y) + 2 * reg * W


def svm_counts_over_the_batch(W, X, y, reg):
    rows = np.arange(len(y))
    scores = X @ W
    margins = np.maximum(0, scores - scores[rows, y][:, None] + 1)
    margins[rows, y] = 0
    binary = (margins > 0).astype(float)
    binary[rows, y] = -np.sum(binary)
    return margins.sum() / len(y) + reg * np.sum(W * W), X.T @ binary / len(y) + 2 * reg * W


def softmax_with_colon(W, X, y, reg):
    scores = X @ W
    scores = scores - scores.max(axis=1, keepdims=True)
    probs = np.exp(scores) / np.exp(scores).sum(axis=1, keepdims=True)
    loss = -np.mean(np.log(probs[:, y])) + reg * np.sum(W * W)
    dscores = probs.copy()
    dscores[np.arange(len(y)), y] -= 1
    return loss, X.T @ dscores / len(y) + 2 * reg * W


@pytest.mark.parametrize("group, mistake, check, hint", [
    ("losses.svm_loss_naive", svm_missing_correct_column, catalogue.losses.check_loss_gradient, "column y[i]"),
    ("losses.svm_loss_vectorized", svm_counts_over_the_batch, catalogue.losses.check_loss_gradient, "axis=1"),
    ("losses.softmax_loss_vectorized", softmax_with_colon, catalogue.losses.check_loss_value, "np.arange(N), y"),
], ids=["svm never subtracts X[i]", "svm counts over the batch", "softmax probs[:, y]"])
def test_the_grader_diagnoses_the_mistake_on_every_input_set_it_fails(group, mistake, check, hint):
    plan = catalogue.build_plan(4, [group])
    judge = catalogue.Judge(plan, load_reference())
    judged = 0
    for case in plan.cases.values():
        W, X, y, reg = (case.args[k] for k in ("W", "X", "y", "reg"))
        with np.errstate(all="ignore"):
            loss, dW = mistake(W, X, y, reg)
        failure = check(judge, case, {"loss": np.asarray(float(loss)), "dW": dW})
        if failure is not None:
            judged += 1
            assert any(hint in h for h in failure.hints), (case.label, failure.hints)
    assert judged >= 5


def test_the_svm_gradient_parts_add_up_to_the_reference_data_gradient():
    plan = catalogue.build_plan(4, ["losses.svm_loss_naive"])
    judge = catalogue.Judge(plan, load_reference())
    for case in plan.cases.values():
        wrong_class, correct_class, violations = catalogue.losses._svm_gradient_parts(judge, case)
        _, data_grad, _, _ = catalogue.losses._loss_parts(judge, case)
        np.testing.assert_allclose(wrong_class + correct_class, data_grad, rtol=1e-10, atol=1e-12)
        # Each example violates a whole number of margins, at most one per wrong class.
        np.testing.assert_allclose(violations, np.round(violations), atol=1e-9)
        assert np.all((violations > -0.5) & (violations < case.args["W"].shape[1] - 0.5))


# --- the one list of mistakes ---------------------------------------------------------------------------------------

#: Where a sentence a student reads may be defined: the grader and the instructor's sources (assignments/ is
#: generated from solutions/, tests/ only quote).
SEARCHED = ("autograder", "solutions")


def _sentence_pattern(template):
    """A regex matching the sentence ``template``: its literal parts in order, any text (or the field) between."""
    parts = re.split(r"(\{[^}]*\})", template)
    return re.compile("".join(r"(?:\{\w*\}|.+?)" if part.startswith("{") else re.escape(part) for part in parts))


@pytest.fixture(scope="module")
def texts_by_file():
    """Every string a source file defines (adjacent literals joined, as Python joins them), or a file's text."""
    texts = {}
    for folder in SEARCHED:
        for path in sorted((course.COURSE_ROOT / folder).rglob("*")):
            if path.suffix == ".py":
                tree = ast.parse(path.read_text(encoding="utf-8"))
                texts[path] = [node.value for node in ast.walk(tree)
                               if isinstance(node, ast.Constant) and isinstance(node.value, str)]
            elif path.suffix in (".ipynb", ".md", ".toml"):
                texts[path] = [path.read_text(encoding="utf-8")]
    return texts


def test_every_diagnosis_sentence_is_defined_once_in_the_list_of_mistakes(diagnosis, texts_by_file):
    mistakes = load_reference().module("checks.mistakes")
    for mistake, template in mistakes.MISTAKES.items():
        pattern = _sentence_pattern(template)
        found = [(path.relative_to(course.COURSE_ROOT).as_posix(), count)
                 for path, texts in texts_by_file.items()
                 if (count := sum(len(pattern.findall(text)) for text in texts))]
        assert found == [(f"solutions/{course.ASSIGNMENT}/{course.PACKAGE}/checks/mistakes.py", 1)], (mistake, found)


def test_every_mistake_in_the_list_is_named_by_a_check_and_every_name_is_in_the_list(texts_by_file):
    mistakes = load_reference().module("checks.mistakes")
    named = set()
    for path in texts_by_file:
        if path.suffix != ".py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", None)) == "hint"
                    and node.args and isinstance(node.args[0], ast.Constant)):
                named.add(node.args[0].value)
    assert sorted(named - set(mistakes.MISTAKES)) == []
    assert sorted(set(mistakes.MISTAKES) - named) == []


def test_a_hint_carries_the_id_of_its_mistake_and_reads_as_its_sentence():
    mistakes = load_reference().module("checks.mistakes")
    said = mistakes.hint("dW_shape", W=(3, 4), got=(4, 4))
    assert said == "dW must have W's shape (3, 4), but it has shape (4, 4)" and said.mistake == "dW_shape"
    assert mistakes.mistakes_of([said, "a plain sentence"]) == ["dW_shape"]


# --- softmax overflow, exceptions, and the regularization strength ----------------------------------------------------

@pytest.mark.parametrize("scores, mistake", [
    ([[123.0, 456.0, 789.0], [120.0, 450.0, 780.0]], "exp_overflow"),
    ([[600.0, 601.0, 598.0], [-300.0, -302.0, -299.0]], "global_max_shift"),
    ([[3000.0, 2999.0, 2998.0], [-3000.0, -2999.0, -3001.0]], "exp_overflow"),
], ids=["no shift overflows", "only a shift for the whole batch fails", "either fails"])
def test_a_non_finite_softmax_is_blamed_on_the_shift_its_scores_break(diagnosis, scores, mistake):
    hints = diagnosis.diagnose_result_type(float("nan"), None, np.zeros((2, 3)), np.array(scores))
    assert [h.mistake for h in hints] == [mistake]
    assert "each row's" in hints[0]


@pytest.mark.parametrize("error_type, message, mistake", [
    ("ValueError", "shapes (5,4) and (8,) not aligned: 4 (dim 1) != 8 (dim 0)", "cs231n_2015_layout"),
    ("ValueError", "shapes (5,4) and (8,5) not aligned: 4 (dim 1) != 8 (dim 0)", "cs231n_2015_layout"),
    ("IndexError", "index 4 is out of bounds for axis 0 with size 4", "hard_coded_classes"),
    ("ValueError", "shapes (8,5) and (4,5) not aligned: 5 (dim 1) != 4 (dim 0)", None),
    ("IndexError", "index 40 is out of bounds for axis 0 with size 40", None),
    ("TypeError", "shapes (5,4) and (8,) not aligned", None),
])
def test_an_exception_of_a_loss_is_explained_only_when_its_message_names_w_first_or_the_class_count(
        diagnosis, error_type, message, mistake):
    hints = diagnosis.diagnose_error(error_type, message, W_shape=(5, 4), X_shape=(8, 5))
    assert [h.mistake for h in hints] == ([mistake] if mistake else [])


def test_an_index_error_at_size_c_is_not_blamed_on_the_class_count_when_n_is_also_c(diagnosis):
    message = "index 3 is out of bounds for axis 0 with size 3"
    assert diagnosis.diagnose_error("IndexError", message, W_shape=(4, 3), X_shape=(3, 4)) == []


@pytest.mark.parametrize("reg", [0.0, 0.1, 10.0])
def test_sum_of_squares_added_without_reg_is_recognised_whatever_reg_is(diagnosis, reg):
    data_losses, penalty = np.array([1.0, 2.0, 0.5]), 7.5
    hints = diagnosis.diagnose_loss(data_losses.mean() + penalty, kind="svm", data_losses=data_losses,
                                    reg_term=reg * penalty, penalty=penalty)
    assert [h.mistake for h in hints] == ["reg_strength_missing"]


def test_a_gradient_with_the_regularization_divided_by_n_is_recognised(diagnosis):
    rng = np.random.default_rng(5)
    W, data_grad, reg = rng.standard_normal((3, 4)), rng.standard_normal((3, 4)), 0.3
    hints = diagnosis.diagnose_gradient(data_grad + 2 * reg * W / 6, data_grad=data_grad, W=W, reg=reg,
                                        num_examples=6)
    assert [h.mistake for h in hints] == ["reg_grad_before_mean"]


def test_the_half_reg_gradient_is_a_convention_only_next_to_a_halved_loss(diagnosis):
    rng = np.random.default_rng(6)
    W, data_grad, reg = rng.standard_normal((3, 4)), rng.standard_normal((3, 4)), 0.3
    kwargs = dict(data_grad=data_grad, W=W, reg=reg, num_examples=6)
    assert [h.mistake for h in diagnosis.diagnose_gradient(data_grad + reg * W, **kwargs)] == ["reg_grad_not_doubled"]
    assert [h.mistake for h in diagnosis.diagnose_gradient(data_grad + reg * W, half_reg_loss=True, **kwargs)] == [
        "half_reg"]


def test_the_svm_mask_that_counts_the_correct_class_is_recognised(diagnosis, svm_example):
    parts = svm_example[0]
    dW = svm_dW_with_correct_column(svm_example, -(parts["violations"] + 1))
    assert [h.mistake for h in diagnosis.diagnose_svm_gradient(dW, **parts)] == ["svm_mask_counts_correct_class"]


@pytest.mark.parametrize("errors, mistake", [
    (np.zeros(40), "errors_same_entries"),
    (np.full(40, 0.2), None),
], ids=["zeros, which only two entries have", "a value no entry has"])
def test_gradient_check_errors_that_only_a_few_entries_could_give_are_not_random_draws(diagnosis, errors, mistake):
    per_entry = np.concatenate([[0.0, 0.0], np.geomspace(1e-4, 0.5, 14)])
    hints = diagnosis.diagnose_gradient_check(errors, num_checks=40, per_entry=per_entry)
    assert [h.mistake for h in hints] == ([mistake] if mistake else [])
