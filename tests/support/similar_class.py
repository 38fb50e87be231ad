"""A class for the similarity tests: a disguised copy, independent solutions, the release (see the tests)."""

import ast

from autograder import course
from autograder.outputs import write_all
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
    last = {node.name: node for node in tree.body if isinstance(node, ast.FunctionDef)}  # the definitions that run
    functions = [node for node in tree.body if isinstance(node, ast.FunctionDef) and last[node.name] is node]
    others = [node for node in tree.body if not isinstance(node, ast.FunctionDef)]
    tree.body = others + functions[::-1]
    return ast.unparse(tree)


def stubs():
    return {relative: (course.release_dir() / relative).read_text(encoding="utf-8")
            for relative in course.student_files()}


def write_similar_class(out):
    """Grade the class into ``out`` (the grader's own writers) and return ``out``."""
    _, _, bug = bug_patch(BUG)
    original = reference_losses() + "\n" + bug
    losses = {"original": original, "disguised": disguise(original), "independent": INDEPENDENT,
              "reference": reference_losses(), "release": stubs()[LOSSES]}
    students = [student(name, [BUG] if name in ("original", "disguised") else [], {**stubs(), LOSSES: text})
                for name, text in losses.items()]
    students += [student(f"other{i}", [], stubs()) for i in range(3)]  # handed in the release untouched
    write_all(batch(students, out), out)
    return out


