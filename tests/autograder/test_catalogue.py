"""The autograder's tests judged in-process: full marks for the reference and for other correct
formulations, nothing for the release stubs, a diagnosis for common mistakes, and no expected value
in what a hidden test says."""

import importlib
import re

import numpy as np
import pytest

from autograder import catalogue, course, execution
from autograder.calls import runners
from autograder.catalogue import differences
from autograder.points import group_points, load_points
from autograder.packages import Reference, load_reference
from corpus.build import CORPUS_DIR, build_submissions, judge, load_cases
from support.submissions import make_submission


def grade_in_process(package_dir, seed=3, groups=None):
    """Verdicts of every test for the package at ``package_dir`` (loaded under an alias of its own)."""
    package = Reference(package_dir)
    plan = catalogue.build_plan(seed, groups)
    outcomes = execution.run_in_process(plan, list(plan.cases), package.module, load_reference())
    judge = catalogue.Judge(plan, load_reference())
    return {test.name: judge.verdict(test, outcomes) for test in plan.tests}


def package_with(tmp_path, base="reference", **append):
    """A submission's package directory: ``append`` maps module names to code added at their end."""
    folder = make_submission(tmp_path, "student", base, {f"{m}.py": code for m, code in append.items()})
    return folder / "linear_classifier"


@pytest.mark.parametrize("seed", [0, 1, 2 ** 62 + 7])
def test_reference_passes_every_test_for_any_seed(seed):
    reference = load_reference()
    verdicts = grade_in_process(reference.package_dir, seed)
    assert [name for name, v in verdicts.items() if not v.passed] == []
    assert list(verdicts) == catalogue.all_test_names()


def test_release_stubs_fail_every_test_as_not_implemented(tmp_path):
    verdicts = grade_in_process(package_with(tmp_path, "stubs"))
    assert {v.status for v in verdicts.values()} == {"not_implemented"}


def test_points_give_every_test_a_value_and_every_group_some_points():
    points = load_points()
    assert list(points) == catalogue.all_test_names()
    assert all(total > 0 for total in group_points(points).values())
    assert all(name.split(".")[0] + "." + name.split(".")[1] in catalogue.GROUPS for name in points)


def test_inputs_are_reproducible_per_seed_and_differ_between_seeds():
    first, again, other = (catalogue.build_plan(s) for s in (11, 11, 12))
    key = "losses.svm_loss_naive@basic"
    assert np.array_equal(first.cases[key].args["W"], again.cases[key].args["W"])
    assert not np.array_equal(first.cases[key].args["W"], other.cases[key].args["W"])


def test_inputs_cover_the_shapes_and_values_the_issue_asks_for():
    plan = catalogue.build_plan(5)
    shapes = {(len(c.args["y"]), *c.args["W"].shape) for c in plan.cases.values() if c.runner == "loss"}
    N, D, C = zip(*shapes)
    assert 1 in N and 2 in C and any(c not in (2, 10) for c in C) and 1 in D and max(D) >= 100
    W_zero = plan.cases["losses.svm_loss_naive@zero_weights"].args["W"]
    assert np.all(W_zero == 0)
    large = plan.cases["losses.softmax_loss_naive@large_scores"].args
    assert np.abs(large["X"] @ large["W"]).max() > 800  # exp() overflows without the max shift
    assert plan.cases["losses.svm_loss_naive@large_reg"].args["reg"] >= 100


#: Every bug and alternative of the corpus (tests/corpus/): the one store of buggy and other correct solutions.
CORPUS = load_cases(CORPUS_DIR, kinds=("bug", "alternative"))


@pytest.fixture(scope="module")
def corpus_submissions(tmp_path_factory):
    """Every bug and alternative built as a submission: ``{case id: its linear_classifier folder}``."""
    root = tmp_path_factory.mktemp("corpus")
    submitted = build_submissions(CORPUS, root / "submitted", root / "out", "in-process")
    return {case.id: submitted / case.id / course.ASSIGNMENT / course.PACKAGE for case in CORPUS}


