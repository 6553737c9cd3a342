"""recall and relax: cues, flags, convergence counts, shapes, backends, bad input."""

import numpy as np
import pytest

import statnn as sn
from statnn.errors import ValidationError
from statnn.memory import hopfield, random_patterns, recall, relax
from statnn.memory.retrieval import corrupt


@pytest.fixture(scope="module")
def small():
    xi = random_patterns(8, 200, seed=0)  # α = 0.04: well inside the retrieval phase
    return xi, hopfield(xi)


def test_corrupt_flips_exact_count_and_masks_disjointly():
    xi = random_patterns(30, 500, seed=1)
    rng = np.random.default_rng(0)
    cues = corrupt(xi, 0.1, 0.0, rng)
    np.testing.assert_array_equal(np.sum(cues != xi, axis=1), 50)
    masked = corrupt(xi, 0.1, 0.4, rng)
    wrong = np.sum(masked != xi, axis=1)
    # 50 flipped + about half of the 200 masked bits wrong
    assert np.all(wrong >= 50) and np.all(wrong <= 250)
    assert np.mean(wrong) == pytest.approx(150, abs=10)


def test_recall_flags_threshold_and_sweeps(small):
    xi, net = small
    out = recall(net, xi, noise=0.15, T=0.0, sweeps=50, seed=1, threshold=0.95)
    assert out.threshold == 0.95 and out.params["threshold"] == 0.95
    assert out.overlaps.shape == (8, 8) and out.overlap.shape == (8,)
    np.testing.assert_allclose(out.initial_overlap, 0.7)
    np.testing.assert_array_equal(out.overlap, np.diagonal(out.overlaps))
    assert out.retrieved.all() and out.retrieval_rate == 1.0
    np.testing.assert_array_equal(out.retrieved, out.overlap >= 0.95)
    assert out.converged.all()
    assert np.all(out.sweeps >= 1) and np.all(out.sweeps <= 50)
    assert np.all(out.sweeps > 1)  # 30 wrong bits take more than one sweep to repair
    # the final states are fixed points of the T = 0 dynamics
    assert np.all(out.states * net.local_field(out.states) >= 0)
    # a stored pattern cued without noise converges in exactly one sweep
    clean = recall(net, xi, noise=0.0, seed=2)
    np.testing.assert_array_equal(clean.sweeps, 1)
    assert np.all(clean.overlap == 1.0)


def test_recall_not_retrieved_from_far_cue(small):
    xi, net = small
    out = recall(net, xi, noise=0.5, seed=3, threshold=0.9)  # no information in the cue
    assert out.retrieval_rate < 0.5
    np.testing.assert_array_equal(out.retrieved, out.overlap >= 0.9)


def test_recall_reproducible_and_shapes(small):
    xi, net = small
    kwargs = dict(noise=0.2, seed=5, sweeps=20)
    a, b = recall(net, xi, **kwargs), recall(net, xi, **kwargs)
    np.testing.assert_array_equal(a.states, b.states)
    full = recall(net, xi, T=[0.0, 0.3], chains=3, cue=[0, 2, 5], average=5, **kwargs)
    assert full.overlaps.shape == (2, 3, 3, 8)
    assert full.sweeps.shape == (2, 3, 3) and full.states.shape == (2, 3, 3, 200)
    np.testing.assert_array_equal(full.cued, [0, 2, 5])
    assert not full.converged[1].any() and np.all(full.sweeps[1] == 20)
    assert full.converged[0].all()
    unsq = recall(net, xi, cue=1, squeeze=False, **kwargs)
    assert unsq.overlaps.shape == (1, 1, 1, 8)


def test_recall_asymmetric_network():
    """Perceptron-learned couplings are asymmetric; recall runs Glauber dynamics anyway."""
    xi = random_patterns(30, 100, seed=6)  # α = 0.3, above Hebbian capacity
    net = hopfield(xi, rule="perceptron", kappa=0.8)  # Gardner: α_c(0.8) ≈ 0.66
    assert not net.symmetric
    out = recall(net, xi, noise=0.05, seed=7, sweeps=50)
    assert out.retrieval_rate == 1.0 and out.converged.all()
    diluted = hopfield(random_patterns(5, 200, seed=8), dilution=0.5, symmetric_dilution=False)
    assert not diluted.symmetric
    pats = random_patterns(5, 200, seed=8)
    out = recall(diluted, pats, noise=0.1, seed=9, T=[0.0, 0.2], sweeps=30)
    assert out.overlap.shape == (2, 5) and out.overlap[0].min() > 0.9


def test_recall_numpy_and_numba_agree_at_T0(small, fast_backend):
    xi, net = small
    dense = sn.Network(net.couplings.to_dense())
    a = recall(dense, xi, noise=0.2, seed=11, backend="numpy")
    b = recall(dense, xi, noise=0.2, seed=11, backend=fast_backend)
    assert np.all(a.retrieved) and np.all(b.retrieved)
    np.testing.assert_allclose(a.overlap, b.overlap)


def test_relax_reaches_fixed_points(small):
    xi, net = small
    starts = random_patterns(6, 200, seed=12)
    out = relax(net, starts, sweeps=100, seed=0)
    assert out["states"].shape == (1, 6, 200) and out["overlaps"].shape == (1, 6, 8)
    assert out["converged"].all()
    S = out["states"][0]
    assert np.all(S * net.local_field(S) >= 0)


def test_recall_bad_input(small):
    xi, net = small
    with pytest.raises(ValidationError, match="'patterns' parameter of recall .* length 200"):
        recall(net, random_patterns(3, 150, seed=0))
    with pytest.raises(ValidationError, match="'patterns' parameter of recall .* ±1"):
        recall(net, np.zeros((2, 200)))
    with pytest.raises(ValidationError, match="'patterns' parameter of recall"):
        recall(sn.Network(net.couplings.to_dense()))  # dense networks do not keep patterns
    with pytest.raises(ValidationError, match="'noise' parameter of recall"):
        recall(net, xi, noise=1.5)
    with pytest.raises(ValidationError, match="'mask' parameter of recall"):
        recall(net, xi, noise=0.6, mask=0.6)
    with pytest.raises(ValidationError, match="'T' parameter of recall"):
        recall(net, xi, T=-1.0)
    with pytest.raises(ValidationError, match="'cue' parameter of recall"):
        recall(net, xi, cue=[8])
    with pytest.raises(ValidationError, match="'average' parameter of recall"):
        recall(net, xi, sweeps=5, average=6)
    with pytest.raises(ValidationError, match="'net' parameter of recall"):
        recall(np.eye(3), xi)
    with pytest.raises(ValidationError, match="'backend' parameter"):
        recall(net, xi, backend="fortran")


def test_biased_patterns_need_the_covariance_rule(fast_backend):
    """Mean activity a = 0.4: plain Hebb collapses onto the common bias; (ξ − a) retrieves."""
    a = 0.4
    xi = random_patterns(40, 1000, activity=a, seed=13)
    plain = recall(hopfield(xi), xi, noise=0.1, seed=14, backend=fast_backend)
    cov = recall(hopfield(xi, activity=a), xi, noise=0.1, seed=14, backend=fast_backend)
    assert plain.retrieval_rate == 0.0
    assert cov.retrieval_rate > 0.9 and cov.mean_overlap > 0.98
