"""Small teaching data sets (logic gates, fruits, km → miles), random patterns, digits and local MNIST files.

Nothing here downloads anything: ``digits`` is scikit-learn's bundled copy and
``load_mnist`` / ``read_idx`` read IDX files the user already has.
"""

from __future__ import annotations

import gzip
import os
import warnings
from pathlib import Path

import numpy as np

from statnn._validation import (
    check_bool,
    check_choice,
    check_int,
    check_real,
    check_seed,
    param_error,
)
from statnn.errors import ValidationError
from statnn.memory.patterns import random_patterns as _patterns

GATES = {
    "and": (0, 0, 0, 1),
    "or": (0, 1, 1, 1),
    "nand": (1, 1, 1, 0),
    "nor": (1, 0, 0, 0),
    "xor": (0, 1, 1, 0),
    "xnor": (1, 0, 0, 1),
}
KM_TO_MILES = 0.621371192237334  # 1 km = 1000 m / 1609.344 m


class DatasetNotFoundError(ValidationError, FileNotFoundError):
    """A local data file (e.g. MNIST IDX) does not exist; statnn never downloads data."""


def logic_gate(name: str = "xor", encoding: str = "binary"):
    """Truth table of a two-input logic gate.

    Parameters
    ----------
    name : {'and', 'or', 'nand', 'nor', 'xor', 'xnor'}
    encoding : {'binary', 'spin'}
        Inputs and outputs in {0, 1}, or in {−1, +1} (x → 2x − 1).

    Returns
    -------
    X : (4, 2) float array, rows (0,0), (0,1), (1,0), (1,1);  y : (4,) int array
    """
    name = check_choice(name, "name", "logic_gate", GATES)
    encoding = check_choice(encoding, "encoding", "logic_gate", ("binary", "spin"))
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float64)
    y = np.array(GATES[name])
    if encoding == "spin":
        return 2 * X - 1, 2 * y - 1
    return X, y


def xor(encoding: str = "binary"):
    """The XOR truth table (not linearly separable); see :func:`logic_gate`."""
    return logic_gate("xor", encoding)


def fruits(n: int = 100, seed: int | None = 0):
    """Apples (label 0) vs oranges (label 1) by (weight in g, sweetness on a 1–10 scale).

    A synthetic, linearly separable version of the classic example ("apples tend to be
    heavier but not very sweet, oranges lighter but sweeter"): apples weigh N(210, 25²) g
    with sweetness N(5, 1), oranges N(150, 20²) g with sweetness N(7, 1). A sample is
    redrawn unless s = (weight − 180)/30 − (sweetness − 6) is > 0.5 for an apple and
    < −0.5 for an orange, so the classes are separated by a margin and a perceptron must
    converge.

    Returns
    -------
    X : (n, 2) float array [weight, sweetness];  y : (n,) int array (0 apple, 1 orange)
    """
    n = check_int(n, "n", "fruits", minimum=2)
    rng = np.random.default_rng(check_seed(seed, "fruits"))
    X = np.empty((n, 2))
    y = np.arange(n) % 2
    for i in range(n):
        while True:
            if y[i] == 0:
                x = (rng.normal(210, 25), rng.normal(5, 1))
            else:
                x = (rng.normal(150, 20), rng.normal(7, 1))
            side = 2 * (x[0] - 180) / 60 - (x[1] - 6)
            if (side > 0.5) if y[i] == 0 else (side < -0.5):
                break
        X[i] = x
    return X, y


def km_to_miles(n: int = 50, noise: float = 0.0, km_max: float = 100.0, seed: int | None = 0):
    """A regression toy: distances in km and in miles, y = 0.621371 x (+ noise).

    Returns
    -------
    X : (n, 1) float array of km in [0, km_max];  y : (n,) float array of miles
    """
    n = check_int(n, "n", "km_to_miles", minimum=1)
    noise = check_real(noise, "noise", "km_to_miles", minimum=0.0)
    km_max = check_real(km_max, "km_max", "km_to_miles", minimum=0.0, strict_minimum=True)
    rng = np.random.default_rng(check_seed(seed, "km_to_miles"))
    km = rng.uniform(0.0, km_max, n)
    miles = KM_TO_MILES * km + noise * rng.standard_normal(n)
    return km[:, None], miles


