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


def _done(fig, path, name, stacklevel=3):
    """Return ``fig``; save it to ``path`` too, with a warning that this is deprecated.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The figure drawn.
    path : path-like or None
        The deprecated ``path`` argument of the public function ``name``.
    name : str
        The public function, named in the warning.
    stacklevel : int, default=3
        Frames between :func:`warnings.warn` and the user's call (3: ``name`` called
        this function).

    Returns
    -------
    matplotlib.figure.Figure
        ``fig``.
    """
    if path is not None:
        warnings.warn(
            f"{name}(ds, path) no longer saves the figure; it returns it. Use "
            "statnn.plotting.save_figure(fig, path); the path argument will be removed in "
            "statnn 0.2.",
            FutureWarning,
            stacklevel=stacklevel,
        )
        save_figure(fig, path)
    return fig


def _finish(fig, ds, created, path, name):
    """Add the run's title line to a new figure and return it (:func:`_done`).

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The figure drawn.
    ds : xarray.Dataset
        The result plotted; its attributes make the title line.
    created : bool
        Whether the figure is new (the user's axes get no title).
    path : path-like or None
        The deprecated ``path`` argument of ``name``.
    name : str
        The public ``plot_*`` function that called this one.

    Returns
    -------
    matplotlib.figure.Figure
        ``fig``.
    """
    _title(fig, ds, created)
    return _done(fig, path, name, stacklevel=4)


def _theory(ax, x, y, **kwargs):
    """Draw a theory curve in the :data:`THEORY` style (dashed, black).

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        The panel.
    x, y : array-like
        The curve; empty for a legend entry only (:func:`_theory_key`).
    **kwargs
        Line properties overriding the style (``color``, ``lw``, ``alpha``, ``label``).

    Returns
    -------
    list of matplotlib.lines.Line2D
        What :meth:`matplotlib.axes.Axes.plot` returns.
    """
    return ax.plot(x, y, **{**THEORY, **kwargs})


def _theory_key(ax, label: str) -> None:
    """Add a legend entry ``label`` for the dashed theory curves of ``ax`` (an empty line).

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        The panel whose legend names the theory.
    label : str
        The theory's name in the legend.
    """
    _theory(ax, [], [], label=label)


def _mark_x(ax, x) -> None:
    """Mark ``x`` (a critical point, a capacity) with a thin grey dotted vertical line.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        The panel.
    x : float
        Where, in data coordinates.
    """
    ax.axvline(x, color="gray", lw=0.8, ls=":")


def _label(ax, xlabel: str, ylabel: str | None = None, title: str | None = None, **title_kw):
    """Name the axes of a panel and give it a title.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        The panel.
    xlabel : str
        The x-axis label.
    ylabel : str, optional
        The y-axis label; none when omitted.
    title : str, optional
        The panel title; none when omitted.
    **title_kw
        Passed to :meth:`matplotlib.axes.Axes.set_title` (e.g. ``fontsize``).
    """
    ax.set_xlabel(xlabel)
    if ylabel is not None:
        ax.set_ylabel(ylabel)
    if title is not None:
        ax.set_title(title, **title_kw)


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


def _sizes_vs_T(ax, ds, dim: str, key: str, theory=None, label: str | None = None) -> None:
    """``key`` ± its error vs T, one series per size, and the infinite-size theory dashed.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        The panel.
    ds : xarray.Dataset
        A magnet experiment's result: ``key``, ``key + "_err"`` on (``dim``, ``T``) and,
        with ``theory``, the grid ``T_theory``.
    dim : {'L', 'N'}
        The size dimension.
    key : str
        The observable.
    theory : array-like, optional
        The theory curve on ``ds.T_theory``; none when omitted.
    label : str, optional
        The theory's legend label.
    """
    _errorbars_per_size(ax, ds, dim, key)
    if theory is not None:
        _theory(ax, ds.T_theory, theory, label=label)


def _temperature_axis(ax, T_mark: float, ylabel: str) -> None:
    """Label a panel of an observable vs T, with the critical temperature ``T_mark`` marked.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        The panel.
    T_mark : float
        The (infinite-size) transition temperature, drawn as a grey dotted line.
    ylabel : str
        The observable's name.
    """
    _mark_x(ax, T_mark)
    _label(ax, "T", ylabel)


def _rule_axes(ds, ax, panel_width: float, caller: str):
    """One panel per learning rule of ``ds.rule``, side by side, sharing the overlap axis.

    Parameters
    ----------
    ds : xarray.Dataset
        A Hopfield experiment's result with a ``rule`` dimension.
    ax : matplotlib Axes or array of Axes or None
        The user's axes (one per rule), or None for a new figure.
    panel_width : float
        Width of one panel of a new figure, in inches (height 3.6).
    caller : str
        The public function, named in errors.

    Returns
    -------
    rules : list of str
        The rule names, in the order of ``ds.rule``.
    fig, axes, created
        As :func:`_axes` returns them.
    """
    rules = [str(r) for r in ds.rule.values]
    n = len(rules)
    return (rules, *_axes(ax, n, 1, n, panel_width * n, 3.6, caller, sharey=True))


