"""The per-temperature :class:`Summary` of a Monte Carlo run (:func:`summarize`)."""

from __future__ import annotations

import math
import textwrap
from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np

from statnn._validation import check_int, param_error
from statnn.stats._inputs import _as_float_array, _beta, _check_c, _check_n_blocks
from statnn.stats.autocorr import _mean_error_tau
from statnn.stats.diagnostics import (
    ESS_MIN,
    RHAT_MAX,
    check_thresholds,
    ess,
    mcse,
    rhat_and_bulk_ess,
    unconverged,
)
from statnn.stats.thermodynamics import _variance_observable, binder_cumulant

__all__ = ["Summary", "summarize"]


# ---------------------------------------------------------------------------------------
# Summary


#: Marks a finite mean printed without an error bar; the footnote says why.
_NO_ERROR = "*"


def _format_pm(value: float, err: float) -> tuple[str, str]:
    """Value and error as strings, the value rounded to the error's 2 significant digits."""
    if not np.isfinite(value):
        return f"{value}", "nan" if np.isnan(err) else f"{err:.2g}"
    if np.isnan(err):
        return f"{value:.3g}", "nan" + _NO_ERROR
    if err == 0:
        return f"{value:.6g}", "0"
    err_exp = math.floor(math.log10(err))
    if err <= 1e-8 * abs(value):  # negligible error (e.g. round-off)
        return f"{value:.6g}", f"{err:.1e}"
    if not -7 <= err_exp < 3 or abs(value) >= 1e7:  # scientific notation
        digits = math.floor(math.log10(abs(value))) - err_exp + 1 if value else 1
        return f"{value:.{min(max(digits, 0), 6)}e}", f"{err:.1e}"
    decimals = max(1 - err_exp, 0)
    return f"{value:.{decimals}f}", f"{err:.{decimals}f}"


def _format_plain(value: float) -> str:
    return "nan" + _NO_ERROR if np.isnan(value) else f"{value:.3g}"


def _format_column(key: str, value: float) -> str:
    """A plain (error-less) cell: T as given, R-hat to 3 decimals, ESS as a whole number."""
    if key == "T":
        return f"{value:g}"
    if not key.startswith(("rhat_", "ess_")):
        return _format_plain(value)
    if np.isnan(value):  # too few draws: the row is marked not converged
        return "nan"
    return f"{value:.3f}" if key.startswith("rhat_") else f"{value:.0f}"


_COLUMNS = (
    # header, value key, error key (None: plain number)
    ("T", "T", None),
    ("energy", "energy", "energy_err"),
    ("m", "magnetization", "magnetization_err"),
    ("|m|", "abs_magnetization", "abs_magnetization_err"),
    ("C", "specific_heat", "specific_heat_err"),
    ("chi", "susceptibility", "susceptibility_err"),
    ("Binder U", "binder", "binder_err"),
    ("tau_e", "tau_energy", None),
    ("tau_|m|", "tau_abs_magnetization", None),
    ("overlap", "overlap", "overlap_err"),
    ("|q|", "q_abs", "q_abs_err"),
    ("q^2", "q2", "q2_err"),
    ("Rhat_e", "rhat_energy", None),
    ("Rhat_|m|", "rhat_abs_magnetization", None),
    ("ESS_e", "ess_bulk_energy", None),
    ("ESS_|m|", "ess_bulk_abs_magnetization", None),
)

#: Observables whose diagnostics decide ``converged`` (and simulate's warning).
CHECKED = ("energy", "abs_magnetization")
#: Diagnostics per observable, as column prefixes (τ_int keeps its ``tau_`` column).
DIAGNOSTICS = ("rhat", "ess_bulk", "ess_tail", "mcse")
_MARK = "!"


