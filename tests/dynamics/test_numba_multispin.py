"""Multi-spin coded checkerboard sweeps of the numba backend (``numba_msc``).

Exact T = 0 trajectories against the numpy reference on every packing (partial word, one
full word, several words; 1, 2 and 3 dimensions; with a field), exact enumeration of small
periodic lattices at T > 0, Onsager on both lattice paths, thread-count independence in
both parallel modes, and the documented selection rule.
"""

from __future__ import annotations

import itertools
import math

import numba
import numpy as np
import pytest
from scipy import stats

import statnn as sn
import statnn.dynamics.numba.kernel as numba_cpu
import statnn.dynamics.numba.multispin as numba_msc
import statnn.dynamics.reference as numpy_ref
from statnn.core.couplings import LatticeCouplings
from statnn.theory import onsager_energy, onsager_magnetization

# (4, 4, 4), (32, 8) and (16, 256) hold full blocks of 16 rows (updated in lockstep)
SHAPES = [(6, 8), (4, 256), (2, 4), (4, 2), (8, 128), (4, 4, 4), (2, 2, 2), (10,), (32, 8), (16, 256)]


@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: "x".join(map(str, s)))
@pytest.mark.parametrize("rule", ["glauber", "metropolis"])
@pytest.mark.parametrize("field", [0.0, 0.5])
def test_zero_temperature_trajectory_matches_reference(shape, rule, field):
    net = sn.ising(shape, J=-1.0 if len(shape) == 3 else 1.0, field=field)
    args = dict(rule=rule, schedule="checkerboard", n_temps=2, chains=3)
    ref, fast = numpy_ref.make_kernel(net, **args), numba_cpu.make_kernel(net, **args)
    assert fast.multispin
    rng = np.random.default_rng(0)
    spins = (2 * rng.integers(0, 2, size=(2, 3, net.n)) - 1).astype(np.int8)
    a = ref.init(spins, np.random.SeedSequence(7))
    b = fast.init(spins, np.random.SeedSequence(7))
    betas = np.full(2, np.inf)
    for _ in range(6):
        a, fa = ref.step(a, betas, 1)
        b, fb = fast.step(b, betas, 1)
        np.testing.assert_array_equal(fast.spins(b), ref.spins(a))
        np.testing.assert_array_equal(fb, fa)


def test_selection_rule():
    applies = numba_msc.multispin_applies
    assert applies((256, 256), True, True)
    assert applies((4, 4), True, True)
    assert applies((6, 128), True, True)  # n = 64: one full word
    assert not applies((6, 130), True, True)  # n = 65: neither one word nor whole words
    assert not applies((8, 8), False, True)  # open boundaries
    assert not applies((8, 8), True, False)  # site-dependent bias
    assert not applies((5, 8), True, True)  # odd side
    net = sn.Network(LatticeCouplings((6, 6)), bias=np.tile([0.0, 1.0, -2.0], 12))
    kernel = numba_cpu.make_kernel(
        sn.ising((6, 130)), rule="glauber", schedule="checkerboard", n_temps=1, chains=1
    )
    assert not kernel.multispin
    kernel = numba_cpu.make_kernel(net, rule="glauber", schedule="random", n_temps=1, chains=1)
    assert not kernel.multispin


def _all_states(n):
    return np.array(list(itertools.product([-1, 1], repeat=n)), dtype=np.int8)


def _pvalue(counts, probabilities):
    expected = probabilities * counts.sum()
    small = expected < 5
    obs = np.append(counts[~small], counts[small].sum())
    exp = np.append(expected[~small], expected[small].sum())
    if exp[-1] == 0:
        obs, exp = obs[:-1], exp[:-1]
    return float(stats.chisquare(obs, exp).pvalue)