def _final_overlap_legend(ax, *, fontsize: int, loc: str) -> None:
    """Label a Hopfield panel's final-overlap axis; a legend that keys the AGS curves."""
    ax.set_ylabel("final overlap m")
    _theory_key(ax, "AGS m(α, T)")
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
    rules, fig, axes, created = _rule_axes(ds, ax, 4.0, "plot_hopfield_recall")
    for ax, rule in zip(axes, rules, strict=True):
        faint = 1.0 if rule == "hebbian" else 0.35  # AGS holds for the Hebbian rule
        for k, T in enumerate(ds["T"].values):
            sel = ds.sel(rule=rule, T=T)
            _errorbar(ax, ds.alpha, sel.m_mean, sel.m_err, color=f"C{k}", label=f"T = {T:g}")
            _theory(ax, ds.alpha_theory, ds.ags_m.sel(T=T), color=f"C{k}", alpha=faint)
        _mark_x(ax, 0.138)
        title = f"{rule} rule" + ("" if rule == "hebbian" else " (faint: Hebbian AGS)")
        _label(ax, "load α = P/N", title=title)
        ax.set_ylim(-0.02, 1.05)
    _final_overlap_legend(axes[0], fontsize=8, loc="lower left")
    return _finish(fig, ds, created, path, "plot_hopfield_recall")


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
    fig, axes, created = _axes(ax, n, 1, n, 3.6 * n, 3.6, "plot_dense_capacity", sharey=True)
    markers = ["o", "s", "^", "v", "D"]
    for a, model in zip(axes, models, strict=True):
        sel = ds.sel(model=model)
        for b in range(sel.sizes["n_index"]):
            N = int(sel.n_neurons.isel(n_index=b))
            one = sel.isel(n_index=b)
            color = f"C{b}"
            _theory(a, ds.p_ratio_theory, one.theory_stable_curve, color=color)
            a.plot(ds.p_ratio, one.stable_fraction, color=color, marker="x", ls="none",
                   label=f"N = {N}: fixed points")  # fmt: skip
            for k, T in enumerate(ds["T"].values):
                a.plot(ds.p_ratio, one.retrieval_rate.sel(T=T), color=color,
                       marker=markers[k % len(markers)], ms=4, lw=0.8, alpha=1.0 - 0.3 * k,
                       label=f"N = {N}: recall T = {T:g}")  # fmt: skip
        _mark_x(a, 1.0)
        a.set_xscale("log")
        _label(a, "load P / P_max", title=f"F: {model}")
        a.set_ylim(-0.03, 1.05)
    axes[0].set_ylabel("fraction of patterns")
    _theory_key(axes[0], "signal-to-noise (1 - ε)^N")
    axes[0].legend(fontsize=6, loc="lower left")
    return _finish(fig, ds, created, path, "plot_dense_capacity")


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
        _theory(left, ds.load_ratio_theory * alpha_c, one.theory_overlap, color=color)
        left.plot(one.alpha, one.overlap, color=color, marker="o", ms=4, lw=0.8,
                  label=f"a = {a:g} (θ = {float(one.threshold):.2f})")  # fmt: skip
        left.plot(one.alpha, one.overlap_no_threshold, color=color, marker="x", ms=4,
                  lw=0.6, ls=":")  # fmt: skip
        left.axvline(alpha_c, color=color, lw=0.8, ls=":")
    _theory_key(left, "replica-symmetric m(α)")
    left.plot([], [], color="gray", marker="x", ls=":", label="no threshold")
    left.set_xscale("log")
    _label(left, "load α = P/N", "final overlap m (covariance)")
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
    _label(right, "fraction f = (1 − |a|)/2 in the rare state", "capacity α_c")
    right.legend(fontsize=6)
    return _finish(fig, ds, created, path, "plot_sparse_patterns")


def _pattern_color(nu) -> str:
    """The colour of pattern ``nu`` in a sequence figure: matplotlib's cycle ``C0`` … ``C9``.

    Parameters
    ----------
    nu : int
        The pattern index.

    Returns
    -------
    str
        ``f"C{nu % 10}"``.
    """
    return f"C{int(nu) % 10}"