class Summary(Mapping):
    """Per-temperature Monte Carlo statistics: a read-only mapping of (n_T,) arrays.

    Access columns as ``s["energy"]``, ``s["energy_err"]`` or ``s.energy``, ``s.T``;
    :meth:`to_dict` gives a plain dict of copies; ``str(s)`` an aligned table with one
    row per temperature and "value ± err" cells.

    Keys: ``T``; ``energy``, ``magnetization``, ``abs_magnetization`` (means per
    neuron) and ``specific_heat``, ``susceptibility``, ``binder``, each with an ``_err``
    twin; ``tau_energy``, ``tau_abs_magnetization`` (τ_int in records); with overlaps,
    ``overlap`` and ``overlap_err`` (⟨max_μ |m_μ|⟩); with replica pairs, ``q_abs``,
    ``q2`` and their ``_err`` twins (⟨|q|⟩ and ⟨q²⟩ of the replica overlap). Every key
    with a value and an error is a column of the printed table.

    Convergence diagnostics (:mod:`statnn.stats.diagnostics`) of the energy and |m|
    (and of the overlap, with patterns): ``rhat_<obs>`` (rank-normalised split-R̂ across
    chains), ``ess_bulk_<obs>``, ``ess_tail_<obs>`` (effective sample sizes, summed over
    chains), ``mcse_<obs>`` (ArviZ's Monte Carlo standard error of the mean), and
    ``converged``: False where R̂ > ``rhat_max`` or bulk ESS < ``ess_min`` for the
    energy or |m|. The table marks those rows with ``!``.

    Attributes
    ----------
    n, chains, records : int
        Number of neurons, chains per temperature and records per chain.
    rhat_max, ess_min : float
        The thresholds behind ``converged``.
    """

    def __init__(
        self,
        columns: Mapping[str, Any],
        *,
        n: int,
        chains: int,
        records: int,
        rhat_max: float = RHAT_MAX,
        ess_min: float = ESS_MIN,
    ):
        self._columns = {k: np.asarray(v) for k, v in columns.items()}
        self.n = n
        self.chains = chains
        self.records = records
        self.rhat_max = rhat_max
        self.ess_min = ess_min

    def __getitem__(self, key: str) -> np.ndarray:
        return self._columns[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._columns)

    def __len__(self) -> int:
        return len(self._columns)

    def __getattr__(self, name: str) -> np.ndarray:
        if name.startswith("_"):
            raise AttributeError(name)
        try:
            return self._columns[name]
        except KeyError:
            raise AttributeError(f"'Summary' object has no attribute or key {name!r}") from None

    def __dir__(self) -> list[str]:
        return sorted(set(super().__dir__()) | set(self._columns))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Summary):
            return NotImplemented
        return self.keys() == other.keys() and all(
            np.array_equal(self[k], other[k], equal_nan=True) for k in self
        )

    __hash__ = None  # type: ignore[assignment]

    def to_dict(self) -> dict[str, np.ndarray]:
        """The columns as a plain dict of (n_T,) arrays (copies)."""
        return {k: v.copy() for k, v in self._columns.items()}

    def to_xarray(self):
        """The summary as an :class:`xarray.Dataset` on a ``T`` axis, with units.

        Returns
        -------
        xarray.Dataset
            One variable per column (``energy``, ``energy_err``, …), each with ``units``
            and ``long_name``; ``attrs`` hold ``n``, ``chains`` and ``records``.
        """
        from statnn.results import summary_dataset

        return summary_dataset(self)

    def _footnote(self) -> str:
        if self.chains * self.records < 2:
            why = "fewer than 2 records in all"
        else:
            why = (
                "the integrated autocorrelation time is undefined: the chains disagree "
                "and never decorrelate within the run (e.g. m in an ordered phase, chains "
                "frozen with opposite signs), so this mean is no equilibrium estimate; run "
                "longer or read |m|"
            )
        return f"{_NO_ERROR} nan: no error estimate (nor tau), {why}."

    def table(self, max_rows: int | None = None) -> str:
        """The aligned table returned by ``str()``: one row per temperature.

        A finite mean without an error estimate is printed "value ± nan*" with a footnote
        saying why. ``max_rows`` keeps the first and last rows only (used by ``repr``).
        """
        columns = [c for c in _COLUMNS if c[1] in self._columns]
        n_rows = len(self._columns["T"])
        rows_kept = list(range(n_rows))
        if max_rows is not None and n_rows > max_rows:
            half = max(max_rows // 2, 1)
            rows_kept = rows_kept[:half] + rows_kept[-half:]
        cells: list[list[str]] = []
        for header, key, err_key in columns:
            values = self._columns[key][rows_kept]
            if err_key is None:
                texts = [_format_column(key, v) for v in values]
                width = max(len(header), *(len(t) for t in texts))
                cells.append([header.rjust(width)] + [t.rjust(width) for t in texts])
                continue
            errors = self._columns[err_key][rows_kept]
            pairs = [_format_pm(v, e) for v, e in zip(values, errors, strict=True)]
            wv = max(len(p[0]) for p in pairs)
            we = max(len(p[1]) for p in pairs)
            texts = [f"{v.rjust(wv)} ± {e.ljust(we)}" for v, e in pairs]
            width = max(len(header), len(texts[0]))
            cells.append([header.center(width)] + [t.ljust(width) for t in texts])
        footer = []
        if "converged" in self._columns:
            bad = ~self._columns["converged"][rows_kept].astype(bool)
            cells.insert(0, [" "] + [_MARK if b else " " for b in bad])
            if bad.any():
                footer.append(
                    f"{_MARK} not converged: R-hat > {self.rhat_max:g} or bulk ESS < "
                    f"{self.ess_min:g} for the energy or |m| (longer burn-in, more sweeps, "
                    "tempering or an ordered start)"
                )
        rows = ["  ".join(col[i] for col in cells).rstrip() for i in range(len(cells[0]))]
        if len(rows_kept) < n_rows:
            half = len(rows_kept) // 2
            gap = f"... ({n_rows - len(rows_kept)} more temperatures)"
            rows = rows[: half + 1] + [gap] + rows[half + 1 :]
        title = (
            f"Summary: n={self.n}, {self.chains} chain(s) x {self.records} record(s) "
            "per temperature"
        )
        rule = "-" * max(len(r) for r in rows)
        lines = [title, rows[0], rule, *rows[1:]]
        if any(_NO_ERROR in r for r in rows[1:]):
            lines += textwrap.wrap(self._footnote(), width=max(len(rule), 60))
        lines += footer
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.table()

    def __repr__(self) -> str:
        return self.table(max_rows=10)

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:  # IPython
        p.text(self.table())


def summarize(
    energy: Any,
    magnetization: Any,
    T: Any,
    n: int,
    overlaps: Any = None,
    *,
    replica_overlap: Any = None,
    c: float = 5.0,
    n_blocks: int | None = None,
    rhat_max: float = RHAT_MAX,
    ess_min: float = ESS_MIN,
) -> Summary:
    r"""Per-temperature means, errors and derived quantities of a Monte Carlo run.

    For every temperature, with averages over chains and records:

    * ``energy``, ``magnetization``, ``abs_magnetization``: ⟨e⟩, ⟨m⟩, ⟨|m|⟩ with
      :func:`mean_error` errors (autocorrelation corrected);
    * ``specific_heat`` (:func:`specific_heat`), ``susceptibility``
      (:func:`susceptibility`, |m| convention), ``binder`` (:func:`binder_cumulant`) with
      block-jackknife errors;
    * ``tau_energy``, ``tau_abs_magnetization``: τ_int in units of records
      (:func:`integrated_autocorrelation_time`, chains pooled);
    * with ``overlaps``: ``overlap`` = ⟨max_μ |m_μ|⟩, the overlap with the best-matching
      pattern at each record, with :func:`mean_error` error;
    * with ``replica_overlap`` q_ab = (1/N) Σ_i S_i^a S_i^b of pairs of replicas:
      ``q_abs`` = ⟨|q|⟩ and ``q2`` = ⟨q²⟩ (N⟨q²⟩ is the spin-glass susceptibility),
      with :func:`mean_error` errors;
    * convergence diagnostics of the energy, |m| and the overlap (see :class:`Summary`):
      ``rhat_*``, ``ess_bulk_*``, ``ess_tail_*``, ``mcse_*`` and ``converged``.

    Parameters
    ----------
    energy, magnetization : array_like
        Energy and magnetization per neuron, shape (n_T, chains, records).
    T : float or array_like
        The n_T temperatures (≥ 0; T = 0 gives nan for C and χ).
    n : int
        Number of neurons.
    overlaps : array_like, optional
        Pattern overlaps, shape (n_T, chains, records, P).
    replica_overlap : array_like, optional
        Overlaps of replica pairs, shape (n_T, pairs, records).
    c : float, default 5.0
        Sokal's window factor.
    n_blocks : int, optional
        Jackknife blocks per chain.
    rhat_max, ess_min : float, default 1.01, 100
        A temperature is ``converged`` when R̂ ≤ ``rhat_max`` and bulk ESS ≥ ``ess_min``
        for both the energy and |m|.

    Returns
    -------
    Summary
        (n_T,) arrays; errors are nan where the data are too few to estimate them.
    """
    caller = "summarize"
    e = _as_float_array(energy, "energy", caller)
    if e.ndim != 3:
        raise param_error(
            "energy", caller, "an array of shape (n_T, chains, records)", f"<shape {e.shape}>"
        )
    m = _as_float_array(magnetization, "magnetization", caller)
    if m.shape != e.shape:
        raise param_error(
            "magnetization",
            caller,
            f"an array of the same shape as energy {e.shape}",
            f"<shape {m.shape}>",
        )
    n_t, chains, records = e.shape
    t = np.asarray(T, dtype=np.float64) if np.ndim(T) else np.full(n_t, float(T))
    if t.shape != (n_t,):
        raise param_error(
            "T",
            caller,
            f"a float or an array of {n_t} temperatures (one per row of energy)",
            f"<shape {t.shape}>",
        )
    beta = _beta(t, (n_t,), caller)
    n = check_int(n, "n", caller, minimum=1)
    c = _check_c(c, caller)
    n_blocks = _check_n_blocks(n_blocks, caller)
    rhat_max, ess_min = check_thresholds(rhat_max, ess_min, caller)

    out: dict[str, np.ndarray] = {"T": t.copy()}
    out["energy"], out["energy_err"], tau_e = _mean_error_tau(e, c)
    out["magnetization"], out["magnetization_err"], _ = _mean_error_tau(m, c)
    abs_m = np.abs(m)
    out["abs_magnetization"], out["abs_magnetization_err"], tau_m = _mean_error_tau(abs_m, c)
    out["specific_heat"], out["specific_heat_err"] = _variance_observable(e, beta**2 * n, n_blocks)
    out["susceptibility"], out["susceptibility_err"] = _variance_observable(
        abs_m, beta * n, n_blocks
    )
    out["binder"], out["binder_err"] = binder_cumulant(m, n_blocks=n_blocks)
    out["tau_energy"] = tau_e
    out["tau_abs_magnetization"] = tau_m
    _add_diagnostics(out, "energy", e)
    _add_diagnostics(out, "abs_magnetization", abs_m)
    out["converged"] = ~np.logical_or.reduce(
        [
            unconverged(out[f"rhat_{k}"], out[f"ess_bulk_{k}"], rhat_max=rhat_max, ess_min=ess_min)
            for k in CHECKED
        ]
    )
    if overlaps is not None:
        q = _as_float_array(overlaps, "overlaps", caller)
        if q.ndim != 4 or q.shape[:3] != e.shape or q.shape[3] == 0:
            raise param_error(
                "overlaps",
                caller,
                f"an array of shape (n_T, chains, records, P) = {e.shape + ('P',)}",
                f"<shape {q.shape}>",
            )
        best = np.abs(q).max(axis=-1)
        out["overlap"], out["overlap_err"], _ = _mean_error_tau(best, c)
        _add_diagnostics(out, "overlap", best)
    if replica_overlap is not None:
        qab = _as_float_array(replica_overlap, "replica_overlap", caller)
        if qab.ndim != 3 or qab.shape[0] != n_t or qab.shape[2] != records or qab.shape[1] == 0:
            raise param_error(
                "replica_overlap",
                caller,
                f"an array of shape (n_T, pairs, records) = ({n_t}, pairs, {records})",
                f"<shape {qab.shape}>",
            )
        out["q_abs"], out["q_abs_err"], _ = _mean_error_tau(np.abs(qab), c)
        out["q2"], out["q2_err"], _ = _mean_error_tau(qab**2, c)
    return Summary(out, n=n, chains=chains, records=records, rhat_max=rhat_max, ess_min=ess_min)


def _add_diagnostics(out: dict, key: str, y: np.ndarray) -> None:
    """``rhat_<key>``, ``ess_bulk_<key>``, ``ess_tail_<key>``, ``mcse_<key>`` of (n_T, chains, records)."""
    r, e = rhat_and_bulk_ess(y)
    out[f"rhat_{key}"] = np.asarray(r, dtype=np.float64)
    out[f"ess_bulk_{key}"] = np.asarray(e, dtype=np.float64)
    out[f"ess_tail_{key}"] = np.asarray(ess(y, "tail"), dtype=np.float64)
    out[f"mcse_{key}"] = np.asarray(mcse(y), dtype=np.float64)
