"""Plain summary statistics, so that a user sees *where* two distributions differ, not only by how much."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..dataset.format import Dataset
from .binning import feature_values

QUANTILES = {"p50": 50, "p90": 90, "p99": 99}


def describe(ds: Dataset) -> dict[str, Any]:
    """Summary of one dataset.

    Returns ``{"n_objects", "n_records", "features": {M|A|P|L: {"mean", "p50", "p90", "p99", "min",
    "max"}}, "category_share": {category: share of objects}}``; M is per object, A, P, L per record.
    An empty dataset gives NaN statistics and no category shares.
    """
    features = {}
    for f, v in feature_values(ds).items():
        if len(v) == 0:
            features[f] = {k: float("nan") for k in ("mean", *QUANTILES, "min", "max")}
            continue
        row = {"mean": float(v.mean())}
        row.update({k: float(np.percentile(v, q)) for k, q in QUANTILES.items()})
        row.update({"min": float(v.min()), "max": float(v.max())})
        features[f] = row
    cats = ds.categories
    share = {c: cats.count(c) / len(cats) for c in sorted(set(cats))}
    return {"n_objects": len(ds), "n_records": int(len(ds.records)), "features": features, "category_share": share}


def compare(real: Dataset, synthetic: Dataset) -> dict[str, Any]:
    """``{"real": describe(real), "synthetic": describe(synthetic)}`` with category shares over the union
    of both sides' categories (0.0 where a side lacks one)."""
    r, s = describe(real), describe(synthetic)
    cats = sorted(set(r["category_share"]) | set(s["category_share"]))
    for d in (r, s):
        d["category_share"] = {c: float(d["category_share"].get(c, 0.0)) for c in cats}
    return {"real": r, "synthetic": s}

