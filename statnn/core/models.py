"""Constructors of the standard models (Ising, Curie–Weiss, SK) on top of :class:`Network`.

The Hopfield constructor lives in :mod:`statnn.memory`, beside its learning rules.
"""

from __future__ import annotations

import numpy as np

from statnn._validation import check_choice, check_int, check_real, seed_value
from statnn.core.couplings import DenseCouplings, LatticeCouplings, PatternCouplings
from statnn.core.network import Network


def ising(shape, J: float = 1.0, field: float = 0.0, periodic: bool = True) -> Network:
    """Nearest-neighbour Ising model on a 1–3 dimensional hypercubic lattice.

    E(S) = −J Σ_{⟨ij⟩} S_i S_j − H Σ_i S_i, stored as a stencil (no matrix).

    Parameters
    ----------
    shape : int or tuple of 1 to 3 ints
        Side lengths, e.g. ``(64, 64)``.
    J : float
        Coupling (ferromagnetic when positive).
    field : float
        Uniform external field H.
    periodic : bool
        Periodic (torus) or open boundaries.

    Returns
    -------
    Network
        Lattice couplings kept as a stencil: no neighbour table and no matrix, so memory
        does not grow with the lattice beyond the spins themselves (a table is built,
        after a memory check, only for schedules other than ``'checkerboard'``).

    Examples
    --------
    >>> import statnn as sn
    >>> net = sn.ising((16, 16))
    >>> net.n, net.energy(np.ones(256, dtype=np.int8)) / net.n
    (256, -2.0)
    """
    couplings = LatticeCouplings(shape, J=J, periodic=periodic, caller="ising")
    H = check_real(field, "field", "ising")
    return Network(
        couplings,
        bias=H,
        name=f"Ising {'x'.join(map(str, couplings.shape))}",
        info={
            "model": "ising",
            "shape": couplings.shape,
            "J": couplings.J,
            "field": H,
            "periodic": couplings.periodic,
        },
    )


def curie_weiss(n: int, J: float = 1.0, field: float = 0.0) -> Network:
    """Curie–Weiss (fully connected) ferromagnet J_ij = J/N, i ≠ j.

    Stored in pattern form with the single all-ones pattern, so a field costs O(1).
    Mean-field equation of state: m = tanh(β(J m + H)).

    Parameters
    ----------
    n : int >= 2
        Number of spins N.
    J : float
        Total coupling; each pair has J/N.
    field : float
        Uniform external field H.

    Returns
    -------
    Network

    Examples
    --------
    >>> import statnn as sn
    >>> net = sn.curie_weiss(100)
    >>> round(net.energy(np.ones(100, dtype=np.int8)), 6)   # −J (N − 1)/2
    -49.5
    """
    n = check_int(n, "n", "curie_weiss", minimum=2)
    J = check_real(J, "J", "curie_weiss")
    H = check_real(field, "field", "curie_weiss")
    couplings = PatternCouplings(np.ones((1, n), dtype=np.int8), scale=J / n, caller="curie_weiss")
    return Network(
        couplings,
        bias=H,
        name=f"Curie-Weiss N={n}",
        info={"model": "curie_weiss", "n": n, "J": J, "field": H},
    )


def sk(
    n: int,
    seed: int | None = None,
    *,
    distribution: str = "gaussian",
    J: float = 1.0,
    J0: float = 0.0,
    field: float = 0.0,
    dtype=np.float64,
) -> Network:
    """Sherrington–Kirkpatrick spin glass: symmetric J_ij, i < j, independent.

    ``distribution="gaussian"``: J_ij ~ N(J0/N, J²/N); ``"pm1"``: J_ij = J0/N ± J/√N with
    equal probability. Spin-glass transition at T = J (for J0 = 0).

    Parameters
    ----------
    n : int >= 2
        Number of spins N.
    seed : int, numpy Generator, SeedSequence or None
        Seed of the couplings; the one used is recorded in ``net.info['seed']``.
    distribution : {'gaussian', 'pm1'}
        Distribution of the couplings.
    J : float >= 0
        Width of the couplings (standard deviation J/√N).
    J0 : float
        Mean coupling times N (a ferromagnetic bias).
    field : float
        Uniform external field H.
    dtype : {'float32', 'float64'}
        Storage of the dense N × N matrix (float32 halves memory; fields are then
        accumulated in float32 by the numba backend).

    Returns
    -------
    Network
        Dense symmetric couplings with a zero diagonal.

    Examples
    --------
    >>> import statnn as sn
    >>> net = sn.sk(200, seed=1)
    >>> net.n, net.symmetric, net.info["seed"]
    (200, True, 1)
    """
    n = check_int(n, "n", "sk", minimum=2)
    seed = seed_value(seed, "sk")
    distribution = check_choice(distribution, "distribution", "sk", ("gaussian", "pm1"))
    J = check_real(J, "J", "sk", minimum=0)
    J0 = check_real(J0, "J0", "sk")
    H = check_real(field, "field", "sk")
    try:
        name = np.dtype(dtype).name
    except TypeError:
        name = dtype  # not a dtype at all: the same error as a wrong one
    dtype = np.dtype(check_choice(name, "dtype", "sk", ("float32", "float64")))
    rng = np.random.default_rng(seed)
    iu = np.triu_indices(n, k=1)
    if distribution == "gaussian":
        upper = rng.standard_normal(len(iu[0]))
    else:
        upper = rng.choice(np.array([-1.0, 1.0]), size=len(iu[0]))
    matrix = np.zeros((n, n))
    matrix[iu] = J / np.sqrt(n) * upper + J0 / n
    matrix = matrix + matrix.T
    return Network(
        DenseCouplings(matrix.astype(dtype), caller="sk"),
        bias=H,
        name=f"SK N={n}",
        info={
            "model": "sk",
            "n": n,
            "seed": seed,
            "distribution": distribution,
            "J": J,
            "J0": J0,
            "field": H,
        },
    )