@pytest.mark.parametrize("case", CORPUS, ids=lambda case: case.id)
def test_each_bug_and_alternative_graded_in_this_process_is_judged_as_its_case_expects(corpus_submissions, case):
    # The sandboxed grader judges the same cases end to end (tests/end_to_end/test_corpus_*.py); this is the fast
    # check of the catalogue's verdicts and diagnoses alone.
    points = load_points()
    rows = [{"test": name, "score": points[name] * verdict.credit, "max_score": points[name],
             "status": verdict.status, "message": verdict.message}
            for name, verdict in grade_in_process(corpus_submissions[case.id]).items()]
    problems = judge(case, rows)
    assert not problems, f"{case.title}:\n  " + "\n  ".join(problems)


def test_hidden_tests_never_show_expected_values(tmp_path):
    package = package_with(tmp_path, losses="""
        _correct = svm_loss_naive
        def svm_loss_naive(W, X, y, reg):
            loss, dW = _correct(W, X, y, reg)
            return 2 * loss, 2 * dW
        """)
    verdicts = grade_in_process(package, seed=8)
    plan = catalogue.build_plan(8)
    reference = load_reference().module("losses")
    hidden = [v for n, v in verdicts.items() if n.startswith("losses.svm_loss_naive.") and v.hidden]
    assert hidden and all(v.details is None for v in hidden)
    assert all(v.status == "failed" for v in hidden if not v.name.endswith("inputs_unmodified"))
    for case in plan.cases.values():
        if case.target == "svm_loss_naive":
            loss = reference.svm_loss_vectorized(case.args["W"], case.args["X"], case.args["y"], case.args["reg"])[0]
            for verdict in hidden:
                assert f"{loss:.4g}" not in verdict.message
    visible = verdicts["losses.svm_loss_naive.loss"]
    assert not visible.hidden and visible.details["expected"] is not None


@pytest.mark.parametrize("result", [
    None, "text", {"outputs": {"loss": 1.0}}, {"outputs": "garbage"},
    {"outputs": {"loss": {"__array__": "object", "shape": [], "b64": ""}}},
    {"outputs": {name: {"__array__": "float64", "shape": [3], "b64": "AAAA"}
                 for name in runners.RUNNERS["loss"].outputs}},
    {"error": {"type": 3}}, {"error": "boom"},
])
def test_malformed_results_from_a_sandbox_become_crashed_outcomes(result):
    case = catalogue.build_plan(0).cases["losses.svm_loss_naive@basic"]
    assert execution.outcome_from_result(case, result).status == "crashed"


def test_results_of_the_wrong_shape_fail_only_their_test():
    plan = catalogue.build_plan(0)
    judge = catalogue.Judge(plan, load_reference())
    outcomes = {}
    for key, case in plan.cases.items():
        outputs = execution.run_call(case, load_reference().target(case.module, case.target), load_reference()).outputs
        if case.target == "svm_loss_naive":
            outputs.update(loss=np.zeros(7), dW=np.zeros((2, 2, 2)))
        outcomes[key] = catalogue.Outcome("ok", outputs={k: (v.astype(float) if isinstance(v, np.ndarray) else v)
                                                         for k, v in outputs.items()})
    verdicts = {t.name: judge.verdict(t, outcomes) for t in plan.tests}
    failed = sorted(n for n, v in verdicts.items() if not v.passed)
    assert failed and all(n.startswith("losses.svm_loss_naive.") for n in failed)
    # The inputs came back unchanged, but that is worth nothing from a loss that is not a number.
    assert verdicts["losses.svm_loss_naive.inputs_unmodified"].message.startswith(
        "not awarded: this test counts only when losses.svm_loss_naive.loss (the loss on a small batch) or "
        "losses.svm_loss_naive.gradient")


