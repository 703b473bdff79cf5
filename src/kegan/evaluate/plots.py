"""Figures in the paper's style, drawn with matplotlib's Agg backend (no display needed).

Every function draws one figure into a PNG file and returns its path; none keeps global pyplot state
(figures are built with ``matplotlib.figure.Figure`` directly).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
from matplotlib import ticker  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from ..dataset.format import Dataset  # noqa: E402
from .binning import BINNED, BinEdges, feature_values  # noqa: E402

REAL_COLOR, SYN_COLOR, TEST_COLOR = "#1f77b4", "#ff7f0e", "#2ca02c"
LABELS = {
    "C": "category C",
    "M": "series length M",
    "A": "arrival time interval A (s)",
    "P": "packet number P",
    "L": "average packet length L (bytes)",
}
DPI = 110


def _save(fig: Figure, path: Path, tight: bool = True) -> Path:
    # tight=False for figures already laid out by tight_layout (a second tight pass doubles the cost)
    fig.savefig(path, dpi=DPI, bbox_inches="tight" if tight else None)
    return path


def plot_categories(real: Dataset, synthetic: Dataset, path: Path) -> Path:
    """Objects per category, real vs synthetic, as shares of each dataset (paper Figure 4)."""
    cats = sorted(set(real.categories) | set(synthetic.categories), key=lambda c: (-real.categories.count(c), c))
    r = np.array([real.categories.count(c) for c in cats], dtype=float)
    s = np.array([synthetic.categories.count(c) for c in cats], dtype=float)
    x = np.arange(len(cats))
    fig = Figure(figsize=(max(6.0, 0.8 * len(cats) + 2), 4))
    ax = fig.subplots()
    ax.bar(x - 0.2, 100 * r / max(r.sum(), 1), 0.4, color=REAL_COLOR, label=f"real ({len(real)} objects)")
    ax.bar(x + 0.2, 100 * s / max(s.sum(), 1), 0.4, color=SYN_COLOR, label=f"synthetic ({len(synthetic)} objects)")
    for xi, (rc, sc) in enumerate(zip(r, s, strict=True)):
        top = 100 * max(rc / max(r.sum(), 1), sc / max(s.sum(), 1))
        ax.annotate(f"{int(rc)} / {int(sc)}", (xi, top), ha="center", va="bottom", fontsize=7)
    ax.set_xticks(x, cats, rotation=30, ha="right")
    ax.set_ylabel("share of objects (%)")
    ax.set_ylim(0, 1.15 * ax.get_ylim()[1])
    ax.set_title("Objects per category (labels: real / synthetic counts)")
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return _save(fig, path)


def plot_distributions(real: Dataset, synthetic: Dataset, edges: BinEdges, path: Path, test: Dataset | None = None) -> Path:
    """Histograms of M, A, P, L on the shared bins, log axes (paper Figure 6).

    x is value + 1 on a log axis (the bins are equal-width on log1p); y is the share of values per bin,
    log scale. The shares of synthetic values below/above the real range (under/overflow bins) are
    written in each panel.
    """
    sides: list[tuple[str, Dataset, str]] = [("real", real, REAL_COLOR)]
    if test is not None:
        sides.append(("real test", test, TEST_COLOR))
    sides.append(("synthetic", synthetic, SYN_COLOR))
    values = {name: feature_values(ds) for name, ds, _ in sides}
    fig = Figure(figsize=(11, 7.5))
    axes = fig.subplots(2, 2).ravel()
    for ax, f in zip(axes, BINNED, strict=True):
        b = edges.bins[f]
        x_edges = np.expm1(b.edges) + 1 if b.n_regular > 1 else np.array([b.lo + 0.5, b.lo + 1.5])
        notes = []
        for name, _, color in sides:
            c = b.counts(values[name][f]).astype(float)
            share = c / max(c.sum(), 1)
            ax.stairs(np.where(share[1:-1] > 0, share[1:-1], np.nan), x_edges, color=color, label=name, linewidth=1.5)
            if name != "real":
                notes.append(f"{name}: {100 * share[0]:.1f}% below, {100 * share[-1]:.1f}% above real range")
        ax.set_xscale("log")
        ax.set_yscale("log")
        _plain_log_ticks(ax.xaxis, x_edges)
        ax.set_xlabel(f"{LABELS[f]} + 1")
        ax.set_ylabel("share per bin")
        ax.set_title(f"{f}: " + ("per object" if f == "M" else "per record"))
        ax.text(0.02, 0.02, "\n".join(notes), transform=ax.transAxes, fontsize=7, va="bottom")
        ax.legend(fontsize=8)
    fig.suptitle("Distributions on the shared bins (fixed by the real data)")
    fig.tight_layout()
    return _save(fig, path, tight=False)


def _plain_log_ticks(axis, edges: np.ndarray) -> None:
    """Plain numbers on a log axis; minor labels only when it spans less than a decade."""
    fmt = ticker.FuncFormatter(lambda v, _: f"{v:g}")
    axis.set_major_formatter(fmt)
    if edges[-1] / edges[0] < 10:
        axis.set_minor_formatter(fmt)
    else:
        axis.set_minor_formatter(ticker.NullFormatter())


def pick_series_category(real: Dataset, synthetic: Dataset) -> str:
    """The most common real category that the synthetic data also has (else the most common real one)."""
    syn = set(synthetic.categories)
    order = sorted(set(real.categories), key=lambda c: (-real.categories.count(c), c))
    both = [c for c in order if c in syn]
    return (both or order)[0]


def plot_series(real: Dataset, synthetic: Dataset, category: str, path: Path, n: int = 4, seed: int = 0) -> Path:
    """Up to ``n`` real and ``n`` synthetic series of ``category`` side by side: rows A, P, L; log y."""
    rng = np.random.default_rng(seed)
    fig = Figure(figsize=(11, 7.5))
    axes = fig.subplots(3, 2, sharey="row")
    for col, (name, ds) in enumerate((("real", real), ("synthetic", synthetic))):
        cats = np.array(ds.categories)
        idx = np.flatnonzero(cats == category)
        chosen = np.sort(rng.choice(idx, size=min(n, len(idx)), replace=False)) if len(idx) else idx
        series = ds.series() if len(chosen) else []
        for row, f in enumerate(("A", "P", "L")):
            ax = axes[row, col]
            for i in chosen:
                y = series[i][:, row]
                ax.plot(np.arange(len(y)), y, marker=".", markersize=3, linewidth=0.8, label=ds.device_ids[i][:40])
            if f == "A":
                ax.set_yscale("symlog", linthresh=1e-3)
            else:
                ax.set_yscale("log")
            ax.set_ylabel(LABELS[f])
            if row == 0:
                ax.set_title(f"{name}: {len(chosen)} of {len(idx)} objects")
                if len(chosen):
                    ax.legend(fontsize=6)
                else:
                    ax.text(0.5, 0.5, "no objects of this category", transform=ax.transAxes, ha="center")
            if row == 2:
                ax.set_xlabel("record index j")
    fig.suptitle(f"Series of category {category!r}, real vs synthetic")
    fig.tight_layout()
    return _save(fig, path, tight=False)


def plot_distances(distances: Mapping[str, Mapping[str, float]], floor: Mapping[str, Mapping[str, Any]], path: Path) -> Path:
    """Bars of JSD per metric for each compared real set, with the floor (mean +- std) as black marks.

    ``distances``: {label: {metric: jsd}} with metrics ``C, M, A, P, L, cat_M, ...``; ``floor`` as
    returned by :func:`kegan.evaluate.floor.floor`.
    """
    metrics = [m for m in floor if any(m in d for d in distances.values())]
    x = np.arange(len(metrics))
    width = 0.8 / max(len(distances), 1)
    fig = Figure(figsize=(10, 4))
    ax = fig.subplots()
    colors = [SYN_COLOR, TEST_COLOR, REAL_COLOR]
    for i, (label, d) in enumerate(distances.items()):
        ax.bar(x - 0.4 + width * (i + 0.5), [d.get(m, np.nan) for m in metrics], width, label=label, color=colors[i % 3])
    ax.errorbar(
        x,
        [floor[m]["mean"] for m in metrics],
        yerr=[floor[m]["std"] for m in metrics],
        fmt="_",
        color="black",
        markersize=20,
        capsize=4,
        label="floor: real half vs real half (mean +- std)",
    )
    ax.set_xticks(x, metrics)
    ax.set_ylim(0, 1)
    ax.set_ylabel("Jensen-Shannon distance (0 same, 1 disjoint)")
    ax.set_title("Distances to the real data, beside the floor (cat_*: categorized JSD)")
    ax.legend(fontsize=8)
    return _save(fig, path)
