"""Diagnoses: each recognises its mistake from parts of the correct answer, stays silent for other results (every
bug of the corpus and pairs of mistakes are told the mistakes they hold and no other), and reaches the grader's
message; every sentence a student reads is defined once, in checks/mistakes.py, and holds no code of a solution."""

import ast
import contextlib
import io
import re
import textwrap
import tokenize

import numpy as np
import pytest

from autograder import catalogue, course, execution
from autograder.packages import Reference, load_reference
from corpus.build import CORPUS_DIR, build_submissions, load_cases
from support.submissions import make_submission

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


@pytest.mark.parametrize("coefficients, mistake", [
    (lambda counts: 0.0, "svm_correct_column_unchanged"),
    (lambda counts: counts, "svm_correct_column_wrong_sign"),
    (lambda counts: -counts.sum(), "svm_counts_whole_batch"),
], ids=["never subtracts X[i]", "adds X[i]", "counts over the whole batch"])
def test_svm_gradient_diagnosis_names_the_correct_class_column_mistake(diagnosis, svm_example, coefficients, mistake):
    parts = svm_example[0]
    dW = svm_dW_with_correct_column(svm_example, coefficients(parts["violations"]))
    hints = diagnosis.diagnose_svm_gradient(dW, **parts)
    assert [h.mistake for h in hints] == [mistake], hints


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
    assert [h.mistake for h in hints] == ["softmax_probs_colon"], hints


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


@pytest.mark.parametrize("group, mistake, check, named", [
    ("losses.svm_loss_naive", svm_missing_correct_column, catalogue.losses.check_loss_gradient,
     "svm_correct_column_unchanged"),
    ("losses.svm_loss_vectorized", svm_counts_over_the_batch, catalogue.losses.check_loss_gradient,
     "svm_counts_whole_batch"),
    ("losses.softmax_loss_vectorized", softmax_with_colon, catalogue.losses.check_loss_value, "softmax_probs_colon"),
], ids=["svm never subtracts X[i]", "svm counts over the batch", "softmax probs[:, y]"])
def test_the_grader_diagnoses_the_mistake_on_every_input_set_it_fails(group, mistake, check, named):
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
            assert named in [h.mistake for h in failure.hints], (case.label, failure.hints)
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
    assert "each row" in hints[0]


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


# --- a likely cause names the concept, never code of a solution (issue 17) -------------------------------------------

SOLUTION_MARKERS = ("### BEGIN SOLUTION", "### END SOLUTION")
#: Statements that are single words of Python, not code a sentence could hand out ("continues from it").
KEYWORD_STATEMENTS = (ast.Continue, ast.Break, ast.Pass)


def _solution_regions():
    """The source of every solution region of the student modules, dedented."""
    package = course.reference_dir() / course.PACKAGE
    regions = []
    for path in sorted(package.rglob("*.py")):
        inside = None
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip() == SOLUTION_MARKERS[0]:
                inside = []
            elif line.strip() == SOLUTION_MARKERS[1]:
                regions.append((path.name, textwrap.dedent("\n".join(inside))))
                inside = None
            elif inside is not None:
                inside.append(line)
    return regions


def _just_a_name(node):
    """A variable, an attribute of one, or one indexed by a name or a number (X[i], W.shape[1])."""
    if isinstance(node, (ast.Name, ast.Constant)):
        return True
    if isinstance(node, ast.Attribute):
        return _just_a_name(node.value)
    if isinstance(node, ast.Subscript):
        return _just_a_name(node.value) and isinstance(node.slice, (ast.Name, ast.Constant))
    return False


def _normalized(code):
    """``code`` without spaces, with 2.0 written as 2, so that formatting cannot hide a fragment."""
    return re.sub(r"(\d)\.0\b", r"\1", re.sub(r"\s+", "", code))


