"""Nothing given in the release does a graded task (issue 17).

Every public function and method of the release's given modules (``checks/``, ``data``, ``plotting``,
``validation``, ``tracebacks``, ``explore/``, ...) is called with the arguments of each graded function, sampled at
random, and its result compared with the reference solution's: a match means a student could hand that callable
in as their answer (``checks/numerics.py``'s ``centered_difference`` was one for ``eval_numerical_gradient``).
The notebooks' relative error ``|num - ana| / max(1e-8, |num| + |ana|)``, the core of ``grad_check_sparse``, is
given only as ``gradients.rel_error`` in the student's own module, which returns the largest error, not one per
entry; no given module may compute the per-entry errors.
"""

import copy
import importlib
import inspect
import pkgutil
import warnings

import numpy as np
import pytest

from autograder import course
from autograder.packages import load_linear_classifier, reference_package


def _loss_samples(rng):
    W = 0.5 * rng.standard_normal((6, 4))
    X = rng.standard_normal((9, 6))
    y = rng.integers(4, size=9)
    return [((W, X, y, 0.3), {}), ((W, X, y, 0.0), {})]


def _smooth(x):
    return float(np.sum(np.sin(x) * np.arange(1, x.size + 1).reshape(x.shape)))


def _numerical_gradient_samples(rng):
    x = rng.uniform(-1, 1, (3, 4))
    return [((_smooth, x), {}), ((_smooth, x), {"h": 1e-3})]


def _grad_check_samples(rng):
    x = rng.uniform(-1, 1, (3, 4))
    analytic = rng.standard_normal((3, 4))
    return [((_smooth, x, analytic), {"num_checks": 6, "seed": 3}), ((_smooth, x, analytic), {})]


def _per_entry_errors(numeric, analytic):
    return np.abs(numeric - analytic) / np.maximum(1e-8, np.abs(numeric) + np.abs(analytic))


def _relative_error_samples(rng):
    return [((rng.standard_normal((3, 4)), rng.standard_normal((3, 4))), {})]


def _penalty_samples(rng):
    W = rng.standard_normal((5, 3))
    return [((W,), {})]


def _elastic_net_samples(rng):
    W = rng.standard_normal((5, 3))
    return [((W,), {}), ((W, 0.3), {})]


def _update_samples(rng):
    w, dw = rng.standard_normal((4, 3)), rng.standard_normal((4, 3))
    return [((w, dw, {"learning_rate": 0.3}), {}), ((w, dw, {"learning_rate": 0.3, "momentum": 0.7,
                                                          "velocity": rng.standard_normal((4, 3))}), {})]


def _step_decay_samples(rng):
    return [((0.37, 250), {"decay_rate": 0.3, "decay_every": 70}), ((0.37, 250, 0.3, 70), {})]


def _cosine_samples(rng):
    return [((0.37, 123, 400), {})]


#: graded task -> (how its inputs are sampled, how the reference computes its result from them). Models are left
#: out: ``train`` and ``predict`` act on an instance's ``W``, which no given callable receives.
def _graded_tasks(reference):
    def call(module, name):
        return lambda *args, **kwargs: getattr(getattr(reference, module), name)(*args, **kwargs)

    tasks = {f"losses.{name}": (_loss_samples, call("losses", name))
             for name in ("svm_loss_naive", "svm_loss_vectorized", "softmax_loss_naive", "softmax_loss_vectorized")}
    tasks.update({
        "gradients.eval_numerical_gradient": (_numerical_gradient_samples,
                                              call("gradients", "eval_numerical_gradient")),
        "gradients.grad_check_sparse": (_grad_check_samples, call("gradients", "grad_check_sparse")),
        "grad_check_sparse's per-entry relative error": (_relative_error_samples, _per_entry_errors),
        "regularization.l2_penalty": (_penalty_samples, call("regularization", "l2_penalty")),
        "regularization.l1_penalty": (_penalty_samples, call("regularization", "l1_penalty")),
        "regularization.elastic_net_penalty": (_elastic_net_samples, call("regularization", "elastic_net_penalty")),
        "optim.sgd": (_update_samples, call("optim", "sgd")),
        "optim.sgd_momentum": (_update_samples, call("optim", "sgd_momentum")),
        "optim.step_decay": (_step_decay_samples, call("optim", "step_decay")),
        "optim.cosine_decay": (_cosine_samples, call("optim", "cosine_decay")),
    })
    return tasks