#: A mistake planted in one function, as a corpus case: (case id, module, function, the notebook check that runs
#: it, the grader's test that fails on it, the id of the mistake both must name).
PLANTED = {
    "L2 penalty halved": ("l2_uses_half_convention", "regularization", "l2_penalty", "check_l2_penalty",
                          "regularization.l2_penalty.value", "l2_half"),
    "elastic net with beta on the L1 part": ("elastic_net_beta_on_l1_term", "regularization", "elastic_net_penalty",
                                             "check_elastic_net_penalty", "regularization.elastic_net_penalty.value",
                                             "elastic_beta_on_l1"),
    "sgd stepping uphill": ("sgd_adds_the_gradient", "optim", "sgd", "check_sgd", "optim.sgd.one_step", "step_uphill"),
    "momentum that never reads its velocity back": ("momentum_forgets_previous_velocity", "optim", "sgd_momentum",
                                                    "check_sgd_momentum", "optim.sgd_momentum.steps",
                                                    "velocity_not_stored"),
    "step decay without the floor": ("step_decay_without_floor", "optim", "step_decay", "check_step_decay",
                                     "optim.step_decay.values", "step_decay_smooth"),
    "cosine decay in degrees": ("cosine_decay_in_degrees", "optim", "cosine_decay", "check_cosine_decay",
                                "optim.cosine_decay.values", "cosine_degrees"),
    "forward differences": ("numerical_gradient_forward_difference", "gradients", "eval_numerical_gradient",
                            "check_eval_numerical_gradient", "gradients.eval_numerical_gradient.values",
                            "forward_difference"),
    "gradient check errors not divided": ("grad_check_sparse_absolute_difference", "gradients", "grad_check_sparse",
                                          "check_grad_check_sparse", "gradients.grad_check_sparse.errors",
                                          "errors_not_divided"),
    "SVM counting the correct class": ("svm_naive_counts_correct_class", "losses", "svm_loss_naive",
                                       "check_svm_loss_naive", "losses.svm_loss_naive.loss",
                                       "svm_correct_class_counted"),
    "softmax without the max shift": ("softmax_vectorized_no_max_shift", "losses", "softmax_loss_vectorized",
                                      "check_softmax_loss_vectorized",
                                      "losses.softmax_loss_vectorized.loss.large_scores", "exp_overflow"),
    "softmax shifted by the batch's maximum": ("softmax_vectorized_global_max_shift", "losses",
                                               "softmax_loss_vectorized", "check_softmax_loss_vectorized",
                                               "losses.softmax_loss_vectorized.loss.large_scores", "global_max_shift"),
    "SVM in CS231n's 2015 layout": ("svm_naive_cs231n_2015_layout", "losses", "svm_loss_naive", "check_svm_loss_naive",
                                    "losses.svm_loss_naive.loss", "cs231n_2015_layout"),
}


@pytest.mark.parametrize("title", PLANTED)
def test_the_notebook_check_and_the_grader_name_a_planted_mistake_with_the_same_sentence(
        corpus_submissions, reference_as_notebooks_import_it, title):
    case_id, module_name, function_name, check_name, test, mistake = PLANTED[title]
    package = reference_as_notebooks_import_it
    function = getattr(Reference(corpus_submissions[case_id]).module(module_name), function_name)
    check = getattr(importlib.import_module(f"{course.PACKAGE}.checks.{module_name}"), check_name)
    with np.errstate(all="ignore"), pytest.raises(package.checks.report.CheckFailed) as failure:
        check(function)
    in_notebook = {getattr(h, "mistake", None): str(h) for h in failure.value.hints}

    verdict = grade_in_process(corpus_submissions[case_id], groups=[course.group_of(test)])[test]
    assert mistake in in_notebook and mistake in verdict.mistakes, (in_notebook, verdict.message)
    # The sentence of the list of mistakes in both, the fields (shapes of the inputs) filled in for each.
    template = load_reference().module("checks.mistakes").MISTAKES[mistake]
    for part in re.split(r"\{\w+\}", template):
        assert part in in_notebook[mistake] and part in verdict.message, part


# --- integrity: points only for facts a function that computes nothing cannot earn ------------------------------------

def test_a_submission_that_computes_nothing_and_leaves_its_inputs_alone_earns_no_points(corpus_submissions):
    verdicts = grade_in_process(corpus_submissions["computes_nothing"])
    points = load_points()
    earned = {name: points[name] * v.credit for name, v in verdicts.items() if v.credit}
    assert earned == {}
    side = verdicts["regularization.l1_penalty.inputs_unmodified"]
    assert side.status == "failed" and "counts only when regularization.l1_penalty.value" in side.message


