"""Figures of the experiments, each with its theory curve overlaid.

One function per figure, each taking the :class:`xarray.Dataset` an experiment returned
(or :func:`statnn.results.load_results` read back) and returning a
:class:`matplotlib.figure.Figure`. Every function accepts ``ax=``: an Axes, or an array
or list of Axes (as many as the figure has panels, listed in each docstring), to draw
into; the returned Figure is then the one those axes belong to, and no title is added.
Without ``ax`` a new Figure is built on matplotlib's object API with the Agg canvas: no
pyplot, no GUI, nothing changed in the user's matplotlib state, and a title line gives
the run's metadata. Saving is a separate step, :func:`save_figure`, in any format
matplotlib writes. :func:`plot_result` picks the function from the dataset's
``experiment`` attribute (what ``statnn plot`` does).

Examples
--------
>>> import matplotlib.pyplot as plt                                  # doctest: +SKIP
>>> from statnn.plotting import plot_curie_weiss, plot_result, save_figure
>>> fig = plot_result("results/curie-weiss.nc")                      # doctest: +SKIP
>>> save_figure(fig, "cw.pdf")                                       # doctest: +SKIP
>>> fig, axes = plt.subplots(1, 2)                                   # doctest: +SKIP
>>> plot_curie_weiss(ds, ax=axes)                                    # doctest: +SKIP

Only :mod:`statnn.cli` and :mod:`statnn.experiments` import this module.
"""

from __future__ import annotations

import io
import os
import warnings
from pathlib import Path

import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from statnn._validation import param_error
from statnn.errors import ValidationError
from statnn.results import atomic_write_bytes

THEORY = dict(color="black", lw=1.2, ls="--")
DPI = 100


def _axes(ax, n: int, rows: int, cols: int, width: float, height: float, caller: str, **kw):
    """(figure, list of n axes, created): new axes in a rows × cols grid, or the user's."""
    if ax is None:
        fig = Figure(figsize=(width, height), layout="constrained")
        FigureCanvasAgg(fig)
        axes = fig.subplots(rows, cols, squeeze=False, **kw)
        return fig, list(axes.flat), True
    flat = list(np.asarray(ax, dtype=object).ravel())
    what = "an Axes" if n == 1 else f"an array or list of {n} Axes"
    if len(flat) != n or not all(isinstance(a, Axes) for a in flat):
        got = f"<{len(flat)} object(s): {', '.join(sorted({type(a).__name__ for a in flat}))}>"
        raise param_error("ax", caller, f"{what} (one per panel) or None", got)
    figs = {id(a.figure) for a in flat}
    if len(figs) != 1:
        raise param_error("ax", caller, f"{what} of one figure", "<axes of several figures>")
    return flat[0].figure, flat, False


def _title(fig, ds, created) -> None:
    if not created:
        return
    a = ds.attrs
    fig.suptitle(
        f"{a.get('title', '')}\n[{a.get('size', '?')} size, seed {a.get('seed', '?')}, "
        f"{a.get('backend', '?')}, statnn {a.get('statnn_version', '?')}]",
        fontsize=9,
    )


def supported_formats() -> list[str]:
    """The file formats matplotlib writes here (png, pdf, svg, eps, ps, jpg, tif, …).

    Returns
    -------
    list of str
        Format names (file suffixes without the dot), sorted.
    """
    return sorted(FigureCanvasAgg(Figure()).get_supported_filetypes())


def _figure_format(path: Path, format, caller: str) -> str:
    supported = supported_formats()
    fmt = format if format is not None else path.suffix.lstrip(".").lower()
    if fmt not in supported:
        raise param_error(
            "path" if format is None else "format",
            caller,
            "a file name ending in a format matplotlib writes ("
            + ", ".join("." + f for f in supported)
            + ")",
            str(path) if format is None else fmt,
        )
    return fmt


