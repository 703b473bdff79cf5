"""Reversible scaling of the heavy-tailed record features A, P, L (paper Appendix C) to [0, 1].

Forward: y = log1p(x), then min-max to [0, 1] by the training data's range of y, per feature.
Inverse: back through the range and expm1, then made valid: P an integer >= 1, L > 0, A >= 0 and the
first record's A = 0 as in real data. A feature whose training values are all equal has range 0; it
maps to 0 forward and back to that one value (no division by zero, no NaN).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..errors import DataError
from .format import FEATURES


@dataclass
class FeatureScaler:
    """Per-feature range of log1p(x) seen in training: ``low[f]``, ``high[f]`` for f in (A, P, L)."""

    low: np.ndarray  # (3,)
    high: np.ndarray  # (3,)

    @classmethod
    def fit(cls, series: Sequence[np.ndarray]) -> FeatureScaler:
        """Learn the ranges from (M_i, 3) arrays of raw (A, P, L); raises DataError on bad values."""
        if not len(series):
            raise DataError("no series to fit the feature scaling on")
        values = np.concatenate([np.asarray(s, dtype=np.float64).reshape(-1, 3) for s in series])
        if not np.isfinite(values).all():
            raise DataError("records contain non-finite A, P or L values")
        if (values < 0).any():
            col = FEATURES[int(np.flatnonzero((values < 0).any(axis=0))[0])]
            raise DataError(f"records: feature {col} has negative values; expected A >= 0, P >= 1, L > 0")
        logs = np.log1p(values)
        return cls(low=logs.min(axis=0), high=logs.max(axis=0))

    @property
    def span(self) -> np.ndarray:
        """high - low, with 1 where the feature is constant (so that it scales to 0, not NaN)."""
        span = self.high - self.low
        return np.where(span > 0, span, 1.0)

    def transform(self, x: np.ndarray) -> np.ndarray:
        """(..., 3) raw -> (..., 3) scaled; values outside the training range fall outside [0, 1]."""
        return (np.log1p(np.asarray(x, dtype=np.float64)) - self.low) / self.span

    def inverse(self, z: np.ndarray) -> np.ndarray:
        """(..., 3) scaled -> (..., 3) raw, clipped to the training range (no float overflow)."""
        z = np.clip(np.nan_to_num(np.asarray(z, dtype=np.float64), nan=0.0), 0.0, 1.0)
        return np.expm1(self.low + z * (self.high - self.low))

    def inverse_series(self, z: np.ndarray) -> np.ndarray:
        """One generated (M, 3) scaled series -> valid raw records (P >= 1 integer, L > 0, A >= 0, A[0] = 0)."""
        x = self.inverse(z)
        x[:, 0] = np.maximum(x[:, 0], 0.0)
        x[0, 0] = 0.0
        x[:, 1] = np.maximum(np.rint(x[:, 1]), 1.0)
        x[:, 2] = np.maximum(x[:, 2], 1e-6)
        return x

    def to_dict(self) -> dict:
        return {"kind": "log1p-minmax", "features": list(FEATURES), "low": self.low.tolist(),
                "high": self.high.tolist()}

    @classmethod
    def from_dict(cls, data: dict) -> FeatureScaler:
        if data.get("kind") != "log1p-minmax" or len(data.get("low", [])) != 3 or len(data.get("high", [])) != 3:
            raise DataError(f"model transforms: expected kind 'log1p-minmax' with 3 low/high values, got {data!r}")
        return cls(low=np.asarray(data["low"], dtype=np.float64), high=np.asarray(data["high"], dtype=np.float64))
