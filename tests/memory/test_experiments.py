"""Experiment functions: shapes, parameters and the physics they should show at small N."""

import numpy as np
import pytest

from statnn.errors import ValidationError
from statnn.memory import (
    basin_of_attraction,
    capacity_curve,
    classify_states,
    phase_diagram,
    spurious_states,
)


def test_capacity_curve_hebbian(fast_backend):
    out = capacity_curve("hebbian", [0.05, 0.25], N=500, max_cued=40, backend=fast_backend)
    assert out["m_mean"].shape == (1, 2) and out["m_err"].shape == (1, 2)
    assert out["P"].tolist() == [25, 125]
    assert out["m_mean"][0, 0] > 0.99 and out["m_mean"][0, 1] < 0.7
    assert out["params"]["rule"] == "hebbian" and out["params"]["N"] == 500
    assert out["params"]["version"]


def test_capacity_curve_rule_options_and_temperatures(fast_backend):
    out = capacity_curve("perceptron", [0.5], N=100, T=[0.0, 0.1], max_cued=20, kappa=0.5,
                         sweeps=30, average=10, backend=fast_backend)  # fmt: skip
    assert out["m_mean"].shape == (2, 1)
    assert out["m_mean"][0, 0] == 1.0  # κ = 0.5 at α = 0.5 < α_c(0.5) ≈ 0.96: fixed points
    assert out["params"]["rule_options"] == {"kappa": 0.5}


def test_basin_of_attraction_is_monotone_with_a_threshold(fast_backend):
    out = basin_of_attraction(alpha=0.05, N=500, initial_overlaps=[1.0, 0.6, 0.3, 0.05],
                              max_cued=25, backend=fast_backend)  # fmt: skip
    m = out["m_mean"]
    assert out["final"].shape == (4, 25)
    assert m[0] == 1.0 and m[1] > 0.99  # inside the basin
    assert m[3] < 0.5  # from almost no information the pattern is not found
    assert np.all(np.diff(out["retrieval_rate"]) <= 0)


def test_spurious_states_classified(fast_backend):
    """α = 0.01: sgn(ξ1+ξ2+ξ3) is itself (nearly) a stable 3-mixture with m ≈ 1/2 each."""
    out = spurious_states(alpha=0.01, N=1000, n_mixtures=20, n_random=20, backend=fast_backend)
    labels = out["label"]
    assert labels.shape == (40,) and out["overlaps"].shape == (40, 10)
    mix = out["start"] == "mixture"
    assert np.mean(labels[mix] == "mixture-3") >= 0.9
    top = -np.sort(-np.abs(out["overlaps"][mix & (labels == "mixture-3")]), axis=1)[:, :3]
    assert top.mean() == pytest.approx(0.5, abs=0.05)
    # the 3-mixture is a higher-energy attractor than a pattern: E/N ≈ −3/8 vs −1/2
    assert out["energy"][labels == "mixture-3"].mean() == pytest.approx(-0.375, abs=0.03)
    retrieved = labels == "retrieval"
    if retrieved.any():
        assert out["energy"][retrieved].mean() == pytest.approx(-0.5, abs=0.03)
    assert sum(out["counts"]["random"].values()) == 20
    assert out["converged"].all()


def test_classify_states_labels():
    m = np.array(
        [
            [0.98, 0.02, 0.01, 0.0],
            [-0.5, 0.5, 0.48, 0.03],
            [0.1, 0.05, 0.08, 0.02],
            [0.6, 0.4, 0.1, 0.05],
        ]
    )
    assert classify_states(m).tolist() == ["retrieval", "mixture-3", "spin-glass", "other"]


def test_phase_diagram_grid(fast_backend):
    out = phase_diagram(T=[0.0, 1.2], alphas=[0.02, 0.3], N=300, max_cued=10, sweeps=60,
                        average=30, backend=fast_backend)  # fmt: skip
    assert out["m_mean"].shape == (2, 2) and out["retrieval"].dtype == bool
    assert out["retrieval"][0, 0]  # low T, low α: retrieval phase
    assert not out["retrieval"][1, 0] and not out["retrieval"][1, 1]  # T > 1: paramagnet
    assert out["params"]["experiment"] == "phase_diagram"


def test_experiments_bad_input():
    with pytest.raises(ValidationError, match="'rule' parameter of capacity_curve"):
        capacity_curve("oja", [0.1], N=50)
    with pytest.raises(ValidationError, match="'alphas' parameter of capacity_curve"):
        capacity_curve("hebbian", [0.1, -0.2], N=50)
    with pytest.raises(ValidationError, match="'initial_overlaps' parameter"):
        basin_of_attraction(initial_overlaps=[1.5], N=50)
    with pytest.raises(ValidationError, match="'alpha' parameter of spurious_states"):
        spurious_states(alpha=0.01, N=100)  # P = 1 < 3
