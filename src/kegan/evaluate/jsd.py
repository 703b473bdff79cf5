"""Jensen-Shannon distances between a real and a synthetic dataset (paper Eq. 5, Tables 2 and 3).

JSD(P, Q) is ``scipy.spatial.distance.jensenshannon(p, q, base=2)``: the square root of the
Jensen-Shannon divergence with base-2 logarithms, in [0, 1] (0: same distribution, 1: disjoint
supports). The paper's Eq. 5 prints KL(P_O || P_r) where the standard form has KL(P_r || P_O); we use
the standard, symmetric form.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy.spatial.distance import jensenshannon

from ..dataset.format import FEATURES, Dataset
from .binning import BINNED, BinEdges, feature_values


def jsd(p: np.ndarray, q: np.ndarray) -> float:
    """JSD (base 2, square-root form) between two histograms of counts or probabilities, same shape.

    Returns a float in [0, 1]. If exactly one side is empty (all zeros) the distance is 1 (nothing of
    one distribution is matched by the other); if both are empty it is 0. Raises ValueError on
    shape mismatch or negative entries.
    """
    p = np.asarray(p, dtype=np.float64).ravel()
    q = np.asarray(q, dtype=np.float64).ravel()
    if p.shape != q.shape:
        raise ValueError(f"histograms differ in shape: {p.shape} vs {q.shape}")
    if (p < 0).any() or (q < 0).any():
        raise ValueError("histograms must be non-negative")
    sp, sq = p.sum(), q.sum()
    if sp == 0 or sq == 0:
        return 0.0 if sp == sq else 1.0
    p, q = p / sp, q / sq
    if np.array_equal(p, q):
        return 0.0
    with np.errstate(invalid="ignore"):
        d = float(jensenshannon(p, q, base=2))
    # scipy takes sqrt of the divergence; rounding can make a ~0 divergence slightly negative -> nan
    if np.isnan(d):
        d = 0.0
    return float(min(max(d, 0.0), 1.0))


def category_jsd(real_labels: Sequence[str], synthetic_labels: Sequence[str]) -> float:
    """JSD of category shares over the union of labels of both sides (a missing category counts)."""
    labels = sorted(set(real_labels) | set(synthetic_labels))
    index = {c: i for i, c in enumerate(labels)}
    p = np.bincount([index[c] for c in real_labels], minlength=len(labels))
    q = np.bincount([index[c] for c in synthetic_labels], minlength=len(labels))
    return jsd(p, q)


def _feature_distances(real_values: dict[str, np.ndarray], syn_values: dict[str, np.ndarray], edges: BinEdges) -> dict[str, float]:
    return {f: jsd(edges.counts(f, real_values[f]), edges.counts(f, syn_values[f])) for f in BINNED}


def fidelity(real: Dataset, synthetic: Dataset, edges: BinEdges) -> dict[str, float]:
    """Overall JSD between ``real`` and ``synthetic`` (paper Table 2).

    Returns ``{"C", "M", "A", "P", "L"}`` -> float in [0, 1]: C over category labels, M over series
    lengths (one per object), A, P, L over records of all objects pooled, histogrammed on ``edges``
    (which must come from the real data, see :class:`BinEdges`).
    """
    out = {"C": category_jsd(real.categories, synthetic.categories)}
    out.update(_feature_distances(feature_values(real), feature_values(synthetic), edges))
    return out


def _values_by_category(ds: Dataset) -> dict[str, dict[str, np.ndarray]]:
    """Per category, the values of M (per object) and A, P, L (per record) of its objects."""
    cats = np.array(ds.categories, dtype=object)
    lengths = ds.lengths().astype(np.float64)
    rec_cat = ds.records["device_id"].map(dict(zip(ds.device_ids, cats, strict=True))).to_numpy()
    out = {}
    for c in sorted(set(cats.tolist())):
        mask = rec_cat == c
        out[c] = {"M": lengths[cats == c]} | {f: ds.records[f].to_numpy(dtype=np.float64)[mask] for f in FEATURES}
    return out


def categorized(real: Dataset, synthetic: Dataset, edges: BinEdges) -> dict[str, Any]:
    """Categorized JSD (paper Table 3): per real category, JSD of M, A, P, L, averaged over categories.

    Each real category's objects are compared with the synthetic objects of the same category on the
    shared ``edges``; a real category the synthetic data lacks counts as distance 1 for every feature.
    Synthetic-only categories do not enter (they are caught by the category distance C).

    Returns ``{"M", "A", "P", "L"}`` -> mean over real categories (float), plus ``"per_category"``:
    ``{category: {"M", "A", "P", "L", "present": bool}}``. Raises ValueError when ``real`` is empty.
    """
    if len(real) == 0:
        raise ValueError("the real dataset has no objects")
    syn_parts = _values_by_category(synthetic)
    per: dict[str, dict[str, Any]] = {}
    for cat, real_values in _values_by_category(real).items():
        syn_values = syn_parts.get(cat)
        if syn_values is None:
            per[cat] = {f: 1.0 for f in BINNED} | {"present": False}
        else:
            per[cat] = _feature_distances(real_values, syn_values, edges) | {"present": True}
    out: dict[str, Any] = {f: float(np.mean([d[f] for d in per.values()])) for f in BINNED}
    out["per_category"] = per
    return out
