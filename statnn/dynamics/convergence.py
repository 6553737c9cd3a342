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

from statnn.stats.diagnostics import ConvergenceWarning, rhat, rhat_and_bulk_ess, unconverged

#: Measurements per chain in one block of adaptive burn-in.
BLOCK_RECORDS = 100


def _measure(net, spins: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    e = net.energy(spins, allow_asymmetric=True) / net.n
    return e, np.abs(spins.mean(axis=-1, dtype=np.float64))


def auto_burn_in(s, state, net, *, record_every: int, rhat_max: float, cap: int, exchange=None):
    """Burn in until split-R̂ of energy and |m| ≤ ``rhat_max`` (see the module docstring).

    A backend with a compiled record loop runs each block there (measurements and
    exchanges included); others step and measure from Python. Both measure the same
    quantities at the same sweeps.

    Returns
    -------
    state, sweeps, converged
        The state after burn-in, the burn-in sweeps run, and whether R̂ met the threshold.
    """
    block = BLOCK_RECORDS * record_every
    e_hist: list[np.ndarray] = []  # (n_T, chains, records) per block
    m_hist: list[np.ndarray] = []
    records = 0
    done = 0
    while done < cap:
        n_block = min(block, cap - done)
        state, e, m = _burn_block(s, state, net, n_block, record_every, exchange)
        e_hist.append(e)
        m_hist.append(m)
        records += e.shape[-1]
        done += n_block
        half = max(records // 2, min(BLOCK_RECORDS, records))
        e_win = np.concatenate(e_hist, axis=-1)[..., records - half :]
        m_win = np.concatenate(m_hist, axis=-1)[..., records - half :]
        if np.all(rhat(e_win) <= rhat_max) and np.all(rhat(m_win) <= rhat_max):
            return state, done, True
    return state, done, False


def _burn_block(s, state, net, n_block, every, exchange):
    """``n_block`` sweeps measured (E/N, |m|) every ``every`` sweeps and after the last."""
    from statnn.dynamics.sampling import compiled_record, has_record_loop

    if has_record_loop(s, exchange):

        full, rest = divmod(n_block, every)
        parts = []
        if full:
            state, rec = compiled_record(s, state, exchange, n_records=full, every=every)
            parts.append(rec)
        if rest:
            state, rec = compiled_record(s, state, exchange, n_records=1, every=rest)
            parts.append(rec)
        e = np.concatenate([p.energy for p in parts], axis=-1)
        m = np.abs(np.concatenate([p.magnetization for p in parts], axis=-1))
        return state, e, m
    e_out, m_out = [], []
    for k in range(0, n_block, every):
        state, _ = s.step(state, min(every, n_block - k))
        spins = s.spins(state)
        if exchange is not None:
            energies = net.energy(spins, allow_asymmetric=True)
            state, spins, _ = exchange(s, state, spins, energies)
        e, m = _measure(net, spins)
        e_out.append(e)
        m_out.append(m)
    return state, np.stack(e_out, axis=-1), np.stack(m_out, axis=-1)


def warn_unconverged(run, rhat_max: float, ess_min: float, stacklevel: int = 3) -> np.ndarray:
    """One ConvergenceWarning for the temperatures of ``run`` that fail the thresholds.

    Returns the (n_T,) boolean mask of failing temperatures.
    """
    r, b = rhat_and_bulk_ess(np.stack([run.energy, np.abs(run.magnetization)]))  # one pass
    stats = {"e": (r[0], b[0]), "|m|": (r[1], b[1])}
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
