"""With the settings 04_optimization uses, the reference does what the notebook (and issue 2) claims.

The settings are read from the notebook's tagged cells, so the tests follow the notebook when it changes.
"""

import nbformat
import numpy as np
import pytest
from scipy.optimize import minimize

from autograder import course

NOTEBOOK = course.reference_dir() / "04_optimization.ipynb"
#: How far above the full-batch optimum the SGD solution's objective may end (issue 2: within 1%).
OPTIMUM_GAP = 0.01
#: Validation accuracy both classifiers must reach on the digits (issue 2).
MIN_VALIDATION_ACCURACY = 0.93


@pytest.fixture
def lc(reference_as_notebooks_import_it):
    return reference_as_notebooks_import_it


def notebook_settings(tag):
    """Run the notebook cell tagged ``tag`` (plain assignments) and return the names it defines."""
    cells = [cell for cell in nbformat.read(NOTEBOOK, as_version=4).cells if tag in cell.metadata.get("tags", [])]
    assert len(cells) == 1, f"{NOTEBOOK.name} must have exactly one cell tagged {tag!r}"
    namespace = {"np": np}
    exec(cells[0].source, namespace)
    return namespace


def test_softmax_sgd_objective_is_within_one_percent_of_the_lbfgs_optimum(lc):
    settings = notebook_settings("digits-settings")["softmax_settings"]
    data = lc.data.get_digits_data()
    X, y, reg = data["X_train"], data["y_train"], settings["reg"]
    shape = (X.shape[1], int(y.max()) + 1)

    def objective(w):
        loss, dW = lc.losses.softmax_loss_vectorized(w.reshape(shape), X, y, reg)
        return loss, dW.ravel()

    optimum = minimize(objective, np.zeros(np.prod(shape)), jac=True, method="L-BFGS-B",
                       options={"maxiter": 5000, "ftol": 1e-15, "gtol": 1e-10})
    assert optimum.success, optimum.message
    assert np.abs(objective(optimum.x)[1]).max() < 1e-6, "L-BFGS did not reach a stationary point"

    model = lc.models.Softmax()
    model.train(X, y, **settings)
    sgd_objective = objective(model.W.ravel())[0]
    gap = (sgd_objective - optimum.fun) / optimum.fun
    assert 0 <= gap < OPTIMUM_GAP, f"SGD objective {sgd_objective:.6f}, optimum {optimum.fun:.6f}, gap {gap:.3%}"


@pytest.mark.parametrize("settings_name, model_name", [("svm_settings", "LinearSVM"), ("softmax_settings", "Softmax")])
def test_classifier_reaches_093_validation_accuracy_on_the_digits_with_the_notebooks_settings(
        lc, settings_name, model_name):
    settings = notebook_settings("digits-settings")[settings_name]
    data = lc.data.get_digits_data()
    model = getattr(lc.models, model_name)()
    history = model.train(data["X_train"], data["y_train"], **settings)
    assert len(history) == settings["num_iters"]
    accuracy = np.mean(model.predict(data["X_val"]) == data["y_val"])
    assert accuracy >= MIN_VALIDATION_ACCURACY


MINIMUM = np.array([1.0, 3.0])
ACROSS_VALLEY = np.array([1.0, 1.0]) / np.sqrt(2.0)


def _lecture_function_path(rule, config, start, num_steps):
    """Points visited on f(x, y) = (x + 2y - 7)^2 + (2x + y - 5)^2, whose gradient is H (p - MINIMUM)."""
    hessian = np.array([[10.0, 8.0], [8.0, 10.0]])
    point, path = start.astype(float), [start.astype(float)]
    for _ in range(num_steps):
        point, config = rule(point, hessian @ (point - MINIMUM), config)
        path.append(np.array(point))
    path = np.array(path)
    distance = np.linalg.norm(path - MINIMUM, axis=1)
    side = np.sign((path - MINIMUM) @ ACROSS_VALLEY)
    return distance, int(np.sum(side[1:] != side[:-1]))


def test_gradient_descent_on_the_lecture_function_behaves_as_the_notebook_states(lc):
    settings = notebook_settings("lecture-function-settings")
    start, num_steps = settings["START"], settings["NUM_STEPS"]
    assert settings["LEARNING_RATES"] == [0.01, 0.10, 0.11, 0.12]
    runs = {lr: _lecture_function_path(lc.optim.sgd, {"learning_rate": lr}, start, num_steps)
            for lr in settings["LEARNING_RATES"]}

    # 0.01 falls short: it never crosses the valley floor and is still about 0.77 away.
    distance, crossings = runs[0.01]
    assert crossings == 0 and np.all(np.diff(distance) < 0) and 0.7 < distance[-1] < 0.85
    # 0.10 converges: about 1e-4 away.
    distance, crossings = runs[0.10]
    assert distance[-1] < 2e-4
    # 0.11 oscillates: it crosses at every step and is still more than 2 away, but closer than at the start.
    distance, crossings = runs[0.11]
    assert crossings == num_steps and 2 < distance[-1] < distance[0]
    # 0.12 diverges: about 1e4 away.
    distance, crossings = runs[0.12]
    assert crossings == num_steps and distance[-1] > 1e3 * distance[0]


def test_momentum_on_the_lecture_function_converges_where_gradient_descent_diverges(lc):
    settings = notebook_settings("lecture-function-settings")
    start, num_steps = settings["START"], settings["NUM_STEPS"]
    with_momentum, _ = _lecture_function_path(lc.optim.sgd_momentum, {"learning_rate": 0.12, "momentum": 0.9},
                                              start, num_steps)
    without, _ = _lecture_function_path(lc.optim.sgd, {"learning_rate": 0.12}, start, num_steps)
    assert without[-1] > without[0] and with_momentum[-1] < 0.05 * with_momentum[0]
    # At 0.01 momentum ends closer than plain gradient descent (0.48 against 0.77 in the notebook).
    slow_momentum, _ = _lecture_function_path(lc.optim.sgd_momentum, {"learning_rate": 0.01, "momentum": 0.9},
                                              start, num_steps)
    slow_plain, _ = _lecture_function_path(lc.optim.sgd, {"learning_rate": 0.01}, start, num_steps)
    assert slow_momentum[-1] < slow_plain[-1]