def save_figure(fig, path, *, format=None, dpi=DPI, **kwargs) -> Path:
    """Write ``fig`` to ``path`` atomically, in any format matplotlib supports.

    The figure is drawn in memory, then written with
    :func:`statnn.results.atomic_write_bytes`: free space checked first, a temporary file
    in the same folder renamed over ``path`` (a crash never leaves a half-written figure),
    created with the permissions the user's umask gives, like any file the user creates.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The figure, e.g. from a ``plot_*`` function.
    path : str or path-like
        Target file; its suffix picks the format (``.png``, ``.pdf``, ``.svg``, ``.eps``,
        ``.jpg``, …) unless ``format`` is given. Missing parent folders are created.
    format : str, optional
        File format, overriding the suffix.
    dpi : float, default=100
        Resolution of raster formats.
    **kwargs
        Passed to :meth:`matplotlib.figure.Figure.savefig` (e.g. ``bbox_inches``).

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    path = Path(path)
    fmt = _figure_format(path, format, "save_figure")
    if not isinstance(fig, Figure):
        raise param_error("fig", "save_figure", "a matplotlib Figure", fig)
    if path.is_dir():
        raise param_error("path", "save_figure", "a file path, not a folder", str(path))
    if fig.canvas is None:
        FigureCanvasAgg(fig)
    buffer = io.BytesIO()
    fig.savefig(buffer, format=fmt, dpi=dpi, **kwargs)
    path.parent.mkdir(parents=True, exist_ok=True)
    return atomic_write_bytes(path, buffer.getvalue())


def _done(fig, path, name):
    if path is not None:
        warnings.warn(
            f"{name}(ds, path) no longer saves the figure; it returns it. Use "
            "statnn.plotting.save_figure(fig, path); the path argument will be removed in "
            "statnn 0.2.",
            FutureWarning,
            stacklevel=3,
        )
        save_figure(fig, path)
    return fig


def _errorbar(ax, x, y, err, **kwargs):
    err = np.where(np.isfinite(err), err, 0.0)
    return ax.errorbar(x, y, yerr=err, marker="o", ms=3.5, capsize=2, lw=1, **kwargs)


def _errorbars_per_size(ax, ds, dim: str, key: str) -> None:
    """``key`` (with its ``*_err``) vs T, one series per value of ``dim`` (``L`` or ``N``)."""
    for k, size in enumerate(ds[dim].values):
        sel = ds.sel({dim: size})
        _errorbar(ax, ds["T"], sel[key], sel[key + "_err"], color=f"C{k}", label=f"{dim} = {size}")
    _hollow_unconverged(ax, ds, dim, key)


UNCONVERGED_LABEL = "hollow: not converged (R-hat > 1.01 or ESS < 100)"


def _hollow_unconverged(ax, ds, dim: str, key: str) -> None:
    """Redraw the points whose ``converged`` flag is 0 as hollow markers; say so in the legend."""
    if "converged" not in ds:
        return
    any_bad = False
    for k, size in enumerate(ds[dim].values):
        sel = ds.sel({dim: size})
        bad = sel["converged"].values == 0
        if bad.any():
            any_bad = True
            ax.plot(
                ds["T"].values[bad],
                sel[key].values[bad],
                ls="none",
                marker="o",
                ms=5,
                mfc="white",
                mec=f"C{k}",
                zorder=3,
            )
    if any_bad:
        ax.plot(
            [], [], ls="none", marker="o", ms=5, mfc="white", mec="gray", label=UNCONVERGED_LABEL
        )


def _final_overlap_legend(ax, *, fontsize: int, loc: str) -> None:
    """Label a Hopfield panel's final-overlap axis; a legend that keys the AGS curves."""
    ax.set_ylabel("final overlap m")
    ax.plot([], [], **THEORY, label="AGS m(α, T)")
    ax.legend(fontsize=fontsize, loc=loc)


def plot_hopfield_recall(ds, path=None, *, ax=None) -> Figure:
    """Final overlap vs α at each T, one panel per rule, AGS m(α, T) dashed.

    Parameters
    ----------
    ds : xarray.Dataset
        The result of the ``hopfield-recall`` experiment (``run_experiment("hopfield-recall", …).dataset``
        or the saved file read back with :func:`statnn.results.load_results`).
    path : path-like, optional
        Deprecated: save with :func:`save_figure` instead.
    ax : matplotlib Axes or array of Axes, optional
        Where to draw: one Axes per learning rule in ``ds.rule`` (in that order). Default: a new figure.

    Returns
    -------
    matplotlib.figure.Figure
        The new figure, or the figure of ``ax``.
    """
    rules = [str(r) for r in ds.rule.values]
    fig, axes, created = _axes(
        ax, len(rules), 1, len(rules), 4.0 * len(rules), 3.6, "plot_hopfield_recall", sharey=True
    )
    colors = [f"C{k}" for k in range(len(ds["T"]))]
    for ax, rule in zip(axes, rules, strict=True):
        for k, T in enumerate(ds["T"].values):
            sel = ds.sel(rule=rule, T=T)
            _errorbar(ax, ds.alpha, sel.m_mean, sel.m_err, color=colors[k], label=f"T = {T:g}")
            faint = 1.0 if rule == "hebbian" else 0.35  # AGS holds for the Hebbian rule
            ax.plot(
                ds.alpha_theory, ds.ags_m.sel(T=T), color=colors[k], lw=1.2, ls="--", alpha=faint
            )
        ax.axvline(0.138, color="gray", lw=0.8, ls=":")
        ax.set_title(f"{rule} rule" + ("" if rule == "hebbian" else " (faint: Hebbian AGS)"))
        ax.set_xlabel("load α = P/N")
        ax.set_ylim(-0.02, 1.05)
    _final_overlap_legend(axes[0], fontsize=8, loc="lower left")
    _title(fig, ds, created)
    return _done(fig, path, "plot_hopfield_recall")