def random_dichotomies(P: int, N: int, seed: int | None = None):
    """P random ±1 patterns of N units with random ±1 labels (Cover/Gardner capacity).

    The patterns are :func:`statnn.random_patterns` (unbiased), the labels independent
    fair ±1 coins from a second stream of the same seed.

    Parameters
    ----------
    P, N : int >= 1
        Number of patterns and of units.
    seed : int, optional

    Returns
    -------
    X : (P, N) int8 array of ±1 (C-ordered, one row per pattern)
    y : (P,) int8 array of ±1
    """
    caller = "random_dichotomies"
    P = check_int(P, "P", caller, minimum=1)
    N = check_int(N, "N", caller, minimum=1)
    pattern_seed, label_seed = check_seed(seed, caller).spawn(2)
    X = np.ascontiguousarray(_patterns(P, N, seed=_entropy(pattern_seed)))
    y = (2 * np.random.default_rng(label_seed).integers(0, 2, size=P) - 1).astype(np.int8)
    return X, y


def _entropy(seq: np.random.SeedSequence) -> int:
    return int(seq.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1))


def random_patterns(P: int, N: int, seed: int | None = None):
    """Deprecated name of :func:`random_dichotomies` (removed in the next release)."""
    warnings.warn(
        "statnn.datasets.random_patterns is renamed random_dichotomies (statnn.random_patterns "
        "makes patterns without labels); the old name goes in the next release.",
        FutureWarning,
        stacklevel=2,
    )
    return random_dichotomies(P, N, seed)


def digits(scale: bool = True):
    """scikit-learn's bundled 8×8 handwritten digits: X (1797, 64), y (1797,) in 0..9.

    ``scale`` divides the grey levels 0..16 by 16.
    """
    scale = check_bool(scale, "scale", "digits")
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    return (X / 16.0 if scale else X.astype(np.float64)), y


_IDX_TYPES = {
    0x08: np.dtype(np.uint8),
    0x09: np.dtype(np.int8),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}


def read_idx(path) -> np.ndarray:
    """Read one IDX file (the MNIST format), plain or gzip-compressed.

    The header is two zero bytes, a type code (0x08 uint8, 0x09 int8, 0x0B int16,
    0x0C int32, 0x0D float32, 0x0E float64), the number of dimensions d, then d
    big-endian uint32 sizes; the data follow in C order.

    Raises
    ------
    DatasetNotFoundError
        If ``path`` does not exist (statnn does not download data).
    ValidationError
        If the file is not a valid IDX file.
    """
    path = Path(os.fspath(path))
    if not path.is_file():
        raise DatasetNotFoundError(
            f"The 'path' parameter of read_idx must be an existing IDX file. Got "
            f"'{path}' instead. statnn does not download data: get the MNIST files "
            "(train-images-idx3-ubyte[.gz] etc.) yourself and pass their path."
        )
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as fh:
        raw = fh.read()
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _IDX_TYPES:
        raise param_error("path", "read_idx", "an IDX file (magic 0x00 0x00 type ndim)", str(path))
    dtype, ndim = _IDX_TYPES[raw[2]], raw[3]
    header = 4 + 4 * ndim
    shape = tuple(int(s) for s in np.frombuffer(raw[4:header], dtype=">u4"))
    count = int(np.prod(shape)) if shape else 1
    if len(raw) != header + count * dtype.itemsize:
        raise param_error(
            "path",
            "read_idx",
            f"an IDX file holding {count} values of shape {shape}",
            f"<a file of {len(raw)} bytes>",
        )
    data = np.frombuffer(raw, dtype=dtype, count=count, offset=header).reshape(shape)
    return data.astype(dtype.newbyteorder("="))