@pytest.fixture(scope="module")
def solution_fragments():
    """Every line of a solution region and every expression or statement in one that is more than a name."""
    codes = []
    for name, region in _solution_regions():
        for node in ast.walk(ast.parse(region)):
            # A slice or a bare tuple of indices (":", "rows, y") is punctuation, not a fragment of its own.
            if isinstance(node, (ast.expr, ast.stmt)) and not _just_a_name(node) and not isinstance(
                    node, KEYWORD_STATEMENTS + (ast.For, ast.While, ast.If, ast.FunctionDef, ast.Slice, ast.Tuple)):
                codes.append((ast.unparse(node), name))
        codes += [(line.split("#")[0].strip(), name) for line in region.splitlines()
                  if line.split("#")[0].strip() and not line.strip().endswith(":")]
    fragments = {_normalized(code): name for code, name in codes if _tokens(code) >= 2}
    assert len(fragments) > 100, "the solution regions were not found"
    return fragments


def _tokens(code):
    """The number of Python tokens of ``code`` (comments, newlines and the end left out)."""
    skipped = {tokenize.NEWLINE, tokenize.NL, tokenize.COMMENT, tokenize.ENDMARKER, tokenize.INDENT, tokenize.DEDENT}
    return sum(1 for token in tokenize.generate_tokens(io.StringIO(code).readline) if token.type not in skipped)


def test_the_fragments_of_the_solutions_include_the_lines_students_write(solution_fragments):
    # What a likely cause used to say, word for word, is among the fragments: the test would catch it.
    for said in ("dW[:, y[i]] -= X[i]", "2 * reg * W", "np.random.default_rng(seed)", "t // decay_every"):
        assert _normalized(said) in solution_fragments, said


@pytest.mark.parametrize("mistake", list(load_reference().module("checks.mistakes").MISTAKES))
def test_a_likely_cause_holds_no_code_of_a_solution_region(solution_fragments, mistake):
    sentence = _normalized(load_reference().module("checks.mistakes").MISTAKES[mistake])
    found = {fragment: module for fragment, module in solution_fragments.items() if fragment in sentence}
    assert found == {}, f"{mistake} quotes the solution: {found}"


# --- a likely cause only where the evidence fits it (issue 16) -------------------------------------------------------