def plot_dense_capacity(ds, path=None, *, ax=None) -> Figure:
    """Per interaction F: retrieval rate (per T) and fixed-point fraction vs P/P_max, theory dashed.

    Parameters
    ----------
    ds : xarray.Dataset
        The result of the ``dense-capacity`` experiment (``run_experiment("dense-capacity", …).dataset``
        or the saved file read back with :func:`statnn.results.load_results`).
    path : path-like, optional
        Deprecated: save with :func:`save_figure` instead.
    ax : array of matplotlib Axes, optional
        Where to draw: one Axes per model (``ds.sizes["model"]``). Default: a new figure.

    Returns
    -------
    matplotlib.figure.Figure
        The new figure, or the figure of ``ax``.
    """
    models = [str(m) for m in ds.model.values]
    n = len(models)
    fig, axes, created = _axes(
        ax, n, 1, n, 3.6 * n, 3.6, "plot_dense_capacity", sharey=True
    )
    markers = ["o", "s", "^", "v", "D"]
    for a, model in zip(axes, models, strict=True):
        sel = ds.sel(model=model)
        for b in range(sel.sizes["n_index"]):
            N = int(sel.n_neurons.isel(n_index=b))
            one = sel.isel(n_index=b)
            color = f"C{b}"
            a.plot(ds.p_ratio_theory, one.theory_stable_curve, color=color, lw=1.2, ls="--")
            a.plot(ds.p_ratio, one.stable_fraction, color=color, marker="x", ls="none",
                   label=f"N = {N}: fixed points")  # fmt: skip
            for k, T in enumerate(ds["T"].values):
                a.plot(ds.p_ratio, one.retrieval_rate.sel(T=T), color=color,
                       marker=markers[k % len(markers)], ms=4, lw=0.8, alpha=1.0 - 0.3 * k,
                       label=f"N = {N}: recall T = {T:g}")  # fmt: skip
        a.axvline(1.0, color="gray", lw=0.8, ls=":")
        a.set_xscale("log")
        a.set_title(f"F: {model}")
        a.set_xlabel("load P / P_max")
        a.set_ylim(-0.03, 1.05)
    axes[0].set_ylabel("fraction of patterns")
    axes[0].plot([], [], **THEORY, label="signal-to-noise (1 - ε)^N")
    axes[0].legend(fontsize=6, loc="lower left")
    _title(fig, ds, created)
    return _done(fig, path, "plot_dense_capacity")


def plot_sparse_patterns(ds, path=None, *, ax=None) -> Figure:
    """Biased patterns: retrieval vs load per activity with the theory, and α_c(a).

    Parameters
    ----------
    ds : xarray.Dataset
        The result of the ``sparse-patterns`` experiment
        (``run_experiment("sparse-patterns", …).dataset`` or the saved file read back with
        :func:`statnn.results.load_results`).
    path : path-like, optional
        Deprecated: save with :func:`save_figure` instead.
    ax : array of matplotlib Axes, optional
        Where to draw: two Axes (overlap vs load, capacity vs activity). Default: a new
        figure.

    Returns
    -------
    matplotlib.figure.Figure
        The new figure, or the figure of ``ax``.
    """
    fig, axes, created = _axes(ax, 2, 1, 2, 9.0, 3.8, "plot_sparse_patterns")
    left, right = axes
    for i, a in enumerate(ds.activity.values):
        one = ds.isel(activity=i)
        color = f"C{i}"
        alpha_c = float(one.alpha_c)
        left.plot(ds.load_ratio_theory * alpha_c, one.theory_overlap, color=color, lw=1.2, ls="--")
        left.plot(one.alpha, one.overlap, color=color, marker="o", ms=4, lw=0.8,
                  label=f"a = {a:g} (θ = {float(one.threshold):.2f})")  # fmt: skip
        left.plot(one.alpha, one.overlap_no_threshold, color=color, marker="x", ms=4,
                  lw=0.6, ls=":")  # fmt: skip
        left.axvline(alpha_c, color=color, lw=0.8, ls=":")
    left.plot([], [], **THEORY, label="replica-symmetric m(α)")
    left.plot([], [], color="gray", marker="x", ls=":", label="no threshold")
    left.set_xscale("log")
    left.set_xlabel("load α = P/N")
    left.set_ylabel("final overlap m (covariance)")
    left.set_ylim(-0.05, 1.05)
    left.legend(fontsize=6, loc="lower left")
    f_curve = (1.0 - np.abs(ds.curve_activity.values)) / 2.0
    right.plot(f_curve, ds.alpha_c_curve, color="k", lw=1.2, label="α_c(a), replica-symmetric")
    right.plot(f_curve, ds.asymptote_curve, color="gray", lw=1.0, ls="--",
               label="1/(2f |ln f|)")  # fmt: skip
    f_sim = (1.0 - np.abs(ds.activity.values)) / 2.0
    right.plot(f_sim, ds.alpha_c_measured, marker="o", color="C3", ls="none",
               label=f"simulation N = {ds.attrs.get('n_neurons', '?')}")  # fmt: skip
    right.set_xscale("log")
    right.set_yscale("log")
    right.set_xlabel("fraction f = (1 − |a|)/2 in the rare state")
    right.set_ylabel("capacity α_c")
    right.legend(fontsize=6)
    _title(fig, ds, created)
    return _done(fig, path, "plot_sparse_patterns")


