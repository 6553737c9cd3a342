"""Lattice models are a stencil: no neighbour table until a kernel needs one, and then
only after checking the memory it takes."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

import statnn as sn
import statnn._memory as memory_module
from statnn.errors import InsufficientMemoryError


def test_big_lattice_allocates_no_table():
    L = 16384
    tracemalloc.start()
    try:
        net = sn.ising((L, L), field=0.1)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    table = L * L * 4 * 8  # what an int64 neighbour table of this lattice takes
    assert peak < table / 1000, peak
    assert net.n == L * L and net.uniform_bias == 0.1
    assert net.couplings._neighbours is None


@pytest.mark.parametrize("shape", [(5,), (4, 3), (2, 3, 4), (2, 2)])
@pytest.mark.parametrize("periodic", [True, False])
def test_neighbours_by_arithmetic_match_the_table(shape, periodic):
    c = sn.LatticeCouplings(shape, periodic=periodic)
    sites = np.arange(c.n)
    assert np.array_equal(c.neighbours_of(sites), c.neighbours)
    # independent truth: the dense matrix built from coordinates
    coords = np.array(np.unravel_index(sites, shape)).T
    J = np.zeros((c.n, c.n))
    for i in range(c.n):
        for j in range(c.n):
            d = coords[i] - coords[j]
            if periodic:
                d = np.minimum(np.abs(d) % np.array(shape), -np.abs(d) % np.array(shape))
                # a side of 2 reaches the same neighbour across both faces: two bonds
                hits = sum(
                    (2 if s == 2 else 1)
                    for a, s in enumerate(shape)
                    if abs(d[a]) == 1 and np.all(np.delete(d, a) == 0)
                )
            else:
                hits = int(np.sum(np.abs(d)) == 1)
            J[i, j] = hits
    assert np.array_equal(c.to_dense(), J)


def test_colors_are_the_coordinate_parity():
    c = sn.LatticeCouplings((3, 4, 5))
    coords = np.indices(c.shape).reshape(3, -1)
    assert np.array_equal(c.colors(), coords.sum(axis=0) % 2)


def test_table_refused_when_memory_is_short(monkeypatch):
    monkeypatch.setattr(memory_module, "available_bytes", lambda: 1000)
    monkeypatch.setattr(memory_module, "CHECK_ABOVE", 0)  # check even small allocations
    net = sn.ising((64, 64))
    need = memory_module.format_bytes(net.couplings.table_bytes())
    with pytest.raises(InsufficientMemoryError, match=f"needs about {need} for the neighbour"):
        net.couplings.neighbours  # noqa: B018
    with pytest.raises(InsufficientMemoryError, match="dense 4096 x 4096 matrix"):
        net.couplings.to_dense()
    with pytest.raises(InsufficientMemoryError, match="neighbour table of a 64x64 lattice"):
        sn.sampler(net, T=2.0, schedule="random", backend="numba")
    # the checkerboard kernels need no table: still fine
    run = sn.simulate(net, T=2.0, sweeps=2, burn_in=0, schedule="checkerboard", seed=0)
    assert run.energy.shape == (1, 1, 2)


def test_uniform_bias_is_one_number():
    net = sn.ising((8, 8), field=0.25)
    assert net.bias.strides == (0,) and not net.bias.flags.writeable
    assert np.all(net.bias == 0.25) and net.uniform_bias == 0.25
    varied = sn.Network(np.array([[0.0, 1.0], [1.0, 0.0]]), bias=[0.5, 0.0])
    assert varied.uniform_bias is None
