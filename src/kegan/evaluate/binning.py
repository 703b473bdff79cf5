"""Shared histogram bin edges for M, A, P, L, fixed by the real data only (issue 5, paper Eq. 5).

For each feature the real values (M: one per object; A, P, L: one per record, all objects pooled)
span [lo, hi]. The regular bins are ``N_BINS`` bins of equal width on the log1p scale from
log1p(lo) to log1p(hi): [e_i, e_i+1), the last one closed at hi. Values below lo go to an underflow
bin, values above hi to an overflow bin, so that synthetic values outside the real range count as a
difference instead of being dropped. If lo == hi there is a single regular bin holding exactly lo.

A histogram therefore has ``n_regular + 2`` counts: [underflow, regular bins..., overflow].
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..dataset.format import FEATURES, Dataset
from ..errors import DataError

N_BINS = 50
BINNED = ("M", "A", "P", "L")  # the paper's series length M and the three record features


def feature_values(ds: Dataset) -> dict[str, np.ndarray]:
    """The values each binned feature takes in ``ds``: M per object (N,), A, P, L per record (R,)."""
    out = {"M": ds.lengths().astype(np.float64)}
    for f in FEATURES:
        out[f] = ds.records[f].to_numpy(dtype=np.float64)
    return out


@dataclass(frozen=True)
class FeatureBins:
    """Bin edges of one feature: ``edges`` on the log1p scale, shape (n_regular + 1,)."""

    lo: float
    hi: float
    edges: np.ndarray

    @property
    def n_regular(self) -> int:
        return len(self.edges) - 1

    def counts(self, values: np.ndarray) -> np.ndarray:
        """Histogram of ``values`` (raw scale): int64 counts, shape (n_regular + 2,), under/overflow at the ends."""
        x = np.asarray(values, dtype=np.float64).ravel()
        out = np.zeros(self.n_regular + 2, dtype=np.int64)
        under = x < self.lo
        over = x > self.hi
        inside = x[~under & ~over]
        out[0] = int(under.sum())
        out[-1] = int(over.sum())
        if len(inside):
            if self.n_regular == 1:
                idx = np.zeros(len(inside), dtype=np.int64)
            else:
                # side="right" makes bins [e_i, e_i+1); the clip closes the last bin at hi (and guards
                # against log1p rounding at lo)
                idx = np.searchsorted(self.edges, np.log1p(inside), side="right") - 1
                idx = np.clip(idx, 0, self.n_regular - 1)
            out[1:-1] = np.bincount(idx, minlength=self.n_regular)
        return out


@dataclass(frozen=True)
class BinEdges:
    """Bin edges for M, A, P, L; build them with :meth:`from_real`, never per compared dataset."""

    bins: dict[str, FeatureBins]

    @classmethod
    def from_real(cls, ds: Dataset, n_bins: int = N_BINS) -> BinEdges:
        """Edges fixed by the real dataset ``ds``. Raises DataError when ``ds`` has no objects."""
        return cls.from_reals([ds], n_bins=n_bins)

    @classmethod
    def from_reals(cls, datasets: Iterable[Dataset], n_bins: int = N_BINS) -> BinEdges:
        """Edges fixed by several real datasets taken together (e.g. a training and a test part).

        Used when one synthetic dataset is compared with several real ones, so that every comparison
        uses the same edges from the full real data. Raises DataError when they hold no objects.
        """
        pooled: dict[str, list[np.ndarray]] = {f: [] for f in BINNED}
        for ds in datasets:
            for f, v in feature_values(ds).items():
                pooled[f].append(v)
        bins = {}
        for f in BINNED:
            v = np.concatenate(pooled[f]) if pooled[f] else np.zeros(0)
            if len(v) == 0:
                raise DataError(f"the real dataset has no values of {f}: cannot fix histogram bins")
            if not np.all(np.isfinite(v)) or v.min() < 0:
                raise DataError(f"the real dataset has {f} values that are negative or not finite")
            bins[f] = _feature_bins(float(v.min()), float(v.max()), n_bins)
        return cls(bins=bins)

    def counts(self, feature: str, values: np.ndarray) -> np.ndarray:
        """Histogram counts (n_regular + 2,) of raw ``values`` of ``feature`` ("M", "A", "P" or "L")."""
        return self.bins[feature].counts(values)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form: per feature the real min/max and the log1p edges."""
        return {f: {"min": b.lo, "max": b.hi, "log1p_edges": b.edges.tolist()} for f, b in self.bins.items()}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> BinEdges:
        """Inverse of :meth:`to_dict`."""
        return cls(
            bins={
                f: FeatureBins(lo=float(v["min"]), hi=float(v["max"]), edges=np.asarray(v["log1p_edges"], dtype=np.float64))
                for f, v in d.items()
            }
        )


def _feature_bins(lo: float, hi: float, n_bins: int) -> FeatureBins:
    if lo == hi:
        return FeatureBins(lo=lo, hi=hi, edges=np.array([np.log1p(lo), np.log1p(hi)]))
    # linspace puts the first and last edges exactly at log1p(lo) and log1p(hi)
    return FeatureBins(lo=lo, hi=hi, edges=np.linspace(np.log1p(lo), np.log1p(hi), n_bins + 1))