def plot_sequence_recall(ds, path=None, *, ax=None) -> Figure:
    """m_ν(t) per T, one colour per pattern ν, mean-field trace dashed; with delayed synapses,
    the asynchronous trace and the dwell time against τ.

    Parameters
    ----------
    ds : xarray.Dataset
        The result of the ``sequence-recall`` experiment
        (``run_experiment("sequence-recall", …).dataset`` or the saved file read back with
        :func:`statnn.results.load_results`).
    path : path-like, optional
        Deprecated: save with :func:`save_figure` instead.
    ax : array of matplotlib Axes, optional
        Where to draw: one Axes per temperature (``ds.sizes["T"]``), then two for the
        asynchronous panel when the dataset has it. Default: a new figure.

    Returns
    -------
    matplotlib.figure.Figure
        The new figure, or the figure of ``ax``.
    """
    temps = ds["T"].values
    n = len(temps)
    delayed = "async_overlap" in ds
    panels = n + 2 if delayed else n
    fig, axes, created = _axes(
        ax, panels, 1, panels, 3.8 * panels, 3.4, "plot_sequence_recall"
    )
    for a, T in zip(axes[:n], temps, strict=True):
        sel = ds.sel(T=T)
        for nu in ds.pattern.values:
            color = f"C{int(nu) % 10}"
            one = sel.sel(pattern=nu)
            _errorbar(a, ds.step, one.overlap, one.overlap_err, color=color, label=f"ν = {nu}")
            a.plot(ds.step, one.theory_overlap, color=color, lw=1.0, ls="--")
        a.set_title(f"T = {T:g}, synchronous")
        a.set_xlabel("synchronous step t")
        a.set_ylim(-0.1, 1.05)
    axes[0].set_ylabel("overlap m_ν(t)")
    axes[0].plot([], [], **THEORY, label="mean field, N → ∞")
    axes[0].legend(fontsize=6, loc="center right")
    if delayed:
        a = axes[n]
        for nu in ds.pattern.values:
            color = f"C{int(nu) % 10}"
            a.plot(ds.sweep, ds.async_overlap.sel(pattern=nu), color=color, lw=1.2)
            a.plot(ds.sweep, ds.async_theory_overlap.sel(pattern=nu), color=color, lw=1.0, ls="--")
        a.set_title(f"T = 0, asynchronous, delay τ = {ds.attrs.get('async_tau', float(ds.tau[-1])):g}")
        a.set_xlabel("sweeps t")
        a.set_ylim(-0.1, 1.05)
        a = axes[n + 1]
        _errorbar(a, ds.tau, ds.dwell, ds.dwell_err, color="C0", label="measured")
        fine = np.linspace(0.0, float(ds.tau.max()) * 1.05, 50)
        shift = float(ds.theory_dwell[0] - ds.tau[0])
        a.plot(fine, fine + shift, **THEORY, label="τ + ln(2λ/(λ − ν))")
        a.set_xlabel("delay τ (sweeps)")
        a.set_ylabel("time between transitions (sweeps)")
        a.set_title("dwell time")
        a.legend(fontsize=7)
    _title(fig, ds, created)
    return _done(fig, path, "plot_sequence_recall")


def plot_hopfield_phase(ds, path=None, *, ax=None) -> Figure:
    """Mean overlap on the (α, T) plane with T_g, T_M (the α_c line) and T_c.

    Parameters
    ----------
    ds : xarray.Dataset
        The result of the ``hopfield-phase`` experiment (``run_experiment("hopfield-phase", …).dataset``
        or the saved file read back with :func:`statnn.results.load_results`).
    path : path-like, optional
        Deprecated: save with :func:`save_figure` instead.
    ax : matplotlib Axes or array of Axes, optional
        Where to draw: one Axes (a colour bar is added beside it). Default: a new figure.

    Returns
    -------
    matplotlib.figure.Figure
        The new figure, or the figure of ``ax``.
    """
    fig, axes, created = _axes(ax, 1, 1, 1, 6.0, 4.4, "plot_hopfield_phase")
    ax = axes[0]
    alpha, T = ds.alpha.values, ds["T"].values
    mesh = ax.pcolormesh(
        alpha, T, ds.m_mean.values, shading="nearest", cmap="viridis", vmin=0, vmax=1
    )
    fig.colorbar(mesh, ax=ax, label="mean final overlap m")
    ax.plot(ds.alpha_theory, ds.T_g, color="white", lw=1.5, label="T_g = 1 + √α (spin glass)")
    ax.plot(ds.alpha_theory, ds.T_M, color="red", lw=1.5, label="T_M(α): retrieval ends (α_c)")
    ax.plot(
        ds.alpha_global,
        ds.T_line,
        color="orange",
        lw=1.5,
        ls="--",
        label="T_c(α): retrieval = global minimum",
    )
    ax.plot([ds.attrs.get("alpha_c", 0.138)], [0.0], "r*", ms=10, clip_on=False)
    ax.set_xlim(alpha.min() - 0.01, alpha.max() + 0.01)
    ax.set_ylim(min(0.0, T.min()) - 0.05, T.max() + 0.1)
    ax.set_xlabel("load α = P/N")
    ax.set_ylabel("temperature T")
    ax.legend(fontsize=7, loc="upper right", framealpha=0.8)
    _title(fig, ds, created)
    return _done(fig, path, "plot_hopfield_phase")


