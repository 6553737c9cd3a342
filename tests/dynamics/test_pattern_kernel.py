"""The pattern-form numba kernel's vector code: exact dot products, a prefetch that leaves
the random draws alone, T = 0 trajectories equal to the numpy reference and Boltzmann
sampling (exact enumeration) with enough patterns (P ≥ 32) to run the vector path.

The other pattern-form tests (tests/dynamics/test_numba.py, tests/statistical) use P < 32,
which takes the scalar loop.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy import stats

import statnn as sn
import statnn.dynamics.numba.kernel as numba_cpu
import statnn.dynamics.numba.patterns as pk
import statnn.dynamics.reference as numpy_ref
from statnn.dynamics.numba.rng import bounded, seed_states, uniform
from statnn.dynamics.numba.rules import RULE_CODES
from statnn.dynamics.numba.schedule import FIXED, PERMUTED, RANDOM, next_site


def _pm1(rng, shape):
    return np.where(rng.random(shape) < 0.5, -1, 1).astype(np.int8)


@pytest.mark.parametrize("p", [1, 31, 32, 33, 40, 63, 64, 65, 96, 97, 200, 1000])
def test_int16_dot_product_is_exact(p):
    rng = np.random.default_rng(p)
    table = _pm1(rng, (3, p))
    m = rng.integers(-32767, 32768, p).astype(np.int16)
    m[: p // 2] = 32767 * table[1, : p // 2].astype(np.int16)  # terms at their maximum
    for i in range(3):
        want = int((table[i].astype(np.int64) * m).sum())
        for chunk in (pk.CHUNK, 32, 64, 96):  # one block, and many (incl. a short last one)
            assert pk.pattern_dot(m, table, i, chunk) == want


@pytest.mark.parametrize("p", [5, 32, 47, 300])
def test_int32_dot_product_is_exact(p):
    n = 10**6  # |M_mu| <= N
    rng = np.random.default_rng(p)
    table = _pm1(rng, (2, p))
    m = rng.integers(-n, n + 1, p).astype(np.int32)
    m[::2] = n * table[0, ::2].astype(np.int32)
    want = int((table[0].astype(np.int64) * m).sum())
    assert pk.pattern_dot(m, table, 0, pk.dot_chunk(n, 4)) == want
    assert pk.pattern_dot(m, table, 0, 16) == want


@pytest.mark.parametrize(
    "features", ["+avx2,-avx512bw", "-avx2,-avx512bw"], ids=["avx2", "portable"]
)
def test_other_vector_paths_are_exact(features, monkeypatch):
    """The AVX2 (16 int16 lanes) and portable (shuffles, mul, add) forms of the dot product,
    compiled here by overriding the target features, give the exact sums too."""
    import numba

    monkeypatch.setattr(pk, "FEATURES_OVERRIDE", features)

    @numba.njit(cache=False)
    def dot(m, table, i, chunk):
        return pk.pattern_dot(m, table, i, chunk)

    rng = np.random.default_rng(9)
    for p, dtype, bound in ((200, np.int16, 32767), (37, np.int16, 32767), (97, np.int32, 10**6)):
        table = _pm1(rng, (2, p))
        m = rng.integers(-bound, bound + 1, p).astype(dtype)
        want = int((table[1].astype(np.int64) * m).sum())
        assert dot(m, table, 1, 64) == want
        assert dot(m, table, 1, pk.dot_chunk(bound, m.itemsize)) == want


def test_next_site_guess_is_the_next_draw_for_glauber():
    """At finite β each Glauber update draws one uniform after its site, so the guess made
    from a copy of the state is the next site itself; the guess draws nothing."""
    st = seed_states(np.random.SeedSequence(3), 1)[0]
    order = np.empty(0, dtype=np.int64)
    n, hits = 1000, 0
    for t in range(2000):
        before = st.copy()
        guess = next_site(RANDOM, t, n, order, order, st, 1, 1)
        np.testing.assert_array_equal(st, before)
        uniform(st)
        hits += guess == bounded(st, n)
    assert hits == 2000
    guess = next_site(RANDOM, 0, n, order, order, st, 0, 1)  # T = 0: no uniform between
    assert guess == bounded(st, n)
    perm = np.arange(5, dtype=np.int64)[::-1].copy()
    assert next_site(PERMUTED, 1, 5, order, perm, st, 1, 1) == perm[2]
    assert next_site(FIXED, 4, 5, perm, order, st, 1, 1) == perm[0]  # wraps to the start


@pytest.mark.parametrize("schedule", [RANDOM, FIXED, PERMUTED])
@pytest.mark.parametrize("rule", ["glauber", "metropolis"])
@pytest.mark.parametrize("beta", [2.5, np.inf])
def test_prefetch_leaves_trajectories_and_draws_unchanged(schedule, rule, beta):
    """The row prefetch (a guess) changes no chain's draws: spins, overlaps, RNG states and
    flip counts are identical with and without it."""
    rng = np.random.default_rng(0)
    n, p, K = 300, 70, 3
    xiT = _pm1(rng, (n, p))
    S0 = _pm1(rng, (K, n))
    M0 = np.empty((K, p), dtype=np.int16)
    pk.pattern_overlaps(S0, M0, xiT)
    bias = 0.05 * rng.standard_normal(n)
    order = np.arange(n, dtype=np.int64)
    out = []
    for ahead in (False, True):
        S, M = S0.copy(), M0.copy()
        st = seed_states(np.random.SeedSequence(1), K)
        flips = np.zeros(K, dtype=np.int64)
        pk.pattern_sweeps(
            S, M, xiT, 1.0 / n, bias, np.full(K, beta), st, order, schedule,
            RULE_CODES[rule], 0.0, 4, flips, ahead, np.zeros(K, dtype=np.int64),
            np.empty((1, 0)), -1,
        )  # fmt: skip
        out.append((S, M, st, flips))
    for other in out[1:]:
        for a, b in zip(out[0], other, strict=True):
            np.testing.assert_array_equal(a, b)
    M = np.empty_like(M0)
    pk.pattern_overlaps(out[1][0], M, xiT)
    np.testing.assert_array_equal(out[1][1], M)  # the cached overlaps stay exact


@pytest.mark.parametrize("rule", ["glauber", "metropolis"])
def test_zero_temperature_trajectory_matches_reference_with_vector_path(rule):
    rng = np.random.default_rng(5)
    n = 200
    net = sn.hopfield(_pm1(rng, (45, n)))
    args = dict(rule=rule, schedule="sequential", n_temps=1, chains=2)
    ref, fast = numpy_ref.make_kernel(net, **args), numba_cpu.make_kernel(net, **args)
    spins = _pm1(rng, (1, 2, n))
    seed = np.random.SeedSequence(7)
    a, b = ref.init(spins, seed), fast.init(spins, seed)
    betas = np.full(1, np.inf)
    for _ in range(3):
        a, fa = ref.step(a, betas, 1)
        b, fb = fast.step(b, betas, 1)
        np.testing.assert_array_equal(fast.spins(b), ref.spins(a))
        np.testing.assert_array_equal(fb, fa)


def test_zero_temperature_sweep_with_int32_overlaps_matches_the_equations():
    """N > 32 767 (int32 overlaps, 16-lane int32 products): one sequential T = 0 sweep
    equals S_i ← sign(h_i), h_i = (ξ_i · M − P S_i) / N, written out in numpy."""
    rng = np.random.default_rng(6)
    n, p = 33000, 45
    xi = _pm1(rng, (p, n))
    net = sn.hopfield(xi)
    s = sn.sampler(net, T=0.0, chains=1, schedule="sequential")
    spins = _pm1(rng, (1, n))
    state = s.init(init=spins, seed=0)
    state, _ = s.step(state, 1)
    want = spins[0].astype(np.int64)
    xiT = np.ascontiguousarray(xi.T).astype(np.int64)
    M = xiT.T @ want
    tol = net.tie_tolerance
    for i in range(n):
        h = (xiT[i] @ M - p * want[i]) / n
        new = 1 if h > tol else (-1 if h < -tol else want[i])
        if new != want[i]:
            M += 2 * new * xiT[i]
            want[i] = new
    np.testing.assert_array_equal(s.spins(state)[0, 0], want)


def test_int32_overlaps_stay_exact_on_random_schedule_with_prefetch():
    rng = np.random.default_rng(4)
    n, p = 33000, 40  # int32 overlaps; table 1.3 MB > PREFETCH_BYTES
    net = sn.hopfield(_pm1(rng, (p, n)))
    s = sn.sampler(net, T=0.8, chains=2, schedule="random")
    state = s.init("random", seed=2)
    kern = numba_cpu.make_kernel(net, rule="glauber", schedule="random", n_temps=1, chains=2)
    assert kern.rep.ahead  # the prefetching path runs
    state, _ = s.step(state, 2)
    spins = s.spins(state)[0]
    want = spins.astype(np.int64) @ net.couplings.patterns_t.astype(np.int64)
    np.testing.assert_array_equal(state.cache.reshape(2, p), want)


# -- exact enumeration ------------------------------------------------------------------------


def _states(n):
    return np.array(list(itertools.product([-1, 1], repeat=n)), dtype=np.int8)


def _pvalue(counts, probabilities):
    expected = probabilities * counts.sum()
    small = expected < 5
    obs = np.append(counts[~small], counts[small].sum())
    exp = np.append(expected[~small], expected[small].sum())
    if exp[-1] == 0:
        obs, exp = obs[:-1], exp[:-1]
    return float(stats.chisquare(obs, exp).pvalue)


@pytest.mark.parametrize(
    ("p", "rule", "schedule"),
    [
        (40, "glauber", "random"),
        (40, "metropolis", "random"),
        (40, "glauber", "sequential"),
        (40, "metropolis", "permuted"),
        (97, "glauber", "permuted"),
    ],
)
def test_vector_path_samples_boltzmann(p, rule, schedule):
    """N = 6 with P ≥ 32 patterns: 4000 chains after 60 sweeps against exp(−βE)/Z, and the
    same samples must fail against 1.1 β."""
    rng = np.random.default_rng(p)
    n, T = 6, 1.0
    net = sn.Network(
        sn.PatternCouplings(_pm1(rng, (p, n)), scale=0.3 / np.sqrt(p)),
        bias=rng.normal(0.0, 0.3, n),
    )
    s = sn.sampler(net, T=T, chains=4000, dynamics=rule, schedule=schedule, backend="numba")
    state = s.init("random", seed=11)
    state, _ = s.step(state, 60)
    spins = s.spins(state)[0]
    index = (spins > 0).astype(np.int64) @ (1 << np.arange(n)[::-1])
    counts = np.bincount(index, minlength=2**n)
    energies = net.energy(_states(n))

    def boltzmann(beta):
        w = np.exp(-beta * (energies - energies.min()))
        return w / w.sum()

    assert _pvalue(counts, boltzmann(1.0 / T)) > 1e-4
    assert _pvalue(counts, boltzmann(1.1 / T)) < 1e-6


# -- memoised outcome probabilities ----------------------------------------------------------


def _run_sweeps(S0, M0, xiT, scale, bias, beta, rule, schedule, sync, half):
    """4 sweeps through the raw kernel with probability tables of half-width ``half`` (−1:
    none); returns the spins, overlaps, RNG states, flips and the tables."""
    K, n = S0.shape
    S, M = S0.copy(), M0.copy()
    st = seed_states(np.random.SeedSequence(3), K)
    flips = np.zeros(K, dtype=np.int64)
    slot = np.arange(K, dtype=np.int64) % beta.shape[0]
    probs = pk.probability_tables(beta, RULE_CODES[rule], half)
    chain_beta = beta[slot]
    if sync:
        pk.pattern_synchronous(
            S, M, xiT, scale, bias, chain_beta, st, RULE_CODES[rule], 0.0, 4, flips, slot, probs,
            half,
        )  # fmt: skip
    else:
        pk.pattern_sweeps(
            S, M, xiT, scale, bias, chain_beta, st, np.arange(n, dtype=np.int64), schedule,
            RULE_CODES[rule], 0.0, 4, flips, False, slot, probs, half,
        )  # fmt: skip
    return (S, M, st, flips), probs


@pytest.mark.parametrize("schedule,sync", [(RANDOM, False), (FIXED, False), (PERMUTED, False),
                                           (FIXED, True)])  # fmt: skip
@pytest.mark.parametrize("rule", ["glauber", "metropolis"])
@pytest.mark.parametrize("b0", [0.0, 0.07])
def test_probability_tables_change_no_trajectory(schedule, sync, rule, b0):
    """Reading the outcome probabilities from the tables gives bit for bit the spins,
    overlaps, draws and flip counts of computing them at every update — with a window so
    narrow that most fields fall outside it, and with one that holds them all — and every
    entry filled is the probability of its field (Glauber P(+1) = 1 / (1 + e^{−2βh}),
    Metropolis min(1, e^{−βΔE}) for S_i = ∓1)."""
    rng = np.random.default_rng(8)
    n, p, K = 300, 40, 6
    xiT = _pm1(rng, (n, p))
    S0 = _pm1(rng, (K, n))
    M0 = np.empty((K, p), dtype=np.int16)
    pk.pattern_overlaps(S0, M0, xiT)
    scale, bias = 1.0 / n, np.full(n, b0)
    beta = np.array([0.8, 2.5, np.inf])  # three temperatures, chains k → slot k % 3
    plain, _ = _run_sweeps(S0, M0, xiT, scale, bias, beta, rule, schedule, sync, -1)
    for half in (3, p * (n + 1)):
        tabled, probs = _run_sweeps(S0, M0, xiT, scale, bias, beta, rule, schedule, sync, half)
        for a, b in zip(plain, tabled, strict=True):
            np.testing.assert_array_equal(a, b)
        x = np.arange(-half, half + 1)
        h = scale * x + b0
        for t, b in enumerate(beta):
            rows = probs[t].reshape(-1, 2 * half + 1)
            filled = ~np.isnan(rows)
            assert not np.isfinite(b) or filled.any()  # used at finite β, never at T = 0
            with np.errstate(invalid="ignore"):  # ∞ · 0: the T = 0 rows stay empty
                if rule == "glauber":
                    want = [1.0 / (1.0 + np.exp(-2.0 * b * h))]
                else:
                    want = [np.minimum(1.0, np.exp(-b * 2.0 * s * h)) for s in (-1, 1)]
            for row, ok, w in zip(rows, filled, want, strict=True):
                np.testing.assert_allclose(row[ok], w[ok], rtol=1e-14, atol=0)


def test_probability_window():
    """Tables only where h is a function of x alone and some β is finite; the window holds
    the reachable fields up to where the lowest β saturates."""
    n, p = 2000, 200
    assert pk.probability_window([1.0], 1.0 / n, n, p, uniform_bias=False) == -1
    assert pk.probability_window([np.inf], 1.0 / n, n, p, uniform_bias=True) == -1
    assert pk.probability_window([np.inf, 1 / 0.3], 1.0 / n, n, p, True) == 12000
    assert pk.probability_window([0.0], 1.0 / n, n, p, True) == pk.HALF_MAX
    assert pk.probability_window([1e6], 1.0 / n, n, p, True) == 1  # 40 / (2 · 1e6 / 2000)
    assert pk.probability_window([1.0], 1.0 / n, 3, 2, True) == 8  # |x| ≤ P (N + 1)
    assert pk.probability_tables([1.0, 2.0], RULE_CODES["metropolis"], 5).shape == (2, 22)
    assert pk.probability_tables([1.0], RULE_CODES["glauber"], -1).shape == (1, 0)


@pytest.mark.parametrize("rule,schedule", [("glauber", "random"), ("metropolis", "permuted"),
                                           ("glauber", "synchronous")])  # fmt: skip
def test_tabled_kernel_samples_boltzmann(rule, schedule):
    """The kernel with probability tables (equal biases) against exp(−βE)/Z, N = 6, P = 40,
    two temperatures in one call (one table each); the same samples fail at 1.1 β.
    Synchronous (Little) dynamics samples its own pair distribution, so there the test is
    against the Peretto weights Σ_i ln cosh(β h_i) of the stationary state."""
    rng = np.random.default_rng(21)
    n, p, temps = 6, 40, np.array([0.5, 1.0])
    net = sn.Network(
        sn.PatternCouplings(_pm1(rng, (p, n)), scale=0.3 / np.sqrt(p)), bias=np.full(n, 0.1)
    )
    s = sn.sampler(net, T=temps, chains=4000, dynamics=rule, schedule=schedule, backend="numba")
    state = s.init("random", seed=11)
    state, _ = s.step(state, 60)
    assert s.kernel.rep.prepare(1.0 / temps)[1] > 0  # the tables were used
    states = _states(n)
    energies = net.energy(states)
    if schedule == "synchronous":
        fields = net.local_field(states)

        def weights(beta):
            return np.sum(np.log(np.cosh(beta * fields)), axis=1) + beta * states @ net.bias

    else:

        def weights(beta):
            return -beta * energies

    for t, T in enumerate(temps):
        spins = s.spins(state)[t]
        index = (spins > 0).astype(np.int64) @ (1 << np.arange(n)[::-1])
        counts = np.bincount(index, minlength=2**n)

        def boltzmann(beta):
            w = np.exp(weights(beta) - weights(beta).max())
            return w / w.sum()

        assert _pvalue(counts, boltzmann(1.0 / T)) > 1e-4
        assert _pvalue(counts, boltzmann(1.1 / T)) < 1e-6
