"""The torch backend on CUDA: the CPU checks again, with the CUDA defaults.

On CUDA the kernels compile the within-block loop and the lattice half-sweep
(``torch.compile``) and pattern-form couplings use exact int8 products
(``torch._int_mm``). These tests are skipped where ``torch.cuda.is_available()`` is False.
"""

from __future__ import annotations

import numpy as np
import pytest

import statnn as sn
import statnn.dynamics.reference as numpy_ref

torch = pytest.importorskip("torch")
import statnn.dynamics.torch.kernels as torch_kernels  # noqa: E402

pytestmark = [
    pytest.mark.gpu,
    pytest.mark.skipif(
        not torch.cuda.is_available(),
        reason="needs a CUDA device (torch.cuda.is_available() is False)",
    ),
]


def _nets():
    rng = np.random.default_rng(0)
    n = 64
    J = rng.normal(size=(n, n))
    J = (J + J.T) / 2
    np.fill_diagonal(J, 0.0)
    return {
        "dense64": sn.Network(J, bias=0.2 * rng.normal(size=n)),
        "dense32": sn.Network(J.astype(np.float32)),
        "hopfield": sn.hopfield(np.where(rng.random((10, 200)) < 0.5, 1, -1).astype(np.int8)),
        "ising2d": sn.ising((16, 16)),
        "ising3d": sn.ising((4, 4, 6), field=0.3, periodic=False),
    }


NETS = _nets()


@pytest.mark.parametrize(
    "name,schedule",
    [
        ("dense64", "sequential"),
        ("dense32", "sequential"),
        ("hopfield", "sequential"),  # int8 products: 20 chains, B = 16
        ("hopfield", "synchronous"),
        ("ising2d", "checkerboard"),  # compiled half-sweep
        ("ising3d", "checkerboard"),
        ("ising2d", "sequential"),
    ],
)
@pytest.mark.parametrize("rule", ["glauber", "metropolis"])
def test_cuda_equals_numpy_at_T0(name, schedule, rule):
    if schedule == "synchronous" and rule == "metropolis":
        pytest.skip("synchronous is Glauber only")
    net = NETS[name]
    chains = 20
    a = numpy_ref.make_kernel(net, rule=rule, schedule=schedule, n_temps=1, chains=chains)
    b = torch_kernels.make_kernel(
        net, rule=rule, schedule=schedule, n_temps=1, chains=chains, device="cuda", block_size=16
    )
    S0 = (2 * np.random.default_rng(1).integers(0, 2, (1, chains, net.n)) - 1).astype(np.int8)
    sa, sb = a.init(S0, np.random.SeedSequence(0)), b.init(S0, np.random.SeedSequence(0))
    assert sb.spins.device.type == "cuda"
    for _ in range(3):
        sa, fa = a.step(sa, np.array([np.inf]), 1)
        sb, fb = b.step(sb, np.array([np.inf]), 1)
        np.testing.assert_array_equal(b.spins(sb), a.spins(sa))
        np.testing.assert_array_equal(fb, fa)


def test_cuda_same_seed_same_result():
    kw = dict(T=[1.0, 2.0], sweeps=20, chains=32, backend="torch", device="cuda", seed=3)
    r1 = sn.simulate(NETS["hopfield"], **kw)
    r2 = sn.simulate(NETS["hopfield"], **kw)
    np.testing.assert_array_equal(r1.states, r2.states)
    np.testing.assert_array_equal(r1.energy, r2.energy)


def test_cuda_onsager_energy_and_magnetization():
    """2D Ising L = 64 on CUDA, checkerboard: E/N and |m| within errors of Onsager."""
    from statnn.theory import onsager_energy, onsager_magnetization

    T = np.array([1.8, 2.0, 3.0, 3.5])
    run = sn.simulate(
        sn.ising((64, 64)),
        T=T,
        sweeps=2000,
        burn_in=500,
        chains=8,
        init="ones",
        schedule="checkerboard",
        backend="torch",
        device="cuda",
        record_every=10,
        seed=0,
    )
    e = run.energy.mean(axis=2)  # (n_T, chains)
    m = np.abs(run.magnetization).mean(axis=2)
    for t, temp in enumerate(T):
        se = e[t].std(ddof=1) / np.sqrt(e.shape[1])
        assert abs(e[t].mean() - onsager_energy(temp)) < 4 * se + 2e-3, temp
        if temp < 2.2:
            se = m[t].std(ddof=1) / np.sqrt(m.shape[1])
            assert abs(m[t].mean() - onsager_magnetization(temp)) < 4 * se + 5e-3, temp