def plot_ising_2d(ds, path=None, *, ax=None) -> Figure:
    """E, |M|, C, χ, Binder vs T per L with Onsager's curves; Binder crossing zoom.

    Parameters
    ----------
    ds : xarray.Dataset
        The result of the ``ising-2d`` experiment (``run_experiment("ising-2d", …).dataset``
        or the saved file read back with :func:`statnn.results.load_results`).
    path : path-like, optional
        Deprecated: save with :func:`save_figure` instead.
    ax : matplotlib Axes or array of Axes, optional
        Where to draw: 6 Axes: energy, |m|, specific heat, susceptibility, Binder cumulant, Binder crossings near T_c. Default: a new figure.

    Returns
    -------
    matplotlib.figure.Figure
        The new figure, or the figure of ``ax``.
    """
    fig, axes, created = _axes(ax, 2 * 3, 2, 3, 12.0, 6.8, "plot_ising_2d")
    panels = [
        ("energy", "energy per spin e", "onsager_energy"),
        ("abs_magnetization", "|m|", "onsager_magnetization"),
        ("specific_heat", "specific heat C", "onsager_specific_heat"),
        ("susceptibility", "susceptibility χ", None),
        ("binder", "Binder cumulant U", None),
    ]
    Tc = ds.attrs.get("T_c", 2.269185)
    for ax, (key, label, theory_key) in zip(axes, panels, strict=False):
        _errorbars_per_size(ax, ds, "L", key)
        if theory_key is not None:
            ax.plot(ds.T_theory, ds[theory_key], **THEORY, label="Onsager (L → ∞)")
        ax.axvline(Tc, color="gray", lw=0.8, ls=":")
        ax.set_xlabel("T")
        ax.set_ylabel(label)
    axes[2].set_ylim(0, None)
    axes[0].legend(fontsize=8)
    ax = axes[5]
    near = (ds["T"] > Tc - 0.35) & (ds["T"] < Tc + 0.35)
    sub = ds.sel(T=near)
    _errorbars_per_size(ax, sub, "L", "binder")
    for pair, t in zip(ds.pair.values, ds.binder_crossing.values, strict=True):
        if np.isfinite(t):
            ax.axvline(t, color="C3", lw=0.8, alpha=0.6)
            ax.text(t, 0.05, f" {pair}: {t:.3f}", rotation=90, fontsize=7, va="bottom")
    ax.axvline(Tc, **THEORY, label=f"T_c = {Tc:.4f}")
    ax.set_xlabel("T")
    ax.set_ylabel("U near T_c (crossings)")
    ax.set_ylim(0, 0.7)
    ax.legend(fontsize=7, loc="lower left")
    _title(fig, ds, created)
    return _done(fig, path, "plot_ising_2d")


def plot_curie_weiss(ds, path=None, *, ax=None) -> Figure:
    """⟨|m|⟩ and E/N vs T per N against m = tanh(m/T) and −m²/2.

    Parameters
    ----------
    ds : xarray.Dataset
        The result of the ``curie-weiss`` experiment (``run_experiment("curie-weiss", …).dataset``
        or the saved file read back with :func:`statnn.results.load_results`).
    path : path-like, optional
        Deprecated: save with :func:`save_figure` instead.
    ax : matplotlib Axes or array of Axes, optional
        Where to draw: 2 Axes: ⟨|m|⟩, energy per spin. Default: a new figure.

    Returns
    -------
    matplotlib.figure.Figure
        The new figure, or the figure of ``ax``.
    """
    fig, axes, created = _axes(ax, 2, 1, 2, 9.0, 3.6, "plot_curie_weiss")
    _errorbars_per_size(axes[0], ds, "N", "abs_magnetization")
    _errorbars_per_size(axes[1], ds, "N", "energy")
    axes[0].plot(ds.T_theory, ds.m_theory, **THEORY, label="m = tanh(m/T)")
    axes[1].plot(ds.T_theory, ds.e_theory, **THEORY, label="e = −m²/2")
    for ax, label in zip(axes, ("⟨|m|⟩", "energy per spin e"), strict=True):
        ax.axvline(1.0, color="gray", lw=0.8, ls=":")
        ax.set_xlabel("T")
        ax.set_ylabel(label)
        ax.legend(fontsize=8)
    _title(fig, ds, created)
    return _done(fig, path, "plot_curie_weiss")


def plot_sk_glass(ds, path=None, *, ax=None) -> Figure:
    """SK energy, ⟨|q|⟩ and Binder g vs T per N, against replica symmetry.

    Parameters
    ----------
    ds : xarray.Dataset
        The result of the ``sk-glass`` experiment (``run_experiment("sk-glass", …).dataset``
        or the saved file read back with :func:`statnn.results.load_results`).
    path : path-like, optional
        Deprecated: save with :func:`save_figure` instead.
    ax : matplotlib Axes or array of Axes, optional
        Where to draw: 3 Axes: energy per spin, ⟨|q|⟩, Binder parameter g. Default: a new figure.

    Returns
    -------
    matplotlib.figure.Figure
        The new figure, or the figure of ``ax``.
    """
    fig, axes, created = _axes(ax, 3, 1, 3, 12.0, 3.6, "plot_sk_glass")
    for ax, key in zip(axes, ("energy", "abs_q", "g"), strict=True):
        _errorbars_per_size(ax, ds, "N", key)
    axes[0].plot(ds.T_theory, ds.rs_energy, **THEORY, label="replica symmetric")
    gs = ds.attrs.get("ground_state_energy", -0.7633)
    axes[0].plot([0.0], [gs], "k*", ms=9, clip_on=False, label=f"Parisi e₀ = {gs:.4f}")
    axes[1].plot(ds.T_theory, ds.rs_q, **THEORY, label="q_RS (N → ∞)")
    labels = ("energy per spin e", "replica overlap ⟨|q|⟩", "Binder parameter g")
    for ax, label in zip(axes, labels, strict=True):
        ax.axvline(1.0, color="gray", lw=0.8, ls=":")
        ax.set_xlabel("T")
        ax.set_ylabel(label)
        ax.set_xlim(0, None)
        ax.legend(fontsize=8)
    _title(fig, ds, created)
    return _done(fig, path, "plot_sk_glass")