def _parts(result):
    """The numbers and arrays in a result (a tuple's items, a dict's values), as float arrays."""
    items = result if isinstance(result, (tuple, list)) else [result]
    parts = []
    for item in items:
        if isinstance(item, dict):
            continue
        try:
            array = np.asarray(item, dtype=float)
        except (TypeError, ValueError):
            continue
        if array.size and np.all(np.isfinite(array)):
            parts.append(array)
    return parts


def _reproduces(got, expected):
    """Whether a result holds every number or array the reference's result holds (a loss, dW, next_w...)."""
    wanted = _parts(expected)
    have = _parts(got)
    return bool(wanted) and all(
        any(part.shape == goal.shape and np.allclose(part, goal, rtol=1e-6, atol=1e-9) for part in have)
        for goal in wanted)


def given_modules(package_name):
    """The importable modules of a loaded package that students do not write."""
    package = importlib.import_module(package_name)
    student = {f"{package_name}.{module}" for module in course.STUDENT_MODULES}
    names = [package_name] + [info.name for info in pkgutil.walk_packages(package.__path__, package_name + ".")]
    return [importlib.import_module(name) for name in names if name not in student]


def public_callables(module):
    """``(qualified name, callable)`` of the module's own public functions, and of its classes' public methods
    bound to an instance made without arguments (classes that need arguments offer their methods unbound)."""
    found = []
    for name, value in vars(module).items():
        if name.startswith("_") or getattr(value, "__module__", None) != module.__name__:
            continue
        if inspect.isfunction(value):
            found.append((f"{module.__name__}.{name}", value))
        elif inspect.isclass(value):
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    owner = value()
            except Exception:  # noqa: BLE001 (a class that needs arguments: its methods are tried unbound)
                owner = value
            for method_name, method in inspect.getmembers(value, inspect.isfunction):
                if not method_name.startswith("_"):
                    found.append((f"{module.__name__}.{name}.{method_name}", getattr(owner, method_name)))
    return found


def reproductions(package_name, tasks, seed=0):
    """``(callable, graded task)`` pairs where a given callable returned the reference's result."""
    rng = np.random.default_rng(seed)
    samples = {task: [(args, kwargs, reference(*copy.deepcopy(args), **copy.deepcopy(kwargs)))
                      for args, kwargs in sample(rng)]
               for task, (sample, reference) in tasks.items()}
    found = []
    for module in given_modules(package_name):
        for name, candidate in public_callables(module):
            for task, cases in samples.items():
                for args, kwargs, expected in cases:
                    try:
                        with warnings.catch_warnings(), np.errstate(all="ignore"):
                            warnings.simplefilter("ignore")
                            got = candidate(*copy.deepcopy(args), **copy.deepcopy(kwargs))
                    except Exception:  # noqa: BLE001 (most candidates reject these arguments: that is the point)
                        continue
                    if _reproduces(got, expected):
                        found.append((name.split(".", 1)[1], task))
                        break
    return sorted(set(found))


@pytest.fixture(scope="module")
def graded_tasks():
    return _graded_tasks(reference_package())


def test_no_given_callable_of_the_release_reproduces_a_graded_function(graded_tasks):
    load_linear_classifier(course.release_dir(), "release_linear_classifier")
    assert reproductions("release_linear_classifier", graded_tasks) == []


def test_the_search_finds_a_given_callable_that_does_a_graded_task(graded_tasks, tmp_path):
    """The search is not blind: a given module that holds a numerical gradient is found."""
    package = tmp_path / course.PACKAGE
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "helpers.py").write_text(
        "import numpy as np\n\n\n"
        "def centered(f, x, h=1e-5):\n"
        "    x = np.array(x, dtype=float)\n"
        "    grad = np.empty(x.shape)\n"
        "    for ix in np.ndindex(x.shape):\n"
        "        e = np.zeros(x.shape)\n"
        "        e[ix] = h\n"
        "        grad[ix] = (f(x + e) - f(x - e)) / (2 * h)\n"
        "    return grad\n")
    load_linear_classifier(tmp_path, "planted_linear_classifier")
    assert reproductions("planted_linear_classifier", graded_tasks) == [
        ("helpers.centered", "gradients.eval_numerical_gradient")]
