"""Seeds: an int, a numpy Generator, a SeedSequence or None everywhere; the seed actually
used is recorded and reproduces the run."""

from __future__ import annotations

import numpy as np
import pytest

import statnn as sn
from statnn._validation import check_seed, seed_value
from statnn.errors import ValidationError


def _run(seed, backend="numba"):
    return sn.simulate(
        sn.ising((4, 4)), T=[1.5, 3.0], sweeps=20, burn_in=5, chains=2, seed=seed, backend=backend
    )


def _same(a, b):
    return np.array_equal(a.energy, b.energy) and np.array_equal(a.states, b.states)


def test_equivalent_seeds_give_identical_runs(backend):
    base = _run(7, backend)
    # an int and the SeedSequence it names are the same seed
    assert _same(base, _run(np.random.SeedSequence(7), backend))
    assert _same(base, _run(np.int64(7), backend))
    # two Generators in the same state give the same run, and record the seed they gave
    a, b = _run(np.random.default_rng(3), backend), _run(np.random.default_rng(3), backend)
    assert _same(a, b) and a.params["seed"] == b.params["seed"]
    assert _same(a, _run(a.params["seed"], backend))
    # a Generator advances: the next run from it differs
    rng = np.random.default_rng(3)
    first, second = _run(rng, backend), _run(rng, backend)
    assert first.params["seed"] != second.params["seed"]
    assert not _same(first, second)
    # a different seed is a different run (the comparison above can fail)
    assert not _same(base, _run(8, backend))


def test_seed_none_is_recorded_and_reproduces_the_run():
    free = _run(None)
    seed = free.params["seed"]
    assert isinstance(seed, int) and 0 <= seed < 2**63
    assert _same(free, _run(seed))
    assert _run(None).params["seed"] != seed  # fresh entropy each time


def test_spawned_seedsequence_is_reduced_deterministically():
    child = np.random.SeedSequence(11).spawn(2)[1]
    a, b = _run(child), _run(np.random.SeedSequence(11).spawn(2)[1])
    assert _same(a, b)
    assert _same(a, _run(a.params["seed"]))


def test_recall_relax_sk_hopfield_record_their_seed():
    xi = sn.random_patterns(3, 64, seed=np.random.default_rng(0))
    assert np.array_equal(xi, sn.random_patterns(3, 64, seed=np.random.default_rng(0)))
    net = sn.hopfield(xi)
    out = sn.recall(net, xi, noise=0.2, T=0.5, sweeps=5, seed=None)
    again = sn.recall(net, xi, noise=0.2, T=0.5, sweeps=5, seed=out.params["seed"])
    assert np.array_equal(out.states, again.states)
    rel = sn.relax(net, xi, T=0.5, sweeps=5, seed=np.random.SeedSequence(4))
    assert np.array_equal(rel.states, sn.relax(net, xi, T=0.5, sweeps=5, seed=4).states)
    assert rel.params["seed"] == 4 and rel["states"] is rel.states  # dict-style access kept
    glass = sn.sk(8, seed=None)
    assert np.array_equal(glass.couplings.J, sn.sk(8, seed=glass.info["seed"]).couplings.J)
    diluted = sn.hopfield(xi, dilution=0.5, seed=np.random.default_rng(1))
    again = sn.hopfield(xi, dilution=0.5, seed=diluted.info["seed"])
    assert (diluted.couplings.J != again.couplings.J).nnz == 0


def test_sampler_init_accepts_every_kind():
    s = sn.sampler(sn.ising((4, 4)), T=2.0, chains=2)
    a = s.spins(s.step(s.init(seed=5), 3)[0])
    b = s.spins(s.step(s.init(seed=np.random.SeedSequence(5)), 3)[0])
    assert np.array_equal(a, b)


@pytest.mark.parametrize("bad", [-1, 1.5, "0", True, [1, -2], object()])
def test_bad_seeds_are_refused(bad):
    with pytest.raises(ValidationError, match="'seed' parameter of simulate"):
        _run(bad)


def test_check_seed_returns_a_seedsequence():
    assert isinstance(check_seed(None, "f"), np.random.SeedSequence)
    assert seed_value(12, "f") == 12
    assert seed_value([1, 2], "f") == [1, 2]