def plot_basins(ds, path=None, *, ax=None) -> Figure:
    """Final vs initial overlap per α, one panel per rule, AGS m(α) dotted.

    Parameters
    ----------
    ds : xarray.Dataset
        The result of the ``basins`` experiment (``run_experiment("basins", …).dataset``
        or the saved file read back with :func:`statnn.results.load_results`).
    path : path-like, optional
        Deprecated: save with :func:`save_figure` instead.
    ax : matplotlib Axes or array of Axes, optional
        Where to draw: one Axes per learning rule in ``ds.rule`` (in that order). Default: a new figure.

    Returns
    -------
    matplotlib.figure.Figure
        The new figure, or the figure of ``ax``.
    """
    rules = [str(r) for r in ds.rule.values]
    fig, axes, created = _axes(
        ax, len(rules), 1, len(rules), 4.2 * len(rules), 3.6, "plot_basins", sharey=True
    )
    for ax, rule in zip(axes, rules, strict=True):
        for k, a in enumerate(ds.alpha.values):
            sel = ds.sel(rule=rule, alpha=a)
            _errorbar(ax, ds.m0, sel.m_mean, sel.m_err, color=f"C{k}", label=f"α = {a:g}")
            if rule == "hebbian":
                ax.axhline(float(ds.ags_m.sel(alpha=a)), color=f"C{k}", lw=1, ls="--")
        ax.plot([0, 1], [0, 1], color="gray", lw=0.8, ls=":", label="no change")
        ax.set_title(f"{rule} rule")
        ax.set_xlabel("initial overlap m₀")
        ax.set_xlim(0, 1.02)
        ax.set_ylim(-0.05, 1.05)
    _final_overlap_legend(axes[0], fontsize=7, loc="lower right")
    _title(fig, ds, created)
    return _done(fig, path, "plot_basins")


def plot_perceptron_capacity(ds, path=None, *, ax=None) -> Figure:
    """Fraction of dichotomies learned vs α per N, with Cover's curves and α = 2.

    Parameters
    ----------
    ds : xarray.Dataset
        The result of the ``perceptron-capacity`` experiment (``run_experiment("perceptron-capacity", …).dataset``
        or the saved file read back with :func:`statnn.results.load_results`).
    path : path-like, optional
        Deprecated: save with :func:`save_figure` instead.
    ax : matplotlib Axes or array of Axes, optional
        Where to draw: one Axes. Default: a new figure.

    Returns
    -------
    matplotlib.figure.Figure
        The new figure, or the figure of ``ax``.
    """
    fig, axes, created = _axes(ax, 1, 1, 1, 6.0, 4.0, "plot_perceptron_capacity")
    ax = axes[0]
    for k, N in enumerate(ds.N.values):
        sel = ds.sel(N=N)
        _errorbar(ax, ds.alpha, sel.fraction, sel.fraction_err, color=f"C{k}", label=f"N = {N}")
        ax.plot(ds.alpha_theory, sel.cover_curve, color=f"C{k}", lw=1.2, ls="--")
    ax.step(
        [0, 2, 2, ds.alpha_theory.values.max()],
        [1, 1, 0, 0],
        where="post",
        color="black",
        lw=1,
        label="N → ∞: α_c = 2",
    )
    ax.plot([], [], **THEORY, label="Cover C(P, N)/2^P")
    ax.set_xlabel("load α = P/N")
    ax.set_ylabel("fraction of dichotomies learned")
    ax.legend(fontsize=8)
    _title(fig, ds, created)
    return _done(fig, path, "plot_perceptron_capacity")


def _xor_points(ax, ds):
    X, y = ds.xor_X.values, ds.xor_y.values
    for label, marker in ((0, "o"), (1, "s")):
        pts = X[y == label]
        ax.scatter(
            pts[:, 0],
            pts[:, 1],
            marker=marker,
            s=60,
            edgecolor="k",
            color="white" if label == 0 else "black",
            zorder=3,
            label=f"y = {label}",
        )