#: The mistakes each bug of the corpus holds: the only ones its grading (and its notebook check) may name. A new
#: bug must say here what it holds.
HOLDS = {
    "computes_nothing": {"returned_zeros", "w_unchanged", "loss_never_called", "loss_calls_per_iteration",
                         "train_barely_learns", "poor_accuracy"},
    "cosine_decay_in_degrees": {"cosine_degrees"},
    "cosine_decay_missing_half": {"cosine_no_half"},
    "elastic_net_beta_on_l1_term": {"elastic_beta_on_l1", "elastic_gradient_beta_on_l1"},
    "grad_check_sparse_absolute_difference": {"errors_not_divided"},
    "grad_check_sparse_forward_difference": {"errors_forward_difference"},
    "grad_check_sparse_ignores_seed": {"seed_ignored"},
    "grad_check_sparse_made_up_errors": set(),
    "grad_check_sparse_returns_only_the_largest_error": {"errors_not_an_array"},
    "grad_check_sparse_signed_error": {"errors_negative"},
    "grad_check_sparse_x_not_restored": {"x_not_restored"},
    "l1_gradient_is_w": {"l1_gradient_is_W"},
    "l1_value_without_abs": {"l1_no_abs"},
    "l2_gradient_missing_factor_two": {"l2_gradient_is_W"},
    "l2_uses_half_convention": {"l2_half", "l2_gradient_is_W"},
    "l2_value_is_the_norm": {"l2_norm"},
    "momentum_forgets_previous_velocity": {"velocity_not_stored"},
    "momentum_velocity_not_stored": {"velocity_not_stored", "config_incomplete"},
    "numerical_gradient_divides_by_h": {"numerical_gradient_doubled"},
    "numerical_gradient_forward_difference": {"forward_difference"},
    "numerical_gradient_only_first_axis": set(),
    "numerical_gradient_x_not_restored": {"x_not_restored"},
    "predict_argmax_over_axis_0": {"predict_axis_0"},
    "predict_returns_scores": {"predict_shape"},
    "sgd_adds_the_gradient": {"step_uphill"},
    "softmax_naive_exp_of_correct_score_gradient_after_loop": {"softmax_exp_of_correct_score",
                                                               "grad_last_example_only"},
    "softmax_naive_gradient_missing_minus_one": {"softmax_missing_minus_one"},
    "softmax_naive_gradient_not_divided_by_n": {"grad_sum_not_mean"},
    "softmax_naive_modifies_x_in_place": {"input_modified"},
    "softmax_naive_no_max_shift": {"exp_overflow"},
    "softmax_naive_reg_gradient_not_doubled": {"reg_grad_not_doubled"},
    "softmax_naive_sum_of_squares_without_reg": {"reg_strength_missing"},
    "softmax_naive_ten_classes_hard_coded": {"hard_coded_classes"},
    "softmax_vectorized_bias_row_not_regularized": {"bias_not_regularized"},
    "softmax_vectorized_clipped_probabilities": {"probability_clipped"},
    "softmax_vectorized_divided_by_n_twice": {"loss_divided_twice"},
    "softmax_vectorized_global_max_shift": {"global_max_shift"},
    "softmax_vectorized_gradient_missing_minus_one": {"softmax_missing_minus_one"},
    "softmax_vectorized_indexes_with_colon": {"softmax_probs_colon"},
    "softmax_vectorized_missing_reg_loss": {"reg_missing"},
    "softmax_vectorized_no_max_shift": {"exp_overflow"},
    "softmax_vectorized_returns_its_starting_zeros": {"returned_zeros"},
    "softmax_vectorized_sum_instead_of_mean": {"loss_sum_not_mean", "grad_sum_not_mean"},
    "step_decay_multiplies_instead_of_power": {"step_decay_multiplied"},
    "step_decay_without_floor": {"step_decay_smooth"},
    "svm_naive_correct_column_minus_one": {"svm_correct_column_constant"},
    "svm_naive_counts_correct_class": {"svm_correct_class_counted"},
    "svm_naive_cs231n_2015_layout": {"cs231n_2015_layout"},
    "svm_naive_gradient_misses_correct_class_column": {"svm_correct_column_unchanged"},
    "svm_naive_labels_of_first_example": {"labels_of_first_example", "reg_grad_not_doubled"},
    "svm_naive_loop_pasted_twice": {"counted_twice", "grad_counted_twice"},
    "svm_naive_margin_wrong_sign": {"grad_wrong_sign"},
    "svm_naive_missing_reg_loss": {"reg_missing", "reg_grad_missing"},
    "svm_naive_reg_gradient_before_dividing": {"reg_grad_before_mean"},
    "svm_naive_sum_instead_of_mean": {"loss_sum_not_mean", "grad_sum_not_mean"},
    "svm_vectorized_counts_correct_class": {"svm_correct_class_counted", "svm_mask_counts_correct_class"},
    "svm_vectorized_gradient_transposed": {"dW_transposed"},
    "svm_vectorized_half_reg_convention": {"half_reg", "reg_halved"},
    "svm_vectorized_mask_before_max": {"svm_mask_before_max"},
    "svm_vectorized_mask_counts_own_margin": {"svm_mask_counts_correct_class"},
    "svm_vectorized_missing_reg_gradient": {"reg_grad_missing"},
    "svm_vectorized_modifies_w_in_place": {"input_modified"},
    "svm_vectorized_penalty_halved_by_precedence": {"reg_halved"},
    "svm_vectorized_reg_gradient_not_doubled": {"reg_grad_not_doubled"},
    "svm_vectorized_squared_hinge": {"squared_hinge"},
    "svm_vectorized_sums_counts_over_the_whole_batch": {"svm_counts_whole_batch"},
    # The grader's loss service takes only rows of the X train was given, so a centred X ends every train test with
    # an error that says so in words (no mistake id); the notebook's check names the mistake.
    "train_centres_x_in_place": {"train_modifies_data"},
    "train_forgets_x_batch": set(),
    "train_ignores_batch_size": {"batch_size_ignored"},
    "train_ignores_reg": {"reg_not_passed"},
    "train_returns_nothing": {"loss_history"},
    "train_steps_uphill": {"train_uphill", "poor_accuracy"},
    "train_uses_the_full_batch": {"whole_training_set"},
}

