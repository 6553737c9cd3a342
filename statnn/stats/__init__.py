"""Monte Carlo statistics on (…, chains, records) series: autocorrelation times, error
bars (τ-corrected, blocking, jackknife), specific heat, susceptibility, Binder cumulant
and the per-temperature :class:`Summary`. Imports nothing from the dynamics."""

from statnn.stats.observables import (
    Summary,
    autocorrelation,
    binder_cumulant,
    blocking_error,
    integrated_autocorrelation_time,
    jackknife,
    mean_error,
    specific_heat,
    summarize,
    susceptibility,
)

__all__ = [
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