def plot_xor_digits(ds, path=None, *, ax=None) -> Figure:
    """XOR maps of the perceptron and the MLP, the XOR loss, digits training curves.

    Parameters
    ----------
    ds : xarray.Dataset
        The result of the ``xor-digits`` experiment (``run_experiment("xor-digits", …).dataset``
        or the saved file read back with :func:`statnn.results.load_results`).
    path : path-like, optional
        Deprecated: save with :func:`save_figure` instead.
    ax : matplotlib Axes or array of Axes, optional
        Where to draw: 4 Axes: perceptron XOR map, MLP XOR map, XOR training curve, digits training curves. Default: a new figure.

    Returns
    -------
    matplotlib.figure.Figure
        The new figure, or the figure of ``ax``.
    """
    fig, axes, created = _axes(ax, 4, 1, 4, 15.0, 3.6, "plot_xor_digits")
    a = ds.attrs
    for ax, key, name, acc in (
        (axes[0], "xor_perceptron_map", "perceptron", a.get("xor_perceptron_accuracy")),
        (axes[1], "xor_mlp_map", "MLP", a.get("xor_mlp_accuracy")),
    ):
        ax.contourf(ds.x, ds.y, ds[key], levels=np.linspace(0, 1, 11), cmap="RdBu_r", alpha=0.7)
        ax.contour(ds.x, ds.y, ds[key], levels=[0.5], colors="k", linewidths=1)
        _xor_points(ax, ds)
        ax.set_title(f"XOR, {name}: accuracy {acc:.2f}", fontsize=9)
        ax.set_xlabel("x₁")
        ax.set_ylabel("x₂")
    axes[0].legend(fontsize=7, loc="center")
    ax = axes[2]
    ax.plot(ds.xor_epoch, ds.xor_loss, label="MLP loss")
    ax.plot(ds.xor_epoch, ds.xor_accuracy, label="MLP accuracy")
    ax.axhline(0.75, **THEORY, label="best linear: 3/4")
    ax.set_xlabel("epoch")
    ax.set_title("XOR training", fontsize=9)
    ax.legend(fontsize=7)
    ax = axes[3]
    ax.plot(ds.digits_epoch, ds.digits_loss, color="C0", label="train loss")
    ax.plot(ds.digits_epoch, ds.digits_val_loss, color="C0", ls=":", label="validation loss")
    ax.plot(ds.digits_epoch, ds.digits_accuracy, color="C1", label="train accuracy")
    ax.plot(
        ds.digits_epoch, ds.digits_val_accuracy, color="C1", ls=":", label="validation accuracy"
    )
    ax.axhline(
        a.get("digits_test_accuracy", np.nan),
        color="C2",
        lw=1,
        label=f"MLP test {a.get('digits_test_accuracy', np.nan):.3f}",
    )
    ax.axhline(
        a.get("digits_perceptron_test_accuracy", np.nan),
        **THEORY,
        label=f"perceptron test {a.get('digits_perceptron_test_accuracy', np.nan):.3f}",
    )
    ax.set_xlabel("epoch")
    ax.set_title("8×8 digits, MLP", fontsize=9)
    ax.legend(fontsize=7)
    _title(fig, ds, created)
    return _done(fig, path, "plot_xor_digits")


def plot_first_neurons(ds, path=None, *, ax=None) -> Figure:
    """km → miles data and fits, w per epoch vs 0.621371; fruits and the perceptron line.

    Parameters
    ----------
    ds : xarray.Dataset
        The result of the ``first-neurons`` experiment (``run_experiment("first-neurons", …).dataset``
        or the saved file read back with :func:`statnn.results.load_results`).
    path : path-like, optional
        Deprecated: save with :func:`save_figure` instead.
    ax : matplotlib Axes or array of Axes, optional
        Where to draw: 3 Axes: km → miles fits, w per epoch, fruits and the perceptron line. Default: a new figure.

    Returns
    -------
    matplotlib.figure.Figure
        The new figure, or the figure of ``ax``.
    """
    fig, axes, created = _axes(ax, 3, 1, 3, 13.0, 3.8, "plot_first_neurons")
    a = ds.attrs
    exact = a.get("km_exact", 0.621371192237334)
    ax = axes[0]
    ax.scatter(ds.km, ds.miles, s=12, color="C0", label="data (noisy)")
    x = np.linspace(0, float(ds.km.max()), 2)
    ax.plot(x, exact * x, **THEORY, label=f"exact: {exact:.6f} mi/km")
    ax.plot(x, a["km_weight"] * x, color="C1", label=f"learned w = {a['km_weight']:.4f}")
    ax.plot(
        x,
        a["km_mlp_weight"] * x + a["km_mlp_bias"],
        color="C2",
        lw=1,
        label=f"MLPRegressor: {a['km_mlp_weight']:.4f} x + {a['km_mlp_bias']:.2f}",
    )
    ax.set_xlabel("km")
    ax.set_ylabel("miles")
    ax.legend(fontsize=7)
    ax = axes[1]
    ax.plot(ds.km_epoch, ds.km_w, marker=".", label="w after each epoch")
    ax.axhline(exact, **THEORY, label="0.621371")
    ax.set_xlabel("epoch")
    ax.set_ylabel("w (mi/km)")
    ax.legend(fontsize=8)
    ax = axes[2]
    X = np.column_stack([ds.fruit_weight.values, ds.fruit_sweetness.values])
    y = ds.fruit_y.values
    ax.scatter(X[y == 0, 0], X[y == 0, 1], color="C3", s=14, label="apples")
    ax.scatter(X[y == 1, 0], X[y == 1, 1], color="C1", s=14, label="oranges")
    w1, w2, b = a["fruit_w_weight"], a["fruit_w_sweetness"], a["fruit_b"]
    xs = np.linspace(X[:, 0].min(), X[:, 0].max(), 2)
    if w2 != 0:
        ax.plot(xs, -(w1 * xs + b) / w2, color="k", label="perceptron: w·x + b = 0")
    ax.set_ylim(X[:, 1].min() - 0.5, X[:, 1].max() + 0.5)
    ax.set_xlabel("weight (g)")
    ax.set_ylabel("sweetness")
    ax.set_title(
        f"accuracy {a.get('fruit_accuracy', np.nan):.2f} after {a.get('fruit_epochs', '?')} epochs",
        fontsize=9,
    )
    ax.legend(fontsize=7)
    _title(fig, ds, created)
    return _done(fig, path, "plot_first_neurons")


