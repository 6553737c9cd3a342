"""Data sets: truth tables, separability judged by linear programming, the km→miles factor,
and the IDX reader on files the test writes itself."""

from __future__ import annotations

import gzip

import numpy as np
import pytest
from scipy.optimize import linprog

from statnn import datasets
from statnn.errors import ValidationError


def _separable(X, y):
    A = np.hstack([X, np.ones((len(X), 1))]) * np.where(y > 0, 1.0, -1.0)[:, None]
    res = linprog(np.zeros(A.shape[1]), A_ub=-A, b_ub=-np.ones(len(X)), bounds=(None, None))
    return res.status == 0


@pytest.mark.parametrize(
    ("name", "op"),
    [
        ("and", np.logical_and),
        ("or", np.logical_or),
        ("xor", np.logical_xor),
        ("nand", lambda a, b: ~np.logical_and(a, b)),
        ("nor", lambda a, b: ~np.logical_or(a, b)),
        ("xnor", lambda a, b: ~np.logical_xor(a, b)),
    ],
)
def test_logic_gates_truth_tables(name, op):
    X, y = datasets.logic_gate(name)
    np.testing.assert_array_equal(y, op(X[:, 0] > 0, X[:, 1] > 0).astype(int))
    Xs, ys = datasets.logic_gate(name, encoding="spin")
    np.testing.assert_array_equal(Xs, 2 * X - 1)
    np.testing.assert_array_equal(ys, 2 * y - 1)
    assert _separable(X, 2 * y - 1) == (name not in ("xor", "xnor"))


def test_fruits_are_linearly_separable():
    X, y = datasets.fruits(n=200, seed=1)
    assert X.shape == (200, 2) and set(y) == {0, 1}
    # apples (0) are heavier but less sweet, oranges (1) lighter but sweeter
    assert X[y == 0, 0].mean() > X[y == 1, 0].mean()
    assert X[y == 1, 1].mean() > X[y == 0, 1].mean()
    assert _separable(X, 2 * y - 1)


def test_km_to_miles():
    X, y = datasets.km_to_miles(n=30, seed=0)
    np.testing.assert_allclose(y, X[:, 0] / 1.609344)
    _, noisy = datasets.km_to_miles(n=30, noise=0.5, seed=0)
    assert np.std(noisy - y) > 0.1


def test_random_dichotomies():
    X, y = datasets.random_dichotomies(500, 40, seed=0)
    assert X.shape == (500, 40) and X.dtype == np.int8 and y.shape == (500,)
    assert X.flags.c_contiguous
    assert set(np.unique(X)) == {-1, 1} and set(np.unique(y)) == {-1, 1}
    assert abs(X.mean()) < 0.02
    np.testing.assert_array_equal(
        datasets.random_dichotomies(5, 4, seed=1)[0], datasets.random_dichotomies(5, 4, seed=1)[0]
    )


def test_random_patterns_old_name_warns_and_agrees():
    with pytest.warns(FutureWarning, match="random_dichotomies"):
        X, y = datasets.random_patterns(30, 7, seed=2)
    X2, y2 = datasets.random_dichotomies(30, 7, seed=2)
    np.testing.assert_array_equal(X, X2)
    np.testing.assert_array_equal(y, y2)


def test_digits():
    X, y = datasets.digits()
    assert X.shape == (1797, 64) and X.min() == 0.0 and X.max() == 1.0
    assert set(y) == set(range(10))


def _write_idx(path, array, type_code):
    header = bytes([0, 0, type_code, array.ndim]) + np.array(array.shape, ">u4").tobytes()
    data = header + array.tobytes()
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "wb") as fh:
        fh.write(data)


def test_idx_reader_roundtrip(tmp_path):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(5, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, size=5, dtype=np.uint8)
    _write_idx(tmp_path / "t10k-images-idx3-ubyte.gz", images, 0x08)
    _write_idx(tmp_path / "t10k-labels-idx1-ubyte", labels, 0x08)
    floats = rng.normal(size=(3, 4))
    _write_idx(tmp_path / "f.idx", floats.astype(">f8"), 0x0E)
    np.testing.assert_array_equal(datasets.read_idx(tmp_path / "f.idx"), floats)
    X, y = datasets.load_mnist(tmp_path, kind="test")
    assert X.shape == (5, 784)
    np.testing.assert_allclose(X, images.reshape(5, -1) / 255.0)
    np.testing.assert_array_equal(y, labels)


def test_missing_files_give_clear_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="'path' parameter of read_idx.*download"):
        datasets.read_idx(tmp_path / "nope-idx3-ubyte")
    with pytest.raises(datasets.DatasetNotFoundError, match="train-images-idx3-ubyte"):
        datasets.load_mnist(tmp_path)
    (tmp_path / "bad").write_bytes(b"\x01\x02\x03")
    with pytest.raises(ValidationError, match="'path' parameter of read_idx"):
        datasets.read_idx(tmp_path / "bad")
    with pytest.raises(ValidationError, match="'name' parameter of logic_gate"):
        datasets.logic_gate("implies")
