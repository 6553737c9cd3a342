"""The torch.compile'd paths (the CUDA default) checked on the CPU against numpy_ref.

Compiling takes ~10 s here; on CUDA the same code
paths are exercised by ``test_torch_gpu.py``.
"""

from __future__ import annotations

import numpy as np
import pytest

import statnn as sn
import statnn.dynamics.reference as numpy_ref

torch = pytest.importorskip("torch")
import statnn.dynamics.torch.kernels as torch_kernels  # noqa: E402


@pytest.mark.parametrize(
    "net,schedule",
    [(sn.ising((6, 8), field=0.2), "checkerboard"), (sn.curie_weiss(12, field=0.1), "sequential")],
    ids=["lattice-checkerboard", "patterns-block"],
)
def test_compiled_kernels_equal_numpy_at_T0(net, schedule):
    a = numpy_ref.make_kernel(net, rule="glauber", schedule=schedule, n_temps=1, chains=2)
    b = torch_kernels.make_kernel(
        net, rule="glauber", schedule=schedule, n_temps=1, chains=2, compile=True, block_size=4
    )
    S0 = (2 * np.random.default_rng(0).integers(0, 2, (1, 2, net.n)) - 1).astype(np.int8)
    sa, sb = a.init(S0, np.random.SeedSequence(0)), b.init(S0, np.random.SeedSequence(0))
    for _ in range(2):
        sa, fa = a.step(sa, np.array([np.inf]), 1)
        sb, fb = b.step(sb, np.array([np.inf]), 1)
        np.testing.assert_array_equal(b.spins(sb), a.spins(sa))
        np.testing.assert_array_equal(fb, fa)
