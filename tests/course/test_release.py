"""`python -m autograder release`: stubs that say what to implement, and no solution reaching students."""

import ast
import shutil
import subprocess
import sys

import nbformat
import pytest

from autograder import course
from autograder.release import (
    ReleaseError,
    build_release,
    check_no_leaks,
    secret_lines,
    strip_module,
)

MODULE_WITH_SOLUTION = '''\
import numpy as np


def double(x):
    """Twice x, elementwise.

    More text that is not the summary.
    """
    result = None
    ### BEGIN SOLUTION
    result = 2 * np.asarray(x)
    ### END SOLUTION
    return result
'''


def student_functions(release_dir):
    """(module path, qualified name) of every function whose body raises NotImplementedError."""
    found = []
    for module in sorted((release_dir / course.PACKAGE).glob("*.py")):
        tree = ast.parse(module.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef) and any(
                isinstance(child, ast.Raise) and "NotImplementedError" in ast.unparse(child) for child in ast.walk(node)
            ):
                found.append((module.name, node.name))
    return found


def test_a_solution_region_becomes_a_stub_that_names_the_function_and_file():
    stripped = strip_module(MODULE_WITH_SOLUTION, "pkg/ops.py")
    assert "2 * np.asarray" not in stripped and "BEGIN SOLUTION" not in stripped
    namespace = {}
    exec(compile(stripped, "ops.py", "exec"), namespace)
    with pytest.raises(NotImplementedError, match=r"double in pkg/ops.py is not implemented yet: Twice x, elementwise"):
        namespace["double"]([1, 2])


def test_a_stubs_message_is_plain_text_without_the_docstrings_rest_literals(release):
    with pytest.raises(NotImplementedError) as raised:
        release.regularization.l2_penalty(None)
    assert "R(W) = sum(W**2)" in str(raised.value) and "``" not in str(raised.value)


def test_code_around_a_solution_region_is_kept_verbatim():
    stripped = strip_module(MODULE_WITH_SOLUTION, "pkg/ops.py")
    for given in ("import numpy as np", "    result = None", "    return result", '    """Twice x, elementwise.'):
        assert given in stripped.splitlines()


@pytest.mark.parametrize("broken, message", [
    (MODULE_WITH_SOLUTION.replace("    ### END SOLUTION\n", ""), "never closed"),
    (MODULE_WITH_SOLUTION.replace("    ### BEGIN SOLUTION\n", ""), "without a matching begin"),
    ("### BEGIN SOLUTION\nx = 1\n### END SOLUTION\n", "must lie inside a function"),
])
def test_malformed_solution_regions_are_refused_with_their_line(broken, message):
    with pytest.raises(ReleaseError, match=message):
        strip_module(broken, "pkg/ops.py")


def test_every_student_function_of_the_release_raises_not_implemented_with_guidance(release):
    stubs = student_functions(course.release_dir())
    assert {name for _, name in stubs} >= {
        "svm_loss_naive", "svm_loss_vectorized", "softmax_loss_naive", "softmax_loss_vectorized",
        "eval_numerical_gradient", "grad_check_sparse", "l2_penalty", "l1_penalty", "elastic_net_penalty",
        "sgd", "sgd_momentum", "step_decay", "cosine_decay", "train", "predict",
    }
    import numpy as np

    W, X, y = np.zeros((3, 2)), np.ones((4, 3)), np.array([0, 1, 0, 1])
    with pytest.raises(NotImplementedError, match="svm_loss_naive in linear_classifier/losses.py"):
        release.losses.svm_loss_naive(W, X, y, 0.1)
    with pytest.raises(NotImplementedError, match="LinearClassifier.train in linear_classifier/models.py"):
        release.models.LinearSVM().train(X, y)


def test_the_committed_release_contains_no_solution_or_hidden_test_line():
    check_no_leaks(course.reference_dir(), course.release_dir())


def test_given_helpers_are_released_unchanged():
    for name in ("data.py", "validation.py"):
        reference = (course.reference_dir() / course.PACKAGE / name).read_bytes()
        assert (course.release_dir() / course.PACKAGE / name).read_bytes() == reference


def test_the_release_ships_no_developer_file_of_the_source():
    assert (course.reference_dir() / ".importlinter").is_file()
    assert sorted(path.name for path in course.release_dir().glob(".*")) == []


