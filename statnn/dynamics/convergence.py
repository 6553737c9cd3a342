"""What :func:`statnn.simulate` does about convergence: adaptive burn-in and the warning.

Adaptive burn-in (``burn_in="auto"``): the chains run in blocks of
``BLOCK_RECORDS × record_every`` sweeps, the energy per neuron and |m| being measured
every ``record_every`` sweeps (with tempering, an exchange round follows every
measurement, as during recording). After each block, the rank-normalised split-R̂
(:func:`statnn.stats.diagnostics.rhat`) of both series across chains is computed on the
**latest half** of the burn-in so far (at least one block): the first half is taken as
still relaxing, as in Gelman & Rubin (1992). Burn-in stops at the first block after
which R̂ ≤ ``rhat_max`` at every temperature for both observables, or when it reaches
``burn_in_max`` sweeps (then the run is recorded anyway and the warning below tells).

Warning: after recording, :func:`warn_unconverged` issues one
:class:`~statnn.stats.diagnostics.ConvergenceWarning` naming every temperature where R̂ >
``rhat_max`` or bulk ESS < ``ess_min`` for the energy or |m|.
"""

from __future__ import annotations

import warnings

import numpy as np

from statnn.stats.diagnostics import ConvergenceWarning, ess, rhat, unconverged

#: Measurements per chain in one block of adaptive burn-in.
BLOCK_RECORDS = 100


def _measure(net, spins: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    e = net.energy(spins, allow_asymmetric=True) / net.n
    return e, np.abs(spins.mean(axis=-1, dtype=np.float64))


def auto_burn_in(s, state, net, *, record_every: int, rhat_max: float, cap: int, exchange=None):
    """Burn in until split-R̂ of energy and |m| ≤ ``rhat_max`` (see the module docstring).

    Returns
    -------
    state, sweeps, converged
        The state after burn-in, the burn-in sweeps run, and whether R̂ met the threshold.
    """
    block = BLOCK_RECORDS * record_every
    e_hist: list[np.ndarray] = []
    m_hist: list[np.ndarray] = []
    done = 0
    while done < cap:
        n_block = min(block, cap - done)
        for k in range(0, n_block, record_every):
            state, _ = s.step(state, min(record_every, n_block - k))
            spins = s.spins(state)
            if exchange is not None:
                energies = net.energy(spins, allow_asymmetric=True)
                state, spins, _ = exchange(s, state, spins, energies)
            e, m = _measure(net, spins)
            e_hist.append(e)
            m_hist.append(m)
        done += n_block
        half = max(len(e_hist) // 2, min(BLOCK_RECORDS, len(e_hist)))
        window = slice(len(e_hist) - half, None)
        e_win = np.stack(e_hist[window], axis=-1)
        m_win = np.stack(m_hist[window], axis=-1)
        if np.all(rhat(e_win) <= rhat_max) and np.all(rhat(m_win) <= rhat_max):
            return state, done, True
    return state, done, False


def warn_unconverged(run, rhat_max: float, ess_min: float, stacklevel: int = 3) -> np.ndarray:
    """One ConvergenceWarning for the temperatures of ``run`` that fail the thresholds.

    Returns the (n_T,) boolean mask of failing temperatures.
    """
    abs_m = np.abs(run.magnetization)
    stats = {
        "e": (rhat(run.energy), ess(run.energy, "bulk")),
        "|m|": (rhat(abs_m), ess(abs_m, "bulk")),
    }
    bad = np.zeros(len(run.T), dtype=bool)
    for r, b in stats.values():
        bad |= unconverged(r, b, rhat_max=rhat_max, ess_min=ess_min)
    if not bad.any():
        return bad
    details = []
    for t in np.flatnonzero(bad):
        worst = []
        for name, (r, b) in stats.items():
            if not r[t] <= rhat_max:
                worst.append(f"R-hat({name}) = {r[t]:.4f}")
            if not b[t] >= ess_min:
                worst.append(f"ESS({name}) = {b[t]:.0f}")
        details.append(f"T = {run.T[t]:g} ({', '.join(worst)})")
    warnings.warn(
        f"Not converged at {len(details)} of {len(run.T)} temperature(s): "
        f"{'; '.join(details)}. R-hat > {rhat_max:g} means the chains disagree (some are "
        f"stuck in different states); bulk ESS < {ess_min:g} means too few independent "
        "samples. Use a longer burn_in (or burn_in='auto'), more sweeps, tempering=True, or "
        "an ordered start (init='ones'); run.summary() marks these rows with '!'.",
        ConvergenceWarning,
        stacklevel=stacklevel,
    )
    return bad