@pytest.mark.parametrize("shape", [(2, 4), (4, 2), (2, 2, 2)], ids=lambda s: "x".join(map(str, s)))
@pytest.mark.parametrize("rule", ["glauber", "metropolis"])
def test_small_periodic_lattices_sample_boltzmann(shape, rule):
    # 2 × 2 × 2: each bond counted twice (both faces), so a weaker J keeps it mixing
    net = sn.ising(shape, J=0.45 if len(shape) == 2 else 0.2, field=0.2)
    T = 1.0
    s = sn.sampler(net, T=T, chains=4000, dynamics=rule, schedule="checkerboard", backend="numba")
    assert s.kernel.multispin
    state, _ = s.step(s.init("random", seed=3), 60)
    spins = s.spins(state)[0]
    index = (spins > 0).astype(np.int64) @ (1 << np.arange(net.n)[::-1])
    counts = np.bincount(index, minlength=2**net.n)
    energies = net.energy(_all_states(net.n))
    for beta, want_pass in ((1.0 / T, True), (1.1 / T, False)):
        w = np.exp(-beta * (energies - energies.min()))
        p = _pvalue(counts, w / w.sum())
        assert (p > 1e-4) if want_pass else (p < 1e-6), (beta, p)


@pytest.mark.parametrize("multispin", [True, False])
@pytest.mark.parametrize("L", [32, 64])
def test_onsager_on_both_lattice_paths(multispin, L):
    T = np.array([2.0, 3.0])
    options = {"multispin": multispin}
    s = sn.sampler(
        sn.ising((L, L)),
        T=T,
        chains=4,
        dynamics="metropolis",
        schedule="checkerboard",
        backend_options=options,
    )
    assert s.kernel.multispin == multispin
    run = sn.simulate(
        sn.ising((L, L)),
        T=T,
        sweeps=2000,
        burn_in=400,
        chains=4,
        schedule="checkerboard",
        dynamics="metropolis",
        init="ones",
        record_every=2,
        backend="numba",
        backend_options=options,
        seed=5,
    )
    summary = run.summary()
    e_exact = onsager_energy(T)
    # a finite torus differs from Onsager's energy by O(1/L²): allow it beside 4 σ
    tol = 4 * summary["energy_err"] + 2.0 / L**2
    assert np.all(np.abs(summary["energy"] - e_exact) < tol), (summary["energy"], e_exact)
    m_exact = onsager_magnetization(2.0)
    assert (
        abs(summary["abs_magnetization"][0] - m_exact)
        < 4 * summary["abs_magnetization_err"][0] + 2.0 / L**2
    )


@pytest.mark.parametrize("chains", [1, 3])
@pytest.mark.parametrize("rule", ["glauber", "metropolis"])
def test_same_seed_same_result_for_1_and_2_threads(chains, rule):
    net = sn.ising((40, 64), field=0.1)  # 3 row blocks: blocks run in parallel for 1 chain
    kernel = numba_cpu.make_kernel(
        net, rule=rule, schedule="checkerboard", n_temps=1, chains=chains, device=None
    )
    assert kernel.multispin
    spins = np.ones((1, chains, net.n), dtype=np.int8)
    before = numba_cpu.get_num_threads()
    results = []
    try:
        for threads in (1, min(2, numba.config.NUMBA_NUM_THREADS)):
            numba_cpu.set_num_threads(threads)
            state = kernel.init(spins, np.random.SeedSequence(3))
            state, flips = kernel.step(state, np.array([0.45]), 7)
            results.append((kernel.spins(state), flips))
    finally:
        numba_cpu.set_num_threads(before)
    np.testing.assert_array_equal(results[0][0], results[1][0])
    np.testing.assert_array_equal(results[0][1], results[1][1])
    assert results[0][1].sum() > 0


def test_both_parallel_modes_give_the_same_result():
    net = sn.ising((48, 128))
    kernel = numba_cpu.make_kernel(
        net, rule="glauber", schedule="checkerboard", n_temps=2, chains=1, device=None
    )
    state = kernel.init(np.ones((2, 1, net.n), dtype=np.int8), np.random.SeedSequence(9))
    A, B, C, n, nw, rows, nblocks = kernel.geometry
    outs = []
    modes = kernel.rep.modes
    for name in ("chains", "blocks"):
        try:
            kernel.rep.modes = {"chains": modes[name], "blocks": modes[name]}
            new, flips = kernel.step(state, np.array([0.4, 0.5]), 5)
        finally:
            kernel.rep.modes = modes
        outs.append((kernel.spins(new), flips, new.rng))
    for x, y in zip(outs[0], outs[1], strict=True):
        np.testing.assert_array_equal(x, y)


