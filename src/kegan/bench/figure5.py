"""Figure 5: knowledge with little data.

KE-GAN with knowledge (``kegan``) and without (``kegan-no-knowledge``) are trained on 20, 40, 60 and 80%
of the training part (a stratified, seeded subsample; both variants see the same subsample), each
fraction repeated with a fresh subsample and seed. Each run samples as many objects as the full
training part (so that sample-size noise in the JSD is the same at every fraction) and is scored
against the full real data on the bench's bin edges, as the paper does.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from ..dataset.format import Dataset
from ..dataset.split import split_objects
from .protocol import BenchSettings, display_name, fit_and_sample

VARIANTS = ("kegan", "kegan-no-knowledge")
METRICS = ("C", "M", "A", "P", "L")
METRIC_LABELS = {"C": "Category", "M": "Series length", "A": "Arrival time interval", "P": "Packet number",
                 "L": "Average packet length"}


def subsample(train: Dataset, fraction: float, seed: int) -> Dataset:
    """``fraction`` of the training part's objects, stratified by category (every category keeps >= 1)."""
    if fraction >= 1.0:
        return train
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # single-object categories stay whole: intended here
        ids, _ = split_objects(train, fraction, seed)
    return train.subset(ids)


def run_figure5(
    get_class: Callable[[str], Any],
    train: Dataset,
    real: Dataset,
    embeddings: dict[str, np.ndarray] | None,
    edges: Any,
    settings: BenchSettings,
    announce: Callable[[str], None] = lambda s: None,
) -> dict[str, Any]:
    """Every (variant, fraction, repeat) run; returns ``{"runs": [...], "summary": {...}, ...}``.

    ``embeddings`` maps object id -> vector (None: knowledge missing, the knowledge variant fails and
    is recorded so). A run that fails is recorded with its error and left out of the summary.
    """
    from ..evaluate import categorized, fidelity

    runs = []
    n = len(train)
    for r in range(settings.fig5_repeats):
        for frac in settings.fig5_fractions:
            part = subsample(train, frac, seed=settings.seed + 1000 * (r + 1) + int(round(100 * frac)))
            emb = np.stack([embeddings[d] for d in part.device_ids]) if embeddings is not None else None
            for variant in VARIANTS:
                announce(f"Figure 5: {display_name(variant)}, {frac:.0%} of the training part, repeat {r + 1}")
                rec, synth, _ = fit_and_sample(
                    get_class, variant, part, emb, n, seed=settings.seed + r, minutes=settings.fig5_minutes,
                    device=settings.device, quick=settings.quick,
                )
                run = {"variant": variant, "fraction": frac, "repeat": r, "n_train": len(part),
                       "status": rec["status"], "train_seconds": rec.get("train_seconds")}
                if synth is not None:
                    try:
                        run["jsd"] = fidelity(real, synth, edges)
                        cat = categorized(real, synth, edges)
                        run["categorized"] = {k: v for k, v in cat.items() if k != "per_category"}
                    except Exception as e:  # noqa: BLE001 - scoring a broken sample must not stop the bench
                        rec.update(status="failed", failed_at="score", error=f"{type(e).__name__}: {e}")
                        run["status"] = "failed"
                if run["status"] != "ok":
                    run["error"] = rec.get("error")
                runs.append(run)
    return {
        "variants": list(VARIANTS),
        "fractions": list(settings.fig5_fractions),
        "repeats": settings.fig5_repeats,
        "minutes": settings.fig5_minutes,
        "n_sampled": n,
        "against": "full real dataset",
        "runs": runs,
        "summary": summarize(runs),
    }


def summarize(runs: list[dict[str, Any]]) -> dict[str, dict[str, dict[str, dict[str, float]]]]:
    """{variant: {fraction (str): {metric: {mean, std, min, max, n}}}} over the successful runs."""
    out: dict[str, dict[str, dict[str, dict[str, float]]]] = {}
    for variant in dict.fromkeys(r["variant"] for r in runs):
        for frac in dict.fromkeys(r["fraction"] for r in runs):
            ok = [r for r in runs if r["variant"] == variant and r["fraction"] == frac and "jsd" in r]
            if not ok:
                continue
            stats = {}
            for m in METRICS:
                v = np.array([r["jsd"][m] for r in ok], dtype=np.float64)
                stats[m] = {"mean": float(v.mean()), "std": float(v.std()), "min": float(v.min()),
                            "max": float(v.max()), "n": int(len(v))}
            out.setdefault(variant, {})[f"{frac:g}"] = stats
    return out


def plot_figure5(fig5: dict[str, Any], path: Path) -> Path | None:
    """The paper's Figure 5: JSD vs sampling rate per metric, with knowledge solid blue, without dashed
    orange, mean line and a band of ± one standard deviation over repeats (dots: single runs).

    Returns ``path``, or None when there is nothing to draw.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    summary = fig5.get("summary") or {}
    if not summary:
        return None
    styles = {"kegan": ("tab:blue", "-", "with knowledge (KE-GAN)"),
              "kegan-no-knowledge": ("tab:orange", "--", "without knowledge (Non-KGE)")}
    fig, axes = plt.subplots(1, len(METRICS), figsize=(3.2 * len(METRICS), 3.0), sharex=True)
    for ax, m in zip(axes, METRICS, strict=True):
        for variant, by_frac in summary.items():
            color, ls, label = styles.get(variant, ("tab:gray", ":", variant))
            fr = sorted(by_frac, key=float)
            x = np.array([100 * float(f) for f in fr])
            mean = np.array([by_frac[f][m]["mean"] for f in fr])
            std = np.array([by_frac[f][m]["std"] for f in fr])
            ax.plot(x, mean, ls, color=color, marker="o", label=label)
            ax.fill_between(x, mean - std, mean + std, color=color, alpha=0.2, linewidth=0)
            pts = [(100 * r["fraction"], r["jsd"][m]) for r in fig5["runs"] if r["variant"] == variant and "jsd" in r]
            if pts:
                ax.scatter(*zip(*pts, strict=True), s=8, color=color, alpha=0.5)
        ax.set_title(METRIC_LABELS[m], fontsize=9)
        ax.set_xlabel("sampling rate of training set (%)", fontsize=8)
        ax.set_xticks([100 * f for f in fig5["fractions"]])
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("JSD to the full real data")
    axes[0].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
