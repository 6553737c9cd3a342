"""Monte Carlo statistics: autocorrelation times, error bars and derived observables.

The simulation records, per temperature and chain, time series every ``record_every``
sweeps after burn-in. Every function here takes such series with the layout used across
statnn, **(..., chains, records)**: any leading axes (usually the temperature), then the
independent chains, then the records in time order. A 1-D array is one chain. Results
have the leading shape ``(...)``.

Three kinds of error bar are provided:

* :func:`mean_error` -- the standard error of a mean corrected by the integrated
  autocorrelation time (:func:`integrated_autocorrelation_time`, Sokal's automatic
  windowing);
* :func:`blocking_error` -- the binning analysis of Flyvbjerg & Petersen, as an
  independent check of the first;
* :func:`jackknife` -- block jackknife for non-linear functions of means, used by
  :func:`specific_heat`, :func:`susceptibility` and :func:`binder_cumulant`.

:func:`summarize` applies them all per temperature and returns a :class:`Summary`.

Nothing here warns: too little data gives ``nan`` error bars, not numpy warnings.

Modules: :mod:`statnn.stats.autocorr` (ρ(t), τ_int, :func:`mean_error`,
:func:`blocking_error`), :mod:`statnn.stats.resampling` (:func:`jackknife`),
:mod:`statnn.stats.thermodynamics` (C, χ, Binder U) and :mod:`statnn.stats.summary`
(:class:`Summary`, :func:`summarize`) and :mod:`statnn.stats.diagnostics` (R̂, ESS,
MCSE as ArviZ defines them, compiled with numba loaded at first use). Imports nothing
from the dynamics.
"""

from statnn.stats.autocorr import (
    autocorrelation,
    blocking_error,
    integrated_autocorrelation_time,
    mean_error,
)
from statnn.stats.diagnostics import ConvergenceWarning
from statnn.stats.resampling import jackknife
from statnn.stats.summary import Summary, summarize
from statnn.stats.thermodynamics import binder_cumulant, specific_heat, susceptibility

__all__ = [
    "ConvergenceWarning",
    "Summary",
    "autocorrelation",
    "binder_cumulant",
    "blocking_error",
    "integrated_autocorrelation_time",
    "jackknife",
    "mean_error",
    "specific_heat",
    "summarize",
    "susceptibility",
]