def test_split_steps_equal_one_step():
    net = sn.ising((8, 8))
    kernel = numba_cpu.make_kernel(
        net, rule="metropolis", schedule="checkerboard", n_temps=2, chains=2, device=None
    )
    state0 = kernel.init(np.ones((2, 2, net.n), dtype=np.int8), np.random.SeedSequence(11))
    betas = np.array([0.4, 0.6])
    whole, f_whole = kernel.step(state0, betas, 30)
    part, f1 = kernel.step(state0, betas, 13)
    part, f2 = kernel.step(part, betas, 17)
    np.testing.assert_array_equal(kernel.spins(whole), kernel.spins(part))
    np.testing.assert_array_equal(f_whole, f1 + f2)


def test_pack_unpack_round_trip():
    rng = np.random.default_rng(0)
    for shape in [(6, 8), (4, 256), (2, 2, 2), (10,)]:
        A, B, C, n, nw, rows, nblocks = numba_msc.geometry(shape)
        S = (2 * rng.integers(0, 2, size=(3, A * B * C)) - 1).astype(np.int8)
        P = np.empty((3, 2, rows, nw), dtype=np.uint64)
        numba_msc.pack(S, P, A, B, C)
        back = np.empty_like(S)
        numba_msc.unpack(P, back, A, B, C)
        np.testing.assert_array_equal(back, S)


def test_threshold_bits_are_the_binary_expansion():
    """The 64 threshold masks of a group spell ⌊p·2⁶⁴⌋, most significant bit first."""
    K = 1
    beta = np.array([0.4406868])
    rcls = np.zeros((K, numba_msc.MAXQ, 5), dtype=np.uint64)
    dcls = np.zeros_like(rcls)
    rgrp = np.zeros((K, numba_msc.MAXQ), dtype=np.int64)
    counts = np.zeros((K, 4), dtype=np.int64)
    tbits = np.zeros((K, numba_msc.MAXQ, 64), dtype=np.uint64)
    numba_msc.tables(1, 4, 1.0, 0.0, beta, True, 0.0, rcls, rgrp, counts, dcls, tbits)
    assert counts[0, 0] == 2 and counts[0, 1] == 2  # ΔE = 4J and 8J
    for g, aligned_count in enumerate((3, 4)):  # ΔE = 4J, 8J
        p = numba_msc._probability(1, 1, aligned_count, 4, 1.0, 0.0, beta[0], True, 0.0)
        assert abs(p - math.exp(-beta[0] * 2 * (2 * aligned_count - 4))) < 1e-15
        bits = [(int(tbits[0, g, j]) & 1) for j in range(64)]
        value = sum(b << (63 - j) for j, b in enumerate(bits))
        assert value == int(p * 2.0**64)


