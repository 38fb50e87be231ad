"""The given data helpers: the shipped digits, CIFAR-10's batch format, preprocessing and its errors."""

import pickle

import numpy as np
import pytest


def write_cifar_batch(path, num_images, seed):
    """Write a batch in CIFAR-10's python format: a pickled dict with bytes keys."""
    rng = np.random.default_rng(seed)
    batch = {
        b"batch_label": b"synthetic batch",
        b"labels": [int(v) for v in rng.integers(10, size=num_images)],
        b"data": rng.integers(0, 256, size=(num_images, 3072), dtype=np.uint8),
        b"filenames": [f"img_{i}.png".encode() for i in range(num_images)],
    }
    with open(path, "wb") as handle:
        pickle.dump(batch, handle, protocol=2)
    return batch


@pytest.fixture
def tiny_cifar(tmp_path):
    batches = {f"data_batch_{b}": write_cifar_batch(tmp_path / f"data_batch_{b}", 6, b) for b in range(1, 6)}
    batches["test_batch"] = write_cifar_batch(tmp_path / "test_batch", 4, 99)
    return tmp_path, batches


def test_digits_load_from_the_shipped_archive(reference):
    X, y = reference.data.load_digits()
    assert X.shape == (1797, 64) and y.shape == (1797,)
    assert X.min() == 0 and X.max() == 16
    assert sorted(np.unique(y)) == list(range(10))


def test_digits_splits_are_disjoint_centred_and_carry_a_bias_column(reference):
    data = reference.data.get_digits_data()
    sizes = {name: data[f"X_{name}"].shape for name in ("train", "val", "test", "dev")}
    assert sizes == {"train": (1197, 65), "val": (300, 65), "test": (300, 65), "dev": (100, 65)}
    for name in ("train", "val", "test", "dev"):
        assert np.all(data[f"X_{name}"][:, -1] == 1.0)
        assert len(data[f"y_{name}"]) == len(data[f"X_{name}"])
    np.testing.assert_allclose(data["X_train"][:, :-1].mean(axis=0), 0.0, atol=1e-12)
    train_rows = {row.tobytes() for row in data["X_train"]}
    assert all(row.tobytes() in train_rows for row in data["X_dev"])


def test_digits_splits_are_reproducible_and_depend_on_the_seed(reference):
    first, again, other = (reference.data.get_digits_data(seed=s) for s in (0, 0, 1))
    np.testing.assert_array_equal(first["X_train"], again["X_train"])
    assert not np.array_equal(first["y_train"], other["y_train"])


def test_cifar10_loader_reads_the_official_python_batch_format(reference, tiny_cifar):
    root, batches = tiny_cifar
    X_train, y_train, X_test, y_test = reference.data.load_cifar10(root)
    assert X_train.shape == (30, 3072) and X_test.shape == (4, 3072)
    np.testing.assert_array_equal(X_train[:6], batches["data_batch_1"][b"data"])
    np.testing.assert_array_equal(y_test, batches["test_batch"][b"labels"])


def test_cifar10_splits_keep_the_official_test_set_apart(reference, tiny_cifar):
    root, batches = tiny_cifar
    data = reference.data.get_cifar10_data(root, num_training=20, num_validation=5, num_test=4, num_dev=3)
    assert data["X_train"].shape == (20, 3073) and data["X_test"].shape == (4, 3073)
    np.testing.assert_array_equal(data["y_test"], batches["test_batch"][b"labels"])


def test_cifar10_loader_names_the_missing_batches(reference, tmp_path):
    with pytest.raises(FileNotFoundError, match="data_batch_1.*get_cifar10.sh"):
        reference.data.load_cifar10(tmp_path)


def test_a_file_that_is_not_a_cifar_batch_is_rejected(reference, tiny_cifar):
    root, _ = tiny_cifar
    with open(root / "data_batch_3", "wb") as handle:
        pickle.dump({b"data": np.zeros((2, 10)), b"labels": [0, 1]}, handle)
    with pytest.raises(ValueError, match="not a CIFAR-10 python batch"):
        reference.data.load_cifar10(root)


def test_missing_digits_say_where_they_were_looked_for(reference, tmp_path, monkeypatch):
    monkeypatch.setenv(reference.data.DATA_DIR_VARIABLE, str(tmp_path))
    with pytest.raises(FileNotFoundError, match="missing.npz"):
        reference.data.find_data_dir("missing.npz")


def test_the_data_directory_variable_takes_precedence(reference, tmp_path, monkeypatch):
    X, y = reference.data.load_digits()
    np.savez(tmp_path / "digits.npz", images=X[:10].reshape(10, 8, 8).astype(np.uint8), labels=y[:10])
    monkeypatch.setenv(reference.data.DATA_DIR_VARIABLE, str(tmp_path))
    assert reference.data.load_digits()[0].shape == (10, 64)


@pytest.mark.parametrize("others, message", [
    ((np.ones((2, 5)),), "has 5 columns but 4 are expected"),
    ((np.array([[1.0, np.inf, 0.0, 0.0]]),), "NaN or infinite"),
])
def test_preprocessing_rejects_mismatched_or_non_finite_arrays(reference, others, message):
    with pytest.raises(ValueError, match=message):
        reference.data.preprocess(np.ones((3, 4)), *others)


def test_an_impossible_split_is_refused(reference):
    X, y = np.ones((10, 3)), np.zeros(10, dtype=int)
    with pytest.raises(ValueError, match="Cannot split 10 examples"):
        reference.data.split_dataset(X, y, num_validation=6, num_test=5, num_dev=1)


def test_notebook_04s_optional_cifar10_section_runs_on_the_official_batch_format(tiny_cifar, monkeypatch, capsys):
    import json

    import matplotlib

    from autograder import course

    matplotlib.use("Agg")
    root, _ = tiny_cifar
    data_dir = root.parent / "data"
    data_dir.mkdir()
    root.rename(data_dir / "cifar-10-batches-py")
    monkeypatch.setenv("LOSS_OPTIMIZATION_DATA", str(data_dir))
    monkeypatch.syspath_prepend(str(course.reference_dir()))
    notebook = json.loads((course.reference_dir() / "04_optimization.ipynb").read_text(encoding="utf-8"))
    cells = [cell for cell in notebook["cells"] if cell["cell_type"] == "code"]
    cifar = ["".join(cell["source"]) for cell in cells if "cifar10" in cell["metadata"].get("tags", [])]
    assert len(cifar) == 1
    # The notebook's imports, data helpers and settings, then the section on 30 tiny images instead of 50,000.
    setup = ["".join(cells[i]["source"]).replace("%", "# %") for i in range(3)]
    namespace = {}
    for source in setup:
        exec(compile(source, "04_optimization.ipynb", "exec"), namespace)
    for settings in ("svm_settings", "softmax_settings"):
        namespace[settings]["num_iters"] = 20  # the code path, not the accuracy: 3073 weights per class are slow
    section = cifar[0].replace("CIFAR_SIZES = dict(num_training=49000, num_validation=1000, num_test=1000, num_dev=500)",
                               "CIFAR_SIZES = dict(num_training=20, num_validation=6, num_test=4, num_dev=5)")
    exec(compile(section, "04_optimization.ipynb", "exec"), namespace)
    out = capsys.readouterr().out
    assert "random search, 1000 attempts: test accuracy" in out
    assert "linear SVM by SGD: validation accuracy" in out and "softmax by SGD: validation accuracy" in out
    assert namespace["cifar"]["X_train"].shape == (20, 3073)