#: Two mistakes at once, in one function (code replacing it at the end of its module), and the mistakes each holds.
TWO_AT_ONCE = {
    "summed loss and the bias row left out": ("losses", "softmax_loss_vectorized", """
        def softmax_loss_vectorized(W, X, y, reg):
            N = X.shape[0]
            scores = X @ W
            probs = np.exp(scores - scores.max(axis=1, keepdims=True))
            probs /= probs.sum(axis=1, keepdims=True)
            loss = -np.sum(np.log(probs[np.arange(N), y])) + reg * np.sum(W[:-1] ** 2)
            probs[np.arange(N), y] -= 1
            dW = X.T @ probs / N + 2 * reg * W
            return float(loss), dW
        """, {"loss_sum_not_mean", "bias_not_regularized"}),
    "loop pasted twice and the gradient's penalty halved": ("losses", "svm_loss_naive", """
        def svm_loss_naive(W, X, y, reg):
            loss, dW = 0.0, np.zeros(W.shape)
            for _ in range(2):
                for i in range(X.shape[0]):
                    scores = X[i] @ W
                    for j in range(W.shape[1]):
                        margin = scores[j] - scores[y[i]] + 1
                        if j != y[i] and margin > 0:
                            loss += margin
                            dW[:, j] += X[i]
                            dW[:, y[i]] -= X[i]
            return float(loss / X.shape[0] + reg * np.sum(W * W)), dW / X.shape[0] + reg * W
        """, {"counted_twice"}),
    "clipped probabilities and no penalty": ("losses", "softmax_loss_vectorized", """
        def softmax_loss_vectorized(W, X, y, reg):
            N = X.shape[0]
            scores = X @ W
            probs = np.exp(scores - scores.max(axis=1, keepdims=True))
            probs /= probs.sum(axis=1, keepdims=True)
            loss = -np.mean(np.log(probs[np.arange(N), y] + 1e-15))
            probs[np.arange(N), y] -= 1
            return float(loss), X.T @ probs / N
        """, {"reg_grad_missing", "reg_missing"}),
    "the mask before max(0, .) in the 0.5 * reg convention": ("losses", "svm_loss_vectorized", """
        def svm_loss_vectorized(W, X, y, reg):
            N, rows = X.shape[0], np.arange(X.shape[0])
            scores = X @ W
            margins = scores - scores[rows, y][:, None] + 1.0
            margins[rows, y] = 0
            binary = margins.copy()
            binary[margins > 0] = 1
            margins = np.maximum(0, margins)
            binary[rows, y] = -binary.sum(axis=1)
            return float(margins.sum() / N + 0.5 * reg * np.sum(W * W)), X.T @ binary / N + reg * W
        """, {"half_reg", "reg_halved"}),
    "the first example's label in the 0.5 * reg convention": ("losses", "softmax_loss_naive", """
        def softmax_loss_naive(W, X, y, reg):
            loss, dW = 0.0, np.zeros(W.shape)
            for i in range(X.shape[0]):
                scores = X[i] @ W
                probs = np.exp(scores - scores.max())
                probs /= probs.sum()
                loss -= np.log(probs[y[0]])
                for j in range(W.shape[1]):
                    dW[:, j] += (probs[j] - (j == y[0])) * X[i]
            N = X.shape[0]
            return float(loss / N + 0.5 * reg * np.sum(W * W)), dW / N + reg * W
        """, {"labels_of_first_example", "half_reg", "reg_halved"}),
}


def _groups_of(case, ignored=True):
    """The groups whose tests ``case`` may lose points in (the others grade the reference), or, without
    ``ignored``, the groups of the functions the bug is in."""
    prefixes = case.lose + (case.ignore if ignored else [])
    return [group for group in course.GROUPS if any(group.startswith(p) or p.startswith(group) for p in prefixes)]


