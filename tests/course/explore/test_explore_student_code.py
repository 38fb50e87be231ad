"""The explorer and the student's code: stubs and errors never stop a panel, saved edits are picked up, a busy
sign covers redraws, saved notebooks keep a note, and the released explorer holds no solution."""

import shutil

import ipywidgets as widgets
import nbformat
import numpy as np
import pytest
from nbclient import NotebookClient

from autograder import course
from autograder.release import BEGIN_SOLUTION, solution_regions, strip_module
from explore_readouts import close_to, shown, start_view, svm_of

REFERENCE = course.reference_dir()
PACKAGE = course.PACKAGE


PANELS = ["Playground", "LandscapeExplorer", "StepSizeLab", "MomentumLab", "BatchSizeLab", "ScoresComparison"]
#: The student functions the panels call; the tests replace them by one that raises.
CALLED = {"losses": ["svm_loss_vectorized", "softmax_loss_vectorized"], "optim": ["sgd", "sgd_momentum"]}


def raise_index_error(*args, **kwargs):
    raise IndexError("index 3 is out of bounds for axis 1 with size 3")


@pytest.mark.parametrize("panel_name", PANELS)
def test_every_panel_builds_when_the_students_code_raises_and_shows_the_error(explore, lc, monkeypatch, panel_name):
    for module, names in CALLED.items():
        for name in names:
            monkeypatch.setattr(getattr(lc, module), name, raise_index_error)
    panel = getattr(explore, panel_name)()
    assert isinstance(panel.widget, widgets.VBox) and panel.figure.canvas in _descendants(panel.widget)
    assert "lx-error" in panel.status.value
    assert "IndexError: index 3 is out of bounds for axis 1 with size 3" in panel.status.value
    assert "lx-stub" not in panel.status.value


def _descendants(widget):
    children = list(getattr(widget, "children", ()))
    return children + [grandchild for child in children for grandchild in _descendants(child)]


def test_a_syntax_error_in_a_student_module_is_shown_with_its_file_line_and_text(explore, lc, monkeypatch):
    losses_file = lc.losses.__file__

    def import_with_syntax_error(*args, **kwargs):
        # What importing losses.py raises after the student saved ``def broken(:`` at line 177.
        raise SyntaxError("invalid syntax", (losses_file, 177, 12, "def broken(:\n"))

    monkeypatch.setattr(lc.losses, "svm_loss_vectorized", import_with_syntax_error)
    panel = explore.ScoresComparison()
    assert "SyntaxError: invalid syntax (losses.py, line 177)" in panel.status.value
    assert "in linear_classifier/losses.py, line 177" in panel.status.value
    assert "def broken(:" in panel.status.value


@pytest.mark.parametrize("panel_name, shown_class", [("ScoresComparison", "lx-softmax-0"),
                                                     ("LandscapeExplorer", "lx-softmax-centre")])
def test_a_failing_svm_loss_leaves_the_softmax_half_of_a_panel_working(
        explore, lc, monkeypatch, landscape_state, panel_name, shown_class):
    monkeypatch.setattr(lc.losses, "svm_loss_vectorized", raise_index_error)
    if panel_name == "LandscapeExplorer":
        panel = explore.LandscapeExplorer(landscape_state)
    else:
        panel = explore.ScoresComparison()
    assert shown(panel.readout.value, shown_class) is not None
    assert "while calling losses.svm_loss_vectorized" in panel.status.value
    assert "softmax" not in panel.status.value.lower()


def test_a_student_module_saved_since_it_was_loaded_is_reloaded_at_the_next_control_change(explore, lc, monkeypatch):
    panel = explore.ScoresComparison()
    monkeypatch.setattr(lc.losses, "svm_loss_vectorized", raise_index_error)
    panel.score_boxes[0][1].value = 1.0
    assert "IndexError" in panel.status.value
    # The file now looks newer than the module in memory, as after the student saved an edit.
    monkeypatch.setitem(explore.student._loaded_mtimes, "losses", 0)
    panel.score_boxes[0][1].value = 2.0
    assert panel.status.value == ""
    assert lc.losses.svm_loss_vectorized is not raise_index_error
    assert close_to(shown(panel.readout.value, "lx-svm-0"), svm_of(np.array([10.0, 2.0, 3.0])), digits=4)


def test_a_busy_sign_shows_while_the_browser_redraws_a_figure(explore):
    panel = explore.StepSizeLab()
    canvas = panel.figure.canvas
    start_view(canvas)
    panel.steps_slider.value = 120  # the x axis grows: the whole figure must be redrawn by the browser
    assert "drawing" in panel.busy.value and "lx-busy" in panel.widget._dom_classes
    canvas._handle_message(canvas, {"type": "draw"}, [])
    assert panel.busy.value == "" and "lx-busy" not in panel.widget._dom_classes
    panel.rate_slider.value = 0.05  # only the path moves: blitted at once, nothing to wait for
    assert panel.busy.value == ""


@pytest.mark.parametrize("panel_name", PANELS)
def test_a_saved_notebook_keeps_a_note_in_place_of_the_panel(explore, panel_name):
    panel = getattr(explore, panel_name)()
    bundle = panel._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert panel.title in bundle["text/plain"] and "run this cell again" in bundle["text/plain"]


