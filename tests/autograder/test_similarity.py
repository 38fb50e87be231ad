"""``python -m autograder similarity``: a disguised copy is found, independent solutions and the release are not.

The class is graded in this process (:mod:`support.graded_class`) and written by the grader's own writers,
so the comparison reads ``.code/`` and ``failures.json`` exactly as after ``grade``. Every student's modules
are the release's stubs but ``losses.py``, which is: the reference with a rare bug (``original``); the same,
disguised (``disguised``: every local variable renamed, the functions in reverse order, comments gone); a
solution written independently (``independent``); the reference itself (``reference``); or the stub, the
release as handed out (``release``).
"""

import ast
import csv

import pytest

from autograder import course
from autograder.__main__ import main
from autograder.outputs import write_all
from autograder.similarity import SimilarityError, find_pairs
from support.graded_class import batch, bug_patch, student

LOSSES = f"{course.PACKAGE}/losses.py"
BUG = "svm_naive_counts_correct_class"

INDEPENDENT = '''
import numpy as np
from .validation import check_loss_inputs


def softmax_loss_vectorized(W, X, y, reg):
    check_loss_inputs(W, X, y)
    n = len(y)
    logits = X @ W
    logits = logits - np.max(logits, axis=1)[:, None]
    log_norm = np.log(np.sum(np.exp(logits), axis=1))
    log_p = logits - log_norm[:, None]
    value = -log_p[np.arange(n), y].sum() / n + reg * (W ** 2).sum()
    p = np.exp(log_p)
    p[np.arange(n), y] = p[np.arange(n), y] - 1
    return float(value), X.T @ p / n + 2 * reg * W


def softmax_loss_naive(W, X, y, reg):
    check_loss_inputs(W, X, y)
    total, grad = 0.0, np.zeros_like(W, dtype=float)
    for xi, label in zip(X, y):
        s = xi @ W
        s = s - s.max()
        e = np.exp(s)
        prob = e / e.sum()
        total -= np.log(prob[label])
        prob[label] -= 1
        grad += np.outer(xi, prob)
    count = X.shape[0]
    return float(total / count + reg * np.sum(W * W)), grad / count + 2 * reg * W


def svm_loss_vectorized(W, X, y, reg):
    check_loss_inputs(W, X, y)
    n = X.shape[0]
    s = X.dot(W)
    correct = s[np.arange(n), y][:, None]
    m = np.maximum(0, s - correct + 1.0)
    m[np.arange(n), y] = 0
    active = (m > 0).astype(float)
    active[np.arange(n), y] = -active.sum(axis=1)
    return float(m.sum() / n + reg * np.sum(W * W)), X.T.dot(active) / n + 2 * reg * W


def svm_loss_naive(W, X, y, reg):
    check_loss_inputs(W, X, y)
    grad = np.zeros(W.shape)
    total = 0.0
    for i in range(X.shape[0]):
        row = W.T.dot(X[i])
        for c in range(W.shape[1]):
            if c == y[i]:
                continue
            gap = row[c] - row[y[i]] + 1.0
            if gap > 0:
                total = total + gap
                grad[:, c] = grad[:, c] + X[i]
                grad[:, y[i]] = grad[:, y[i]] - X[i]
    n = X.shape[0]
    return float(total / n + reg * (W * W).sum()), grad / n + 2 * reg * W
'''


def reference_losses():
    text = (course.reference_dir() / LOSSES).read_text(encoding="utf-8")
    return "".join(line for line in text.splitlines(keepends=True) if "### BEGIN" not in line and "### END" not in line)


class _Rename(ast.NodeTransformer):
    """Renames every argument and local variable (not modules, functions or attributes)."""

    KEEP = {"np", "check_loss_inputs", "float", "range", "len", "SVM_MARGIN", "zip", "max", "min", "sum", "abs"}

    def visit_arg(self, node):
        node.arg = f"v_{node.arg}_x"
        return node

    def visit_Name(self, node):
        if node.id not in self.KEEP and not node.id.startswith(("svm_", "softmax_")):
            node.id = f"v_{node.id}_x"
        return node


def disguise(source):
    """``source`` with its variables renamed, its functions in reverse order and its comments gone."""
    tree = _Rename().visit(ast.parse(source))
    functions = [node for node in tree.body if isinstance(node, ast.FunctionDef)]
    others = [node for node in tree.body if not isinstance(node, ast.FunctionDef)]
    tree.body = others + functions[::-1]
    return ast.unparse(tree)


def stubs():
    return {relative: (course.release_dir() / relative).read_text(encoding="utf-8")
            for relative in course.student_files()}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    _, _, bug = bug_patch(BUG)
    original = reference_losses() + "\n" + bug
    losses = {"original": original, "disguised": disguise(original), "independent": INDEPENDENT,
              "reference": reference_losses(), "release": stubs()[LOSSES]}
    students = [student(name, [BUG] if name in ("original", "disguised") else [], {**stubs(), LOSSES: text})
                for name, text in losses.items()]
    students += [student(f"other{i}", [], stubs()) for i in range(3)]  # handed in the release untouched
    out = tmp_path_factory.mktemp("graded") / "out"
    write_all(batch(students, out), out)
    return out


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
    scores = {frozenset((p.first, p.second)): p.score for p in find_pairs(graded, threshold=0.0)[0]}
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