def plot_inverse_ising(ds, path=None, *, ax=None) -> Figure:
    """ε vs M per method, one panel per β (M^−1/2 dotted); learned vs Hebbian recall.

    Parameters
    ----------
    ds : xarray.Dataset
        The result of the ``inverse-ising`` experiment
        (``run_experiment("inverse-ising", …).dataset`` or the saved file read back with
        :func:`statnn.results.load_results`).
    path : path-like, optional
        Deprecated: save with :func:`save_figure` instead.
    ax : matplotlib Axes or array of Axes, optional
        Where to draw: one Axes per β in ``ds.beta`` (in that order), then one for the
        recall overlaps (``len(ds.beta) + 1`` in all). Default: a new figure.

    Returns
    -------
    matplotlib.figure.Figure
        The new figure, or the figure of ``ax``.
    """
    betas = ds.beta.values
    n = len(betas) + 1
    fig, axes, created = _axes(ax, n, 1, n, 3.6 * n, 3.6, "plot_inverse_ising")
    M = ds.M.values.astype(float)
    for ax, beta in zip(axes[:-1], betas, strict=True):
        sel = ds.epsilon.sel(beta=beta)
        for k, method in enumerate(ds.estimator.values):
            y = sel.sel(estimator=method).values
            if np.all(np.isnan(y)):
                continue
            ax.loglog(M, y, marker="o", ms=3.5, lw=1, color=f"C{k}", label=str(method))
        ref = np.nanmin(sel.values[:, 0]) * np.sqrt(M[0] / M)
        ax.loglog(M, ref, color="gray", lw=0.8, ls=":", label="∝ M^−1/2")
        ax.set_xlabel("samples M")
        ax.set_ylabel("ε = ‖J − βJ⁰‖ / ‖βJ⁰‖")
        ax.set_title(f"β = {beta:g}", fontsize=9)
    axes[0].legend(fontsize=7)
    ax = axes[-1]
    x = ds.pattern.values
    ax.bar(x - 0.2, ds.overlap_learned, width=0.4, label="learned (pseudo-likelihood)")
    ax.bar(x + 0.2, ds.overlap_hebbian, width=0.4, label="Hebbian, clean patterns")
    ax.set_xticks(x)
    ax.set_xlabel("pattern")
    ax.set_ylabel("final overlap after recall")
    ax.set_ylim(0, 1.05)
    r = np.corrcoef(ds.J_learned, ds.J_hebbian)[0, 1]
    ax.set_title("Hopfield network learned from noisy examples", fontsize=9)
    ax.text(0.02, 0.03, f"corr(J, J_Hebb) = {r:.2f}", transform=ax.transAxes, fontsize=7)
    ax.legend(fontsize=7, loc="lower right")
    _title(fig, ds, created)
    return _done(fig, path, "plot_inverse_ising")


#: experiment name → figure function
PLOTS = {
    "hopfield-recall": plot_hopfield_recall,
    "hopfield-phase": plot_hopfield_phase,
    "dense-capacity": plot_dense_capacity,
    "sequence-recall": plot_sequence_recall,
    "sparse-patterns": plot_sparse_patterns,
    "ising-2d": plot_ising_2d,
    "curie-weiss": plot_curie_weiss,
    "sk-glass": plot_sk_glass,
    "basins": plot_basins,
    "perceptron-capacity": plot_perceptron_capacity,
    "xor-digits": plot_xor_digits,
    "first-neurons": plot_first_neurons,
    "seed-examples": plot_first_neurons,  # files written before the rename
    "inverse-ising": plot_inverse_ising,
}


def plot_result(ds, path=None, *, ax=None) -> Figure:
    """Draw the figure of the experiment that produced ``ds``.

    Parameters
    ----------
    ds : xarray.Dataset or path-like
        A result of :func:`statnn.experiments.run_experiment`, or the ``.nc`` file (or
        its ``.json`` sidecar) that ``statnn run`` wrote.
    path : path-like, optional
        Deprecated: save with :func:`save_figure` instead.
    ax : matplotlib Axes or array of Axes, optional
        Where to draw: the axes the experiment's ``plot_*`` function needs.

    Returns
    -------
    matplotlib.figure.Figure
        The figure (nothing is saved: see :func:`save_figure`).
    """
    if isinstance(ds, str | os.PathLike):
        ds = _load(Path(ds))
    name = getattr(ds, "attrs", {}).get("experiment")
    if name not in PLOTS:
        raise ValidationError(
            f"The dataset's 'experiment' attribute must name a statnn experiment "
            f"({', '.join(PLOTS)}). Got {name!r} instead."
        )
    try:
        fig = PLOTS[name](ds, ax=ax)
    except (KeyError, AttributeError) as err:  # a variable or attribute the figure draws
        missing = err.args[0] if isinstance(err, KeyError) else str(err).rsplit(" ", 1)[-1]
        raise ValidationError(
            f"The dataset lacks {missing}, which the {name!r} figure draws: plot a file "
            f"written by 'statnn run {name}' (or run_experiment) of this statnn version."
        ) from err
    return _done(fig, path, "plot_result")


def _load(path: Path):
    from statnn.results import load_results

    if path.suffix == ".json":
        path = path.with_suffix(".nc")
    if not path.is_file():
        raise ValidationError(
            f"No results file {str(path)!r}: expected a .nc file written by 'statnn run' "
            "(or its .json sidecar)."
        )
    return load_results(path)


__all__ = [
    "PLOTS",
    "supported_formats",
    "plot_result",
    "save_figure",
    *(f.__name__ for f in PLOTS.values()),
]