def test_a_side_property_pays_once_one_main_value_is_right_even_if_other_tests_fail(tmp_path):
    package = package_with(tmp_path, regularization="""
        def l1_penalty(W):
            return float(np.sum(np.abs(W))), np.zeros(W.shape)
        """)
    verdicts = grade_in_process(package, groups=["regularization.l1_penalty"])
    assert verdicts["regularization.l1_penalty.value"].passed
    assert not verdicts["regularization.l1_penalty.gradient"].passed
    assert verdicts["regularization.l1_penalty.inputs_unmodified"].passed


@pytest.mark.parametrize("errors", ["np.zeros(num_checks)", "np.ones(num_checks)", "np.full(num_checks, 0.5)",
                                    "np.full(num_checks, _one_real_error(f, x, analytic_grad, h))"],
                         ids=["zeros", "ones", "a half", "one entry's error repeated"])
def test_grad_check_sparse_reporting_made_up_errors_earns_nothing(tmp_path, errors):
    package = package_with(tmp_path, gradients=f"""
        def _one_real_error(f, x, analytic_grad, h):
            ix = (0,) * x.ndim
            old = x[ix]
            x[ix] = old + h
            plus = f(x)
            x[ix] = old - h
            minus = f(x)
            x[ix] = old
            num, ana = (plus - minus) / (2 * h), analytic_grad[ix]
            return abs(num - ana) / (abs(num) + abs(ana)) if num or ana else 0.0

        def grad_check_sparse(f, x, analytic_grad, num_checks=10, h=1e-5, seed=None, verbose=False):
            return {errors}
        """)
    verdicts = grade_in_process(package, groups=["gradients.grad_check_sparse"])
    assert {name: v.credit for name, v in verdicts.items() if v.credit} == {}


@pytest.mark.parametrize("seed", [0, 7, 2 ** 40 + 3])
def test_every_gradient_check_input_gives_each_entry_its_own_error_and_0_or_1_only_at_improbable_entries(seed):
    numerics = load_reference().module("checks.numerics")
    threshold = load_reference().tolerances.RANDOM_ENTRIES_CHANCE
    plan = catalogue.build_plan(seed, ["gradients.grad_check_sparse"])
    for case in plan.cases.values():
        args = case.args
        per_entry = differences.error_tables(runners.make_function(args["function"]), args["x"], args["analytic_grad"],
                                             args["h"] or numerics.DEFAULT_STEP)["per_entry"].ravel()
        others = per_entry[(per_entry != 0) & (np.abs(per_entry - 1) > 1e-12)]
        assert all(numerics.matching_entries(error, others).size == 1 for error in others), case.key
        for value in (0.0, 1.0):
            assert numerics.chance_of_entries(np.full(args["num_checks"], value), per_entry) < threshold, case.key
        assert numerics.chance_of_entries(np.full(args["num_checks"], others[0]), per_entry) < 1, case.key


# --- partial credit -----------------------------------------------------------------------------------------------------

HALF_REG = """
    def svm_loss_vectorized(W, X, y, reg):
        num_train = X.shape[0]
        scores = X.dot(W)
        correct = scores[np.arange(num_train), y][:, np.newaxis]
        margins = np.maximum(0, scores - correct + 1.0)
        margins[np.arange(num_train), y] = 0
        loss = np.sum(margins) / num_train + 0.5 * reg * np.sum(W * W)
        binary = (margins > 0).astype(float)
        binary[np.arange(num_train), y] = -np.sum(binary, axis=1)
        dW = X.T.dot(binary) / num_train + reg * W
        return loss, dW
    """


