"""Random ±1 patterns to store, unbiased or with a mean activity a."""

from __future__ import annotations

import numpy as np

from statnn._validation import check_int, check_real, check_seed, param_error, renamed

#: Entries drawn at once: the temporaries stay a few MB however large the table.
_BLOCK_ENTRIES = 1 << 20


def random_patterns(
    P: int, N: int, activity: float = 0.0, seed: int | None = None, *, bias: float | None = None
) -> np.ndarray:
    """P independent random patterns of N neurons, ξ_i^μ ∈ {−1, +1}.

    Each entry is +1 with probability (1 + a)/2 and −1 with probability (1 − a)/2, so the
    mean activity is ⟨ξ⟩ = a (``activity``). ``activity=0`` gives the unbiased patterns of
    the Hopfield model; ``activity != 0`` the biased (low- or high-activity) patterns of
    Amit, Gutfreund & Sompolinsky, Phys. Rev. A 35, 2293 (1987).

    Parameters
    ----------
    P : int >= 1
        Number of patterns.
    N : int >= 1
        Number of neurons.
    activity : float in (−1, 1)
        Mean activity a.
    seed : int, optional
        Seed of the generator (numpy ``default_rng``).
    bias : float, optional
        Old name of ``activity`` (FutureWarning; ``bias`` means an external field
        elsewhere in the package).

    Returns
    -------
    ndarray of int8, shape (P, N)
        Fortran-ordered: the transpose of a C-ordered (N, P) table, the layout in which
        the pattern-form kernels read the P pattern bits of one neuron at once.
        :func:`statnn.hopfield` stores it without a copy; the peak memory of this call
        is the table plus a few MB.

    Examples
    --------
    >>> from statnn.memory import random_patterns
    >>> xi = random_patterns(3, 1000, activity=0.2, seed=0)
    >>> xi.shape, xi.dtype
    ((3, 1000), dtype('int8'))
    """
    caller = "random_patterns"
    P = check_int(P, "P", caller, minimum=1)
    N = check_int(N, "N", caller, minimum=1)
    activity = renamed(caller, "bias", bias, "activity", activity, 0.0)
    a = check_real(activity, "activity", caller, -1.0, 1.0)
    if abs(a) == 1.0:
        raise param_error("activity", caller, "a float strictly between -1 and 1", activity)
    seed = check_seed(seed, caller)
    rng = np.random.default_rng(seed)
    xi_t = np.empty((N, P), dtype=np.int8)  # the table, in the kernels' (N, P) layout
    rows = max(1, _BLOCK_ENTRIES // P)
    for start in range(0, N, rows):
        block = xi_t[start : start + rows]
        if a == 0.0:
            block[...] = rng.integers(0, 2, size=block.shape, dtype=np.int8)
        else:
            block[...] = rng.random(block.shape) < (1.0 + a) / 2.0
        block *= 2
        block -= 1
    return xi_t.T