def test_int16_overlap_dot_product_is_exact():
    """ξ_i · M with int16 overlaps (int32 vector lanes, int64 total) is exact."""
    import statnn.dynamics.numba.patterns as numba_patterns

    assert numba_patterns.overlap_dtype(32767) == np.int16
    assert numba_patterns.overlap_dtype(32768) == np.int32
    rng = np.random.default_rng(1)
    for p in (1, 511, 512, 1500):
        row = np.where(rng.random(p) < 0.5, -1, 1).astype(np.int8)
        m = rng.integers(-32767, 32768, p).astype(np.int16)
        m[: p // 2] = 32767 * row[: p // 2].astype(np.int16)  # worst case: terms at their maximum
        want = int((row.astype(np.int64) * m).sum())
        assert numba_patterns.pattern_dot(m, row[None, :], 0, numba_patterns.CHUNK) == want


@pytest.mark.parametrize("shape", [(16, 8), (16, 128), (32, 256), (4, 4, 8), (2, 16, 128)])
@pytest.mark.parametrize("rule", ["glauber", "metropolis"])
@pytest.mark.parametrize("field", [0.0, 0.3])
def test_lockstep_rows_equal_row_by_row(shape, rule, field):
    """A full block's rows updated in lockstep (``_lanes``) equal the same rows updated one
    at a time (``_row``, the path of the exact-enumeration tests): spins, row streams and
    flips bit for bit, at temperatures where every threshold group and T = 0 occur."""
    net = sn.ising(shape, J=-1.0 if len(shape) == 3 else 1.0, field=field)
    kernel = numba_cpu.make_kernel(net, rule=rule, schedule="checkerboard", n_temps=1, chains=2)
    rep = kernel.rep
    A, B, C, n, nw, rows, nblocks = rep.geometry
    assert rows % numba_msc.LANES == 0
    betas = np.array([0.1, 0.44, 1.3, np.inf])
    tables = rep.prepare(betas)
    rng = np.random.default_rng(3)
    for t in range(len(betas)):
        rcls, rgrp, cnt, dcls, tb = (x[t] for x in tables)
        P = rng.integers(0, 2**63, size=(2, 2, rows, nw), dtype=np.uint64)
        P <<= np.uint64(1)
        P |= rng.integers(0, 2, size=P.shape, dtype=np.uint64)
        streams = rep.seed(np.random.SeedSequence(t), 2)
        one, two = (P.copy(), streams.copy()), (P.copy(), streams.copy())
        W = np.empty(numba_msc.SCRATCH, dtype=np.uint64)
        for color in (0, 1, 0, 1, 1):
            for k in range(2):
                for q in range(nblocks):
                    a = numba_msc._lanes(
                        one[0], k, color, q * numba_msc.LANES, A, B, n, nw, rep.aligned,
                        not rep.aligned, rcls, rgrp, cnt, dcls, tb, one[1][k], W, rep.rows_at,
                    )  # fmt: skip
                    b = 0
                    for r in range(q * numba_msc.LANES, (q + 1) * numba_msc.LANES):
                        b += numba_msc._row(
                            two[0], k, color, r, A, B, n, nw, rep.aligned, not rep.aligned,
                            rcls, rgrp, cnt, dcls, tb, two[1][k, r], W,
                        )  # fmt: skip
                    assert a == b
        np.testing.assert_array_equal(one[0], two[0])
        np.testing.assert_array_equal(one[1], two[1])
        if np.isfinite(betas[t]):
            assert not np.array_equal(one[1], streams)  # random bits were drawn


@pytest.mark.parametrize(
    "shape", [(10,), (6, 8), (8, 128), (16, 256), (4, 4, 4), (2, 2, 2), (2, 4, 8), (4, 6, 128)]
)
def test_packed_counts_give_the_network_energy(shape):
    """Aligned bonds and up spins by popcount over the packed words (the one-word-row path
    and the general one) against the numpy energy: E = −Σ_bonds S_i S_j = N·D/2 − 2·aligned."""
    net = sn.ising(shape)
    A, B, C, n, nw, rows, nblocks = numba_msc.geometry(shape)
    rng = np.random.default_rng(len(shape) * 100 + shape[-1])
    S = np.where(rng.random((3, net.n)) < 0.3, -1, 1).astype(np.int8)
    P = np.empty((3, 2, rows, nw), dtype=np.uint64)
    numba_msc.pack(S, P, A, B, C)
    D = 2 * len(shape)
    for k in range(3):
        aligned, ones = numba_msc.packed_counts(P, P.reshape(3, 2, rows * nw), k, A, B, n)
        general = numba_msc._counts_rows(P, k, A, B, n, 0, rows)
        assert (aligned, ones) == general
        energy = float(net.energy(S[k].astype(np.float64)))
        assert energy == net.n * D / 2 - 2 * aligned
        assert ones == int(np.sum(S[k] > 0))
