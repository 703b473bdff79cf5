"""Fixed-length, non-negative feature vectors per object, for TSTR classifiers and privacy distances.

An object's series (M records of A, P, L) becomes one vector of ``len(FEATURE_NAMES)`` = 33 values:

- ``log_M``: log1p of the series length M;
- ``log_sum_A``, ``log_sum_P``: log1p of the total of A (the span of the series in time) and of P
  (the packets in the series);
- for each of A, P, L, taken on the log1p scale (the values span orders of magnitude): ``mean``,
  ``std``, ``min``, ``p10``, ``p25``, ``p50``, ``p75``, ``p90``, ``max``, and ``absdiff`` (mean absolute
  change between consecutive records, 0 for a series of one record: how bursty the series is).

All values are >= 0 because A >= 0, P >= 1 and L > 0, so multinomial naive Bayes can use them as they
are. Negative inputs (an invalid dataset) are clipped to 0 first.
"""

from __future__ import annotations

import numpy as np

from ..dataset.format import FEATURES, Dataset

_PER_FEATURE = ("mean", "std", "min", "p10", "p25", "p50", "p75", "p90", "max", "absdiff")
_PERCENTILES = (10, 25, 50, 75, 90)
FEATURE_NAMES: tuple[str, ...] = ("log_M", "log_sum_A", "log_sum_P") + tuple(
    f"{f}_{s}" for f in FEATURES for s in _PER_FEATURE
)


def series_vector(series: np.ndarray) -> np.ndarray:
    """One object's (M, 3) array of (A, P, L) -> float64 vector, shape (len(FEATURE_NAMES),)."""
    x = np.clip(np.asarray(series, dtype=np.float64).reshape(-1, 3), 0.0, None)
    if len(x) == 0:
        return np.zeros(len(FEATURE_NAMES))
    z = np.log1p(x)  # (M, 3)
    head = [np.log1p(len(x)), np.log1p(x[:, 0].sum()), np.log1p(x[:, 1].sum())]
    pct = np.percentile(z, _PERCENTILES, axis=0)  # (5, 3)
    absdiff = np.abs(np.diff(z, axis=0)).mean(axis=0) if len(z) > 1 else np.zeros(3)
    per = np.stack([z.mean(0), z.std(0), z.min(0), *pct, z.max(0), absdiff])  # (10, 3)
    return np.concatenate([head, per.T.ravel()])


def object_features(ds: Dataset) -> np.ndarray:
    """Feature matrix of ``ds``, shape (N, len(FEATURE_NAMES)), rows in ``ds.devices`` order."""
    if len(ds) == 0:
        return np.zeros((0, len(FEATURE_NAMES)))
    return np.stack([series_vector(s) for s in ds.series()])
