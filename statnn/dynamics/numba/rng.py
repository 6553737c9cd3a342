"""Per-chain random number streams for the numba kernels: xoshiro256** in numba.

Every chain (temperature slot × replica) owns four uint64 words of xoshiro256** state
(Blackman & Vigna 2018), a row of an ``(K, 4)`` uint64 array. A kernel that runs chain k
draws only from row k, so results never depend on how chains are spread over threads.

The states are seeded from ``seed.spawn(K)`` (numpy's SeedSequence): chain k gets
``spawn(K)[k].generate_state(4, np.uint64)``, so streams are statistically independent
and reproducible from one integer seed.

Draws:

* :func:`next_u64` — the xoshiro256** output ``rotl(s1 · 5, 7) · 9``, then the state step;
* :func:`uniform` — u = (x >> 11) · 2⁻⁵³ ∈ [0, 1), 53 random bits;
* :func:`bounded` — an unbiased integer in [0, n) by Lemire's multiply-and-reject on the
  top 32 bits (n < 2³²);
* :func:`shuffle` — Fisher–Yates on an int64 buffer (a fresh uniform permutation).
"""

from __future__ import annotations

import numpy as np
from numba import njit

_U7 = np.uint64(7)
_U57 = np.uint64(57)
_U17 = np.uint64(17)
_U45 = np.uint64(45)
_U19 = np.uint64(19)
_U11 = np.uint64(11)
_U32 = np.uint64(32)
_U5 = np.uint64(5)
_U9 = np.uint64(9)
_LOW32 = np.uint64(0xFFFFFFFF)
_TWO32 = np.uint64(1 << 32)
_INV53 = 1.0 / 9007199254740992.0  # 2^-53


@njit(cache=True, nogil=True, inline="always")
def next_u64_local(s0, s1, s2, s3):
    """:func:`next_u64` on a state held in local variables: (output, s0, s1, s2, s3).

    Lets a hot loop keep the four words in registers; store them back when done.
    """
    x = s1 * _U5
    result = ((x << _U7) | (x >> _U57)) * _U9
    t = s1 << _U17
    s2 ^= s0
    s3 ^= s1
    s1 ^= s2
    s0 ^= s3
    s2 ^= t
    s3 = (s3 << _U45) | (s3 >> _U19)
    return result, s0, s1, s2, s3


@njit(cache=True, nogil=True, inline="always")
def next_u64(st):
    """Next 64-bit output of the xoshiro256** stream ``st`` (4 uint64 words, updated in place)."""
    result, s0, s1, s2, s3 = next_u64_local(st[0], st[1], st[2], st[3])
    st[0] = s0
    st[1] = s1
    st[2] = s2
    st[3] = s3
    return result


@njit(cache=True, nogil=True)
def to_uniform(x):
    """u = (x >> 11) · 2⁻⁵³ ∈ [0, 1) for a 64-bit output x."""
    return np.float64(x >> _U11) * _INV53


@njit(cache=True, nogil=True, inline="always")
def uniform(st):
    """A uniform float64 in [0, 1): the top 53 bits of the next output times 2⁻⁵³."""
    return np.float64(next_u64(st) >> _U11) * _INV53


@njit(cache=True, nogil=True, inline="always")
def bounded(st, n):
    """An unbiased uniform integer in [0, n) for 1 <= n < 2³² (Lemire 2019, 32-bit variant)."""
    un = np.uint64(n)
    m = (next_u64(st) >> _U32) * un
    low = m & _LOW32
    if low < un:
        threshold = (_TWO32 - un) % un
        while low < threshold:
            m = (next_u64(st) >> _U32) * un
            low = m & _LOW32
    return np.int64(m >> _U32)


@njit(cache=True, nogil=True)
def shuffle(order, st):
    """Fill ``order`` (int64, length n) with a uniformly random permutation of 0..n−1."""
    n = order.shape[0]
    for i in range(n):
        order[i] = i
    for i in range(n - 1, 0, -1):
        j = bounded(st, i + 1)
        tmp = order[i]
        order[i] = order[j]
        order[j] = tmp


def seed_states(seed: np.random.SeedSequence, count: int) -> np.ndarray:
    """(count, 4) uint64 xoshiro256** states, row k from ``seed.spawn(count)[k]``."""
    states = np.empty((count, 4), dtype=np.uint64)
    for k, child in enumerate(seed.spawn(count)):
        words = child.generate_state(4, np.uint64)
        if not words.any():  # the all-zero state is the one xoshiro cannot leave
            words[0] = 1
        states[k] = words
    return states
