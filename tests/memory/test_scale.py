"""Memory that grows as the work does: peak allocations against the int8 pattern table,
refusals of N × N matrices that cannot fit, and float32 dense rules."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

import statnn as sn
import statnn._memory as memory
from statnn.core.couplings import pattern_projections
from statnn.errors import InsufficientMemoryError, ValidationError
from statnn.memory.rules import pseudo_inverse_couplings, storkey_couplings

N, P = 20_000, 400  # an 8 MB table: the fixed work space (~10 MB of blocks) stays visible


def _peak(fn, *args, **kwargs):
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        before = tracemalloc.get_traced_memory()[0]
        out = fn(*args, **kwargs)
        return out, tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()


@pytest.fixture(scope="module")
def table():
    return sn.random_patterns(P, N, seed=0)


def test_random_patterns_peak_is_the_table(table):
    xi, peak = _peak(sn.random_patterns, P, N, seed=0)
    np.testing.assert_array_equal(xi, table)
    assert peak <= xi.nbytes + 2 * 2**20 * 4  # the table plus one 4 MB block of draws
    _, peak = _peak(sn.random_patterns, P, N, 0.3, seed=0)
    assert peak <= xi.nbytes + 9 * 2**20 + 2**16  # one block of 2^20 uniforms and its mask


def test_hopfield_keeps_the_table_without_a_copy(table):
    net, peak = _peak(sn.hopfield, table)
    assert np.shares_memory(net.patterns, table)
    assert peak <= 4 * 2**20  # only the ±1 check's chunked temporaries (3 masks of 1 MB)


def test_recall_peak_is_table_plus_work_space(table):
    net = sn.hopfield(table)
    small = sn.hopfield(sn.random_patterns(3, 64, seed=1))
    sn.recall(small, small.patterns, cue=[0], T=0.0, sweeps=2, seed=0)  # compile outside
    cues = np.arange(8)
    for T in (0.0, 0.3):
        out, peak = _peak(sn.recall, net, table, cue=cues, noise=0.1, T=T, sweeps=3, seed=0)
        assert out.overlap.shape == (8,) and np.all(out.overlap > 0.9)
        # work space: O(N · cues) spins and sums plus a few MB of float blocks — never a
        # float copy of the table (that alone would be 4-8 × the table)
        work = 8 * N * (1 + 1 + 4 + 8) + 16 * 2**20
        assert peak <= work, (T, peak / table.nbytes)


def test_pattern_projections_exact_and_blocked():
    rng = np.random.default_rng(3)
    xi = sn.random_patterns(37, 501, seed=2)
    S = rng.choice(np.array([-1, 1], dtype=np.int8), size=(4, 501))
    exact = S.astype(np.int64) @ xi.T.astype(np.int64)
    got = pattern_projections(S, xi, block_entries=1000)  # many small blocks
    np.testing.assert_array_equal(got, exact)


def test_dense_rules_float32_agree_with_float64():
    xi = sn.random_patterns(12, 120, seed=4)
    for rule in (pseudo_inverse_couplings, storkey_couplings):
        J64 = rule(xi).J
        J32 = rule(xi, dtype="float32").J
        assert J32.dtype == np.float32 and J64.dtype == np.float64
        np.testing.assert_array_equal(J64, J64.T)  # exactly symmetric
        np.testing.assert_array_equal(J32, J32.T)
        np.testing.assert_allclose(J32, J64, atol=2e-6)
    net = sn.hopfield(xi, rule="storkey", dtype="float32")
    assert net.couplings.J.dtype == np.float32 and net.info["dtype"] == "float32"
    with pytest.raises(ValidationError, match="'dtype' parameter of hopfield"):
        sn.hopfield(xi, dtype="float32")  # Hebbian stays in pattern form
    with pytest.raises(ValidationError, match="'dtype' parameter of storkey_couplings"):
        storkey_couplings(xi, dtype="int8")


def test_pseudo_inverse_is_the_projector():
    # independent truth: J + diag = V Vᵀ projects onto the span of the patterns
    xi = sn.random_patterns(10, 60, seed=5)
    J = pseudo_inverse_couplings(xi).J
    proj = xi.T @ np.linalg.pinv(xi.T.astype(np.float64))
    np.fill_diagonal(proj, 0.0)
    np.testing.assert_allclose(J, proj, atol=1e-12)


def test_oversize_allocation_is_refused_with_its_size(monkeypatch):
    monkeypatch.setattr(memory, "CHECK_ABOVE", 0)
    monkeypatch.setattr(memory, "available_bytes", lambda: 10**6)
    xi = sn.random_patterns(5, 1000, seed=0)
    with pytest.raises(InsufficientMemoryError, match=r"storkey_couplings needs about 8\.0 MB"):
        sn.hopfield(xi, rule="storkey")
    with pytest.raises(InsufficientMemoryError, match="dtype='float32'"):
        sn.hopfield(xi, rule="pseudo_inverse")
    with pytest.raises(InsufficientMemoryError, match="pattern form"):
        sn.hopfield(xi).couplings.to_dense()
    assert isinstance(InsufficientMemoryError("x"), MemoryError)