def _overlap_trace_axes(a, title: str, xlabel: str) -> None:
    """Title and x label of a panel of overlaps m_ν(t), its y range fixed to [−0.1, 1.05].

    Parameters
    ----------
    a : matplotlib.axes.Axes
        The panel.
    title : str
        Its title.
    xlabel : str
        The time axis label.
    """
    _label(a, xlabel, title=title)
    a.set_ylim(-0.1, 1.05)


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
    fig, axes, created = _axes(ax, panels, 1, panels, 3.8 * panels, 3.4, "plot_sequence_recall")
    for a, T in zip(axes[:n], temps, strict=True):
        sel = ds.sel(T=T)
        for nu in ds.pattern.values:
            color = _pattern_color(nu)
            one = sel.sel(pattern=nu)
            _errorbar(a, ds.step, one.overlap, one.overlap_err, color=color, label=f"ν = {nu}")
            _theory(a, ds.step, one.theory_overlap, color=color, lw=1.0)
        _overlap_trace_axes(a, f"T = {T:g}, synchronous", "synchronous step t")
    axes[0].set_ylabel("overlap m_ν(t)")
    _theory_key(axes[0], "mean field, N → ∞")
    axes[0].legend(fontsize=6, loc="center right")
    if delayed:
        a = axes[n]
        for nu in ds.pattern.values:
            color = _pattern_color(nu)
            a.plot(ds.sweep, ds.async_overlap.sel(pattern=nu), color=color, lw=1.2)
            _theory(a, ds.sweep, ds.async_theory_overlap.sel(pattern=nu), color=color, lw=1.0)
        tau = ds.attrs.get("async_tau", float(ds.tau[-1]))
        _overlap_trace_axes(a, f"T = 0, asynchronous, delay τ = {tau:g}", "sweeps t")
        a = axes[n + 1]
        _errorbar(a, ds.tau, ds.dwell, ds.dwell_err, color="C0", label="measured")
        fine = np.linspace(0.0, float(ds.tau.max()) * 1.05, 50)
        shift = float(ds.theory_dwell[0] - ds.tau[0])
        _theory(a, fine, fine + shift, label="τ + ln(2λ/(λ − ν))")
        _label(a, "delay τ (sweeps)", "time between transitions (sweeps)", "dwell time")
        a.legend(fontsize=7)
    return _finish(fig, ds, created, path, "plot_sequence_recall")


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
    _label(ax, "load α = P/N", "temperature T")
    ax.legend(fontsize=7, loc="upper right", framealpha=0.8)
    return _finish(fig, ds, created, path, "plot_hopfield_phase")


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
        ("energy", "energy per spin e", ds["onsager_energy"]),
        ("abs_magnetization", "|m|", ds["onsager_magnetization"]),
        ("specific_heat", "specific heat C", ds["onsager_specific_heat"]),
        ("susceptibility", "susceptibility χ", None),
        ("binder", "Binder cumulant U", None),
    ]
    Tc = ds.attrs.get("T_c", 2.269185)
    for ax, (key, label, theory) in zip(axes, panels, strict=False):
        _sizes_vs_T(ax, ds, "L", key, theory, "Onsager (L → ∞)")
        _temperature_axis(ax, Tc, label)
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
    _label(ax, "T", "U near T_c (crossings)")
    ax.set_ylim(0, 0.7)
    ax.legend(fontsize=7, loc="lower left")
    return _finish(fig, ds, created, path, "plot_ising_2d")


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
    panels = [
        ("abs_magnetization", "⟨|m|⟩", ds.m_theory, "m = tanh(m/T)"),
        ("energy", "energy per spin e", ds.e_theory, "e = −m²/2"),
    ]
    for ax, (key, label, theory, theory_label) in zip(axes, panels, strict=True):
        _sizes_vs_T(ax, ds, "N", key, theory, theory_label)
        _temperature_axis(ax, 1.0, label)
        ax.legend(fontsize=8)
    return _finish(fig, ds, created, path, "plot_curie_weiss")


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
    panels = [
        ("energy", "energy per spin e", ds.rs_energy, "replica symmetric"),
        ("abs_q", "replica overlap ⟨|q|⟩", ds.rs_q, "q_RS (N → ∞)"),
        ("g", "Binder parameter g", None, None),
    ]
    gs = ds.attrs.get("ground_state_energy", -0.7633)
    for ax, (key, label, theory, theory_label) in zip(axes, panels, strict=True):
        _sizes_vs_T(ax, ds, "N", key, theory, theory_label)
        if key == "energy":  # the T = 0 limit, known beyond replica symmetry
            ax.plot([0.0], [gs], "k*", ms=9, clip_on=False, label=f"Parisi e₀ = {gs:.4f}")
        _temperature_axis(ax, 1.0, label)
        ax.set_xlim(0, None)
        ax.legend(fontsize=8)
    return _finish(fig, ds, created, path, "plot_sk_glass")


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
    rules, fig, axes, created = _rule_axes(ds, ax, 4.2, "plot_basins")
    for ax, rule in zip(axes, rules, strict=True):
        for k, a in enumerate(ds.alpha.values):
            sel = ds.sel(rule=rule, alpha=a)
            _errorbar(ax, ds.m0, sel.m_mean, sel.m_err, color=f"C{k}", label=f"α = {a:g}")
            if rule == "hebbian":
                ax.axhline(float(ds.ags_m.sel(alpha=a)), color=f"C{k}", lw=1, ls="--")
        ax.plot([0, 1], [0, 1], color="gray", lw=0.8, ls=":", label="no change")
        _label(ax, "initial overlap m₀", title=f"{rule} rule")
        ax.set_xlim(0, 1.02)
        ax.set_ylim(-0.05, 1.05)
    _final_overlap_legend(axes[0], fontsize=7, loc="lower right")
    return _finish(fig, ds, created, path, "plot_basins")


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
        _theory(ax, ds.alpha_theory, sel.cover_curve, color=f"C{k}")
    ax.step(
        [0, 2, 2, ds.alpha_theory.values.max()],
        [1, 1, 0, 0],
        where="post",
        color="black",
        lw=1,
        label="N → ∞: α_c = 2",
    )
    _theory_key(ax, "Cover C(P, N)/2^P")
    _label(ax, "load α = P/N", "fraction of dichotomies learned")
    ax.legend(fontsize=8)
    return _finish(fig, ds, created, path, "plot_perceptron_capacity")


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
        _label(ax, "x₁", "x₂", f"XOR, {name}: accuracy {acc:.2f}", fontsize=9)
    axes[0].legend(fontsize=7, loc="center")
    ax = axes[2]
    ax.plot(ds.xor_epoch, ds.xor_loss, label="MLP loss")
    ax.plot(ds.xor_epoch, ds.xor_accuracy, label="MLP accuracy")
    ax.axhline(0.75, **THEORY, label="best linear: 3/4")
    _label(ax, "epoch", title="XOR training", fontsize=9)
    ax.legend(fontsize=7)
    ax = axes[3]
    for color, what, train, validation in (
        ("C0", "loss", ds.digits_loss, ds.digits_val_loss),
        ("C1", "accuracy", ds.digits_accuracy, ds.digits_val_accuracy),
    ):
        ax.plot(ds.digits_epoch, train, color=color, label=f"train {what}")
        ax.plot(ds.digits_epoch, validation, color=color, ls=":", label=f"validation {what}")
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
    _label(ax, "epoch", title="8×8 digits, MLP", fontsize=9)
    ax.legend(fontsize=7)
    return _finish(fig, ds, created, path, "plot_xor_digits")


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
    _theory(ax, x, exact * x, label=f"exact: {exact:.6f} mi/km")
    ax.plot(x, a["km_weight"] * x, color="C1", label=f"learned w = {a['km_weight']:.4f}")
    ax.plot(
        x,
        a["km_mlp_weight"] * x + a["km_mlp_bias"],
        color="C2",
        lw=1,
        label=f"MLPRegressor: {a['km_mlp_weight']:.4f} x + {a['km_mlp_bias']:.2f}",
    )
    _label(ax, "km", "miles")
    ax.legend(fontsize=7)
    ax = axes[1]
    ax.plot(ds.km_epoch, ds.km_w, marker=".", label="w after each epoch")
    ax.axhline(exact, **THEORY, label="0.621371")
    _label(ax, "epoch", "w (mi/km)")
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
    accuracy, epochs = a.get("fruit_accuracy", np.nan), a.get("fruit_epochs", "?")
    title = f"accuracy {accuracy:.2f} after {epochs} epochs"
    _label(ax, "weight (g)", "sweetness", title, fontsize=9)
    ax.legend(fontsize=7)
    return _finish(fig, ds, created, path, "plot_first_neurons")


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
        _label(ax, "samples M", "ε = ‖J − βJ⁰‖ / ‖βJ⁰‖", f"β = {beta:g}", fontsize=9)
    axes[0].legend(fontsize=7)
    ax = axes[-1]
    x = ds.pattern.values
    ax.bar(x - 0.2, ds.overlap_learned, width=0.4, label="learned (pseudo-likelihood)")
    ax.bar(x + 0.2, ds.overlap_hebbian, width=0.4, label="Hebbian, clean patterns")
    ax.set_xticks(x)
    title = "Hopfield network learned from noisy examples"
    _label(ax, "pattern", "final overlap after recall", title, fontsize=9)
    ax.set_ylim(0, 1.05)
    r = np.corrcoef(ds.J_learned, ds.J_hebbian)[0, 1]
    ax.text(0.02, 0.03, f"corr(J, J_Hebb) = {r:.2f}", transform=ax.transAxes, fontsize=7)
    ax.legend(fontsize=7, loc="lower right")
    return _finish(fig, ds, created, path, "plot_inverse_ising")


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