def test_the_release_carries_the_digits_so_it_runs_offline():
    shipped = course.COURSE_ROOT / "data" / "digits.npz"
    assert (course.release_dir() / "data" / "digits.npz").read_bytes() == shipped.read_bytes()


@pytest.fixture
def course_copy(tmp_path):
    """A copy of the course that a test may change and rebuild."""
    for name in ("nbgrader_config.py", "data"):
        source = course.COURSE_ROOT / name
        (shutil.copytree if source.is_dir() else shutil.copy)(source, tmp_path / name)
    shutil.copytree(course.reference_dir(), tmp_path / course.SOURCE_DIR / course.ASSIGNMENT,
                    ignore=shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints"))
    return tmp_path


def test_a_solution_line_copied_into_given_code_stops_the_release(course_copy):
    secret = next(line for line in sorted(secret_lines(course.reference_dir())) if "margins" in line)
    helper = course_copy / course.SOURCE_DIR / course.ASSIGNMENT / course.PACKAGE / "validation.py"
    helper.write_text(helper.read_text() + "\n\ndef leaked(margins):\n    " + secret + "\n")
    with pytest.raises(ReleaseError, match="would leak solutions") as raised:
        build_release(course_root=course_copy)
    assert secret in str(raised.value)


def test_a_module_with_solution_regions_that_the_grader_does_not_grade_stops_the_release(course_copy):
    helper = course_copy / course.SOURCE_DIR / course.ASSIGNMENT / course.PACKAGE / "validation.py"
    helper.write_text(helper.read_text() + "\n\ndef extra():\n    ### BEGIN SOLUTION\n    return 1\n    ### END SOLUTION\n")
    with pytest.raises(ReleaseError, match="not the student modules the grader grades") as raised:
        build_release(course_root=course_copy)
    assert "linear_classifier/validation.py" in str(raised.value)


def test_a_release_that_fails_after_nbgrader_ran_leaves_no_partial_folder_behind(course_copy):
    # A solution line in a notebook's markdown is found in the generated notebooks only.
    secret = next(line for line in sorted(secret_lines(course.reference_dir())) if "margins" in line)
    notebook = sorted((course_copy / course.SOURCE_DIR / course.ASSIGNMENT).glob("0*.ipynb"))[0]
    content = nbformat.read(notebook, as_version=4)
    content.cells.append(nbformat.v4.new_markdown_cell(secret))
    nbformat.write(content, notebook)
    with pytest.raises(ReleaseError, match="would leak solutions"):
        build_release(course_root=course_copy)
    assert not (course_copy / course.RELEASE_DIR / course.ASSIGNMENT).exists()


def test_a_malformed_region_stops_the_release_before_nbgrader_runs_and_keeps_the_last_release(course_copy):
    previous = course_copy / course.RELEASE_DIR / course.ASSIGNMENT
    previous.mkdir(parents=True)
    (previous / "kept.txt").write_text("the last good release")
    losses = course_copy / course.SOURCE_DIR / course.ASSIGNMENT / course.PACKAGE / "losses.py"
    losses.write_text(losses.read_text().replace("    ### END SOLUTION\n", "", 1))
    with pytest.raises(ReleaseError, match="inside another solution region"):
        build_release(course_root=course_copy)
    assert (previous / "kept.txt").read_text() == "the last good release"


def test_the_release_is_rebuilt_byte_for_byte(course_copy):
    rebuilt = build_release(course_root=course_copy)
    committed = course.release_dir()
    rebuilt_files = sorted(p.relative_to(rebuilt) for p in rebuilt.rglob("*") if p.is_file())
    committed_files = sorted(p.relative_to(committed) for p in committed.rglob("*")
                             if p.is_file() and "__pycache__" not in p.parts)
    assert rebuilt_files == committed_files
    for relative in rebuilt_files:
        assert (rebuilt / relative).read_bytes() == (committed / relative).read_bytes(), relative


def test_the_release_command_reports_failure_without_a_traceback(course_copy):
    losses = course_copy / course.SOURCE_DIR / course.ASSIGNMENT / course.PACKAGE / "losses.py"
    losses.write_text(losses.read_text().replace("    ### BEGIN SOLUTION\n", "", 1))
    result = subprocess.run([sys.executable, "-m", "autograder", "release", "--course-root", str(course_copy)],
                            capture_output=True, text=True, cwd=course_copy)
    assert result.returncode == 1
    assert "release failed" in result.stderr and "without a matching begin" in result.stderr
    assert "Traceback" not in result.stderr