def load_mnist(directory, kind: str = "train", flatten: bool = True, scale: bool = True):
    """MNIST images and labels from IDX files in a local ``directory``.

    Looks for ``{prefix}-images-idx3-ubyte`` and ``{prefix}-labels-idx1-ubyte`` (optionally
    ``.gz``, optionally with '.' instead of the last '-'), prefix 'train' or 't10k'.

    Returns
    -------
    X : (n, 784) float array in [0, 1] (``flatten=False``: (n, 28, 28);
        ``scale=False``: uint8 grey levels);  y : (n,) int array
    """
    kind = check_choice(kind, "kind", "load_mnist", ("train", "test"))
    flatten = check_bool(flatten, "flatten", "load_mnist")
    scale = check_bool(scale, "scale", "load_mnist")
    directory = Path(os.fspath(directory))
    if not directory.is_dir():
        raise DatasetNotFoundError(
            f"The 'directory' parameter of load_mnist must be an existing directory holding "
            f"the MNIST IDX files. Got '{directory}' instead. statnn does not download data."
        )
    prefix = "train" if kind == "train" else "t10k"
    found = []
    for part in ("images-idx3", "labels-idx1"):
        names = [f"{prefix}-{part}-ubyte", f"{prefix}-{part}.ubyte"]
        names += [n + ".gz" for n in names]
        hits = [directory / n for n in names if (directory / n).is_file()]
        if not hits:
            raise DatasetNotFoundError(
                f"The 'directory' parameter of load_mnist must hold {names[0]} (or .gz). "
                f"Got '{directory}' instead. statnn does not download data."
            )
        found.append(hits[0])
    images, labels = read_idx(found[0]), read_idx(found[1])
    if len(images) != len(labels):
        raise param_error(
            "directory",
            "load_mnist",
            "matching image and label files",
            f"<{len(images)} images and {len(labels)} labels>",
        )
    X = images.reshape(len(images), -1) if flatten else images
    X = X / 255.0 if scale else X
    return X, labels.astype(np.int64)


def boltzmann_samples(
    net,
    n: int,
    T: float = 1.0,
    *,
    method: str = "auto",
    burn_in: int = 1000,
    thin: int = 10,
    chains: int = 100,
    random_state=None,
    backend: str | None = None,
    device: str | None = None,
) -> np.ndarray:
    """``n`` samples (n, N) int8 of the Boltzmann distribution P(S) ∝ exp(−E(S)/T) of ``net``.

    With ``method='exact'`` (the default ``'auto'`` for N ≤ 20) the samples are independent
    and exact: drawn from the 2^N enumerated probabilities. With ``'mc'`` (``'auto'`` above
    N = 20) ``chains`` Glauber chains from random states run ``burn_in`` sweeps, then each
    contributes one sample every ``thin`` sweeps until there are ``n``; consecutive
    samples of a chain are correlated unless ``thin`` exceeds the autocorrelation time.

    Parameters
    ----------
    net : statnn.Network
        Symmetric couplings (a Boltzmann distribution needs an energy function).
    n : int >= 1
    T : float > 0
    method : {'auto', 'exact', 'mc'}
    burn_in, thin, chains : int
        Monte Carlo settings (ignored for exact samples).
    random_state : int, numpy Generator, SeedSequence or None
    backend, device : str, optional
        Monte Carlo backend (None: the package default).

    Examples
    --------
    >>> import statnn as sn
    >>> X = sn.datasets.boltzmann_samples(sn.sk(10, seed=0), 1000, T=1.0, random_state=0)
    >>> X.shape, X.dtype
    ((1000, 10), dtype('int8'))
    """
    from statnn.core.network import check_network
    from statnn.learning.samples import as_generator, check_sample_args, draw_samples

    caller = "boltzmann_samples"
    check_network(net, caller)
    args = check_sample_args(n, T, method, burn_in, thin, chains, caller)
    rng = as_generator(random_state, caller)
    return draw_samples(net, **args, rng=rng, backend=backend, device=device, caller=caller)
