"""recall / relax on the device (TorchKernel.relax) with the Triton kernels, run by Triton's
CPU interpreter on small systems.

Independent truths: the same Triton kernel stepped one sweep at a time from Python (the
loop of ``Sampler.step``, ``TorchKernel.relaxes`` switched off): same states, sweep counts
and convergence flags bit for bit, overlaps to 1e-12; the numba backend's compiled relax at
T = 0 under checkerboard sweeps (deterministic, exact fields).
"""

from __future__ import annotations

import importlib
import os
import sys

import numpy as np
import pytest

_INTERPRETING = os.environ.get("TRITON_INTERPRET") == "1"
os.environ["TRITON_INTERPRET"] = "1"  # read when Triton and the kernels are imported
pytest.importorskip("triton")
torch = pytest.importorskip("torch")
if not _INTERPRETING:  # kernels decorated before, for a GPU: again (else they are right)
    for _name in ("triton_common", "triton_lattice", "triton_blocks", "triton_sync",
                  "triton_multispin"):  # fmt: skip
        _mod = sys.modules.get(f"statnn.dynamics.torch.{_name}")
        if _mod is not None:
            importlib.reload(_mod)

import statnn as sn  # noqa: E402
from statnn.dynamics.torch.base import TorchKernel  # noqa: E402
from statnn.dynamics.torch.triton_blocks import TritonBlockKernel  # noqa: E402
from statnn.dynamics.torch.triton_lattice import TritonCheckerboardKernel  # noqa: E402
from statnn.dynamics.torch.triton_multispin import TritonMultispinKernel  # noqa: E402
from statnn.dynamics.torch.triton_sync import TritonSynchronousKernel  # noqa: E402
from statnn.memory import hopfield, random_patterns, relax  # noqa: E402


def _xi():
    return random_patterns(3, 24, seed=1)


#: name: (network, patterns, schedule, rule, backend options, Triton kernel class)
CASES = {
    "patterns-random": (lambda: hopfield(_xi()), _xi(), "random", "glauber",
                        {"block_size": 8}, TritonBlockKernel),
    "patterns-sequential": (lambda: hopfield(_xi()), _xi(), "sequential", "glauber",
                            {"block_size": 8}, TritonBlockKernel),
    "dense-permuted": (lambda: sn.sk(20, seed=2), None, "permuted", "glauber",
                       {"block_size": 8}, TritonBlockKernel),
    "patterns-synchronous": (lambda: hopfield(_xi()), _xi(), "synchronous", "glauber", {},
                             TritonSynchronousKernel),
    "checkerboard": (lambda: sn.ising((4, 6), field=0.2, periodic=False), None, "checkerboard",
                     "metropolis", {"multispin": False}, TritonCheckerboardKernel),
    "multispin": (lambda: sn.ising((4, 4)), None, "checkerboard", "metropolis", {},
                  TritonMultispinKernel),
}  # fmt: skip


@pytest.mark.parametrize("name", list(CASES))
def test_triton_relax_on_the_device_equals_step_loop(name):
    make, xi, schedule, rule, options, cls = CASES[name]
    net = make()
    options = dict(options, kernel="triton")
    starts = np.random.default_rng(3).choice(np.array([-1, 1], dtype=np.int8), (2, net.n))
    s = sn.sampler(net, 0.0, chains=2, schedule=schedule, dynamics=rule, backend="torch",
                   backend_options=options)  # fmt: skip
    assert isinstance(s.kernel, cls) and s.kernel.relaxes
    for T, sweeps, average in ((0.0, 12, 0), ([0.0, 1.0], 5, 3)):
        kw = dict(T=T, sweeps=sweeps, average=average, seed=4, schedule=schedule, dynamics=rule,
                  backend="torch", backend_options=options)  # fmt: skip
        a = relax(net, starts, xi, **kw)
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(TorchKernel, "relaxes", property(lambda self: False))
            b = relax(net, starts, xi, **kw)
        for key in ("states", "sweeps", "converged"):
            np.testing.assert_array_equal(a[key], b[key], err_msg=key)
        if xi is not None:
            np.testing.assert_allclose(a.overlaps, b.overlaps, rtol=0, atol=1e-12)


@pytest.mark.parametrize("options", [{"multispin": False}, {}])
def test_triton_checkerboard_relax_equals_numba_at_T0(options):
    net = sn.ising((4, 4))
    starts = np.random.default_rng(5).choice(np.array([-1, 1], dtype=np.int8), (3, net.n))
    kw = dict(T=0.0, sweeps=10, seed=0, schedule="checkerboard", dynamics="metropolis")
    a = relax(net, starts, backend="torch", backend_options=dict(options, kernel="triton"), **kw)
    b = relax(net, starts, backend="numba", backend_options={"multispin": False}, **kw)
    for key in ("states", "sweeps", "converged"):
        np.testing.assert_array_equal(a[key], b[key], err_msg=key)