def test_the_half_reg_convention_earns_the_partial_credit_points_toml_grants(tmp_path):
    package = package_with(tmp_path, losses=HALF_REG)
    verdicts = grade_in_process(package, groups=["losses.svm_loss_vectorized"])
    credits = {name.removeprefix("losses.svm_loss_vectorized."): v.credit for name, v in verdicts.items()}
    assert credits == {"loss": 0.5, "loss.shapes": 0.5, "loss.edge_values": 0.5, "gradient": 0.5,
                       "gradient.shapes": 0.5, "gradient.edge_values": 0.5, "inputs_unmodified": 1.0}
    loss = verdicts["losses.svm_loss_vectorized.loss"]
    assert loss.status == "failed" and loss.mistakes == ("half_reg",)
    assert "partial credit: 50% of the points" in loss.message
    assert verdicts["losses.svm_loss_vectorized.gradient"].mistakes == ("half_reg",)


def test_without_a_partial_credit_rule_the_half_reg_convention_scores_nothing(tmp_path):
    plan = catalogue.build_plan(3, ["losses.svm_loss_vectorized"])
    outcomes = execution.run_in_process(plan, list(plan.cases),
                                        Reference(package_with(tmp_path, losses=HALF_REG)).module)
    judge = catalogue.Judge(plan, load_reference(), partial_credit={})
    assert judge.verdict(plan.test("losses.svm_loss_vectorized.loss"), outcomes).credit == 0


def test_partial_credit_needs_every_failing_case_explained_by_the_credited_mistake(tmp_path):
    # The half convention, and one more mistake on W = 0 only: the edge-value tests lose everything.
    package = package_with(tmp_path, losses=HALF_REG + """
    _half = svm_loss_vectorized

    def svm_loss_vectorized(W, X, y, reg):
        loss, dW = _half(W, X, y, reg)
        return (loss + 1.0, dW) if not np.any(W) else (loss, dW)
    """)
    verdicts = grade_in_process(package, groups=["losses.svm_loss_vectorized"])
    assert verdicts["losses.svm_loss_vectorized.loss"].credit == 0.5
    assert verdicts["losses.svm_loss_vectorized.loss.edge_values"].credit == 0


@pytest.mark.parametrize("table, complaint", [
    ("[partial_credit]\nno_such_mistake = 0.5\n", "'no_such_mistake', which the checks do not know"),
    ("[partial_credit]\nhalf_reg = 1.5\n", "half_reg must be a fraction in (0, 1]"),
    ("[partial_credit]\nhalf_reg = 0\n", "half_reg must be a fraction in (0, 1]"),
])
def test_points_refuse_a_partial_credit_rule_for_an_unknown_mistake_or_a_bad_fraction(tmp_path, table, complaint):
    from autograder.points import POINTS_FILE, PointsError

    path = tmp_path / "points.toml"
    text = POINTS_FILE.read_text(encoding="utf-8")
    path.write_text(text[:text.index("\n[partial_credit]\n") + 1] + table, encoding="utf-8")
    with pytest.raises(PointsError) as error:
        load_points(path)
    assert complaint in str(error.value)


# --- fairness: real students' code ---------------------------------------------------------------------------------------

def test_loss_inputs_have_more_classes_than_a_data_set_and_rows_thousands_apart():
    plan = catalogue.build_plan(9, ["losses.softmax_loss_vectorized"])
    classes = {case.args["W"].shape[1] for case in plan.cases.values()}
    assert {12, 20} <= classes
    for name in ("rows_far_apart", "rows_thousands_apart"):
        args = plan.cases[f"losses.softmax_loss_vectorized@{name}"].args
        row_maxima = (args["X"] @ args["W"]).max(axis=1)
        assert row_maxima.max() - row_maxima.min() > 1000
    far = plan.cases["losses.softmax_loss_vectorized@rows_far_apart"].args
    assert np.abs(far["X"] @ far["W"]).max() < 700  # no shift at all still works: only a global shift fails
    large_scores = plan.test("losses.softmax_loss_vectorized.loss.large_scores").cases
    assert "losses.softmax_loss_vectorized@rows_far_apart" in large_scores


def test_the_graders_relative_error_has_the_floor_the_notebooks_define():
    assert differences.RELATIVE_ERROR_FLOOR == load_reference().tolerances.RELATIVE_ERROR_FLOOR
    errors = differences.relative_errors(np.array([0.0, 1e-12, 1.0]), np.array([0.0, 0.0, 1.1]))
    np.testing.assert_allclose(errors, [0.0, 1e-4, 0.1 / 2.1])