# ------------------------------------------------------------------------------------------------
# The released module: no solution code, and stubs are named
# ------------------------------------------------------------------------------------------------

def test_the_explorer_holds_no_solution_code():
    package = REFERENCE / PACKAGE
    explorer = sorted((package / "explore").glob("*.py"))
    assert explorer
    secret = set()
    for module in package.rglob("*.py"):
        lines = module.read_text(encoding="utf-8").splitlines()
        for region in solution_regions(lines, module):
            secret.update(line.strip() for line in lines[region.begin + 1:region.end] if len(line.strip()) > 12)
    for module in explorer:
        text = module.read_text(encoding="utf-8")
        assert BEGIN_SOLUTION not in text, module
        assert not secret & {line.strip() for line in text.splitlines()}, module


EXPLORER = "05_loss_explorer.ipynb"
#: The stubs the panels name when nothing is implemented.
STUBS_NAMED = {
    "Playground": ["losses.svm_loss_vectorized"],
    "StepSizeLab": ["optim.sgd"],
    "MomentumLab": ["optim.sgd_momentum"],
    "BatchSizeLab": ["optim.sgd"],
    "ScoresComparison": ["losses.svm_loss_vectorized", "losses.softmax_loss_vectorized"],
    "LandscapeExplorer": ["losses.softmax_loss_vectorized", "losses.svm_loss_vectorized"],
}


@pytest.fixture(scope="module")
def release_copy(tmp_path_factory):
    """The explorer notebook beside the package with every solution region replaced by its stub,
    as ``python -m autograder release`` does."""
    folder = tmp_path_factory.mktemp("release")
    package = folder / PACKAGE
    shutil.copytree(REFERENCE / PACKAGE, package, ignore=shutil.ignore_patterns("__pycache__"))
    for module in package.rglob("*.py"):
        text = module.read_text(encoding="utf-8")
        if BEGIN_SOLUTION in text:
            module.write_text(strip_module(text, module.relative_to(folder).as_posix()), encoding="utf-8")
    shutil.copy(REFERENCE / EXPLORER, folder / EXPLORER)
    return folder


def test_release_explorer_notebook_runs_to_the_end_and_names_the_stubs(release_copy, monkeypatch):
    """With every solution region replaced by its stub, the explorer runs to the end (unlike the graded
    notebooks, it never stops at a stub), and its panels say which functions to implement."""
    monkeypatch.setenv("LOSS_OPTIMIZATION_DATA", str(course.COURSE_ROOT / "data"))
    notebook = nbformat.read(release_copy / EXPLORER, as_version=4)
    NotebookClient(notebook, timeout=120, kernel_name="python3",
                   resources={"metadata": {"path": str(release_copy)}}).execute()
    outputs = [output for cell in notebook.cells if cell.cell_type == "code" for output in cell.outputs]
    assert not [output for output in outputs if output.output_type in ("error", "stream")]
    state = notebook.metadata.widgets["application/vnd.jupyter.widget-state+json"]["state"]
    shown_html = " ".join(str(model["state"].get("value", "")) for model in state.values())
    assert "lx-error" not in shown_html
    for stubs in STUBS_NAMED.values():
        for stub in stubs:
            assert f"Implement {stub} in linear_classifier/{stub.split('.')[0]}.py" in shown_html


# ------------------------------------------------------------------------------------------------
# A student function that returns None or the wrong thing: named, with its file and line
# ------------------------------------------------------------------------------------------------

def penalty_without_return(W):
    np.sum(W * W)  # the student computed the penalty and forgot to return it


def penalty_of_one_number(W):
    return float(np.sum(W * W))  # the value alone, without the gradient


def _playground_with_penalty(explore, lc, monkeypatch, function):
    monkeypatch.setattr(lc.regularization, "l2_penalty", function)
    panel = explore.Playground()
    panel.penalty_choice.value = "L2"
    panel.reg_slider.value = 0.1
    return panel


def test_a_penalty_that_returns_none_is_named_with_its_file_and_line(explore, lc, monkeypatch):
    panel = _playground_with_penalty(explore, lc, monkeypatch, penalty_without_return)
    status = panel.status.value
    assert "l2_penalty in linear_classifier/regularization.py returned None" in status, status
    assert f"line {penalty_without_return.__code__.co_firstlineno}, in l2_penalty" in status, status
    assert "return" in status and "explore/" not in status and "Traceback" not in status


def test_an_error_of_the_panel_on_a_students_result_names_the_function_and_no_machine_path(
        explore, lc, monkeypatch):
    panel = _playground_with_penalty(explore, lc, monkeypatch, penalty_of_one_number)
    status = panel.status.value
    assert "lx-error" in status and "<code>l2_penalty</code>" in status, status
    assert "linear_classifier/regularization.py" in status and "its docstring says it returns" in status
    assert str(REFERENCE) not in status and "site-packages" not in status and "/usr/" not in status, status
    assert "linear_classifier/explore/plane.py" in status  # the folded traceback, relative to the assignment


def test_the_playgrounds_messages_sit_right_under_its_buttons(explore):
    panel = explore.Playground()
    rows = list(panel.widget.children)
    buttons = next(row for row in rows if panel.step_button in getattr(row, "children", ()))
    assert rows[rows.index(buttons) + 1] is panel.status