def _named_by_the_grader(package_dir, groups):
    """``{test: (credit, the mistakes its verdict names)}`` for the package graded in this process."""
    plan = catalogue.build_plan(3, groups)
    with np.errstate(all="ignore"):
        outcomes = execution.run_in_process(plan, list(plan.cases), Reference(package_dir).module, load_reference())
        judge = catalogue.Judge(plan, load_reference())
        return {test.name: (judge.verdict(test, outcomes).credit, set(judge.verdict(test, outcomes).mistakes))
                for test in plan.tests}


NOTEBOOK_CHECKS = {"models.LinearSVM": "check_linear_svm", "models.Softmax": "check_softmax_classifier"}


def _named_by_the_notebook_check(package_dir, group):
    """The mistakes the notebook's visible check of ``group`` names for the package's function (or class)."""
    module, target = group.split(".")
    function = Reference(package_dir).target(module, target)
    reference = load_reference()
    check = getattr(reference.module(f"checks.{module}"), NOTEBOOK_CHECKS.get(group, f"check_{target}"))
    try:
        with contextlib.redirect_stdout(io.StringIO()), np.errstate(all="ignore"):
            check(function)
    except reference.report.CheckFailed as failure:
        return {h.mistake for h in failure.hints if hasattr(h, "mistake")}
    except Exception:  # noqa: BLE001 (the student's own exception: the check names no mistake)
        return set()
    return set()


@pytest.fixture(scope="module")
def named(tmp_path_factory):
    """What the grader and the notebook checks name for every bug of the corpus and every pair of mistakes:
    ``{submission: {where: mistakes}}``."""
    bugs = load_cases(CORPUS_DIR, kinds=("bug",))
    root = tmp_path_factory.mktemp("named")
    submitted = build_submissions(bugs, root / "submitted", root / "out", "diagnosis")
    result = {}
    for case in bugs:
        package = submitted / case.id / course.ASSIGNMENT / course.PACKAGE
        result[case.id] = {test: said for test, (_, said) in _named_by_the_grader(package, _groups_of(case)).items()}
        # Only the notebook checks of the functions the bug is in: a model's check trains with the student's own
        # loss, so a wrong loss shows there too (the grader trains models with the reference's).
        result[case.id].update({f"notebook {group}": _named_by_the_notebook_check(package, group)
                                for group in _groups_of(case, ignored=False)})
        result[case.id].update({f"{TRAINED_WITH_THE_BUG} {group}": _named_by_the_notebook_check(package, group)
                                for group in set(_groups_of(case)) - set(_groups_of(case, ignored=False))})
    for title, (module, function, code, _) in TWO_AT_ONCE.items():
        package = make_submission(root / "pairs", re.sub(r"\W+", "_", title), "reference",
                                  {f"{module}.py": textwrap.dedent(code)}) / course.PACKAGE
        group = f"{module}.{function}"
        result[title] = {test: said for test, (_, said) in _named_by_the_grader(package, [group]).items()}
        result[title][f"notebook {group}"] = _named_by_the_notebook_check(package, group)
    return result


#: Sentences that point at where a result differs (an entry of dW, the other version of a loss), not at a cause:
#: true of every wrong gradient.
POINTERS = {"largest_gradient_difference", "naive_disagrees"}


#: What a check's evidence cannot tell apart from the mistake a submission holds, where it names the mistake students
#: make: the notebook's first schedule check is at t = 0, where a function returning 0 (which no stub does: they
#: raise NotImplementedError) looks like a step decay that multiplies by the periods and a cosine run backwards.
INDISTINGUISHABLE = {
    ("computes_nothing", "notebook optim.step_decay"): {"step_decay_multiplied"},
    ("computes_nothing", "notebook optim.cosine_decay"): {"cosine_backwards"},
}


#: A model's notebook check trains with the student's own loss, so a loss bug shows there too, after every step of
#: train was seen to follow the loss's gradient: it may only point back at the loss, never at train.
TRAINED_WITH_THE_BUG = "notebook check of a model trained with the bug's loss:"
POINTING_AT_THE_LOSS = {"loss_gradient_misleads", "poor_accuracy"}


def _holds(submission, where=None):
    held = HOLDS[submission] if submission in HOLDS else TWO_AT_ONCE[submission][3]
    if where and where.startswith(TRAINED_WITH_THE_BUG):
        held = held | POINTING_AT_THE_LOSS
    return held | POINTERS | INDISTINGUISHABLE.get((submission, where), set())


def test_every_bug_of_the_corpus_says_which_mistakes_it_holds():
    bugs = {case.id for case in load_cases(CORPUS_DIR, kinds=("bug",))}
    assert sorted(bugs - set(HOLDS)) == [] and sorted(set(HOLDS) - bugs) == []


@pytest.mark.parametrize("mistake", list(load_reference().module("checks.mistakes").MISTAKES))
def test_a_diagnosis_never_names_its_mistake_for_a_submission_that_does_not_hold_it(named, mistake):
    wrongly = [f"{submission}: {where}" for submission, verdicts in named.items()
               for where, said in verdicts.items() if mistake in said and mistake not in _holds(submission, where)]
    assert wrongly == []


@pytest.mark.parametrize("bug", list(HOLDS))
def test_each_bug_of_the_corpus_is_told_every_mistake_it_holds_and_no_other(named, bug):
    told = set().union(*(said for where, said in named[bug].items()
                         if not where.startswith(TRAINED_WITH_THE_BUG))) & HOLDS[bug]
    wrongly = {mistake for where, said in named[bug].items() for mistake in said - _holds(bug, where)}
    assert (told, wrongly) == (HOLDS[bug], set())


def test_two_mistakes_at_once_earn_no_partial_credit_for_the_one_that_has_it(tmp_path):
    _, function, code, _ = TWO_AT_ONCE["the first example's label in the 0.5 * reg convention"]
    package = make_submission(tmp_path, "pair", "reference", {"losses.py": textwrap.dedent(code)}) / course.PACKAGE
    credits = {test: credit for test, (credit, _) in _named_by_the_grader(package, [f"losses.{function}"]).items()}
    assert all(credit == 0 for test, credit in credits.items() if not test.endswith("inputs_unmodified")), credits


@pytest.mark.parametrize("data_losses, reg_term, bias_reg_term, got", [
    ([0.0, 0.0, 0.0], 0.4, 0.1, 0.8),
    ([1.0, 2.0, 0.5], 0.4, 0.4, 7.0 / 6.0),
], ids=["a data loss of 0: the penalty doubled or everything counted twice",
        "W of one row: the bias row left out or no penalty at all"])
def test_a_loss_that_two_mistakes_explain_alike_names_neither(diagnosis, data_losses, reg_term, bias_reg_term, got):
    hints = diagnosis.diagnose_loss(got, kind="svm", data_losses=np.array(data_losses), reg_term=reg_term,
                                    bias_reg_term=bias_reg_term)
    assert hints == []


def test_a_gradient_that_the_squared_hinge_and_counting_twice_explain_alike_names_neither(diagnosis):
    rng = np.random.default_rng(7)
    W, data_grad, reg = np.zeros((3, 4)), rng.standard_normal((3, 4)), 0.3
    kwargs = dict(data_grad=data_grad, W=W, reg=reg, num_examples=5)
    # At W = 0 every margin is 1, and the squared hinge's 2 * margin makes its dW twice the hinge's.
    assert [h.mistake for h in diagnosis.diagnose_gradient(2 * data_grad, **kwargs)] == ["grad_counted_twice"]
    assert diagnosis.diagnose_gradient(2 * data_grad, squared_hinge_grad=2 * data_grad, **kwargs) == []


@pytest.mark.parametrize("half_reg_gradient, mistake", [(True, "half_reg"), (False, "reg_halved"), (None, "reg_halved")],
                         ids=["beside a dW with half its term too", "beside a dW with all of it", "dW unknown"])
def test_half_the_penalty_is_the_old_convention_only_beside_a_dw_that_follows_it(diagnosis, half_reg_gradient,
                                                                                  mistake):
    data_losses = np.array([1.0, 2.0, 0.5])
    hints = diagnosis.diagnose_loss(data_losses.mean() + 0.2, kind="svm", data_losses=data_losses, reg_term=0.4,
                                    half_reg_gradient=half_reg_gradient)
    assert [h.mistake for h in hints] == [mistake]
