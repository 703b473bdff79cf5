"""Reversible transforms between kegan series and DoppelGANger's training arrays.

Three steps, each undone at sampling time:

1. global: log1p of A, P, L (optional), then min/max to [0, 1] per feature over the training records;
2. auto-normalization (DG section 4.3): each series is rescaled by its own min and max to [0, 1], and
   ``(max + min) / 2`` and ``(max - min) / 2`` of every feature become 6 extra attributes that the
   model generates before the series;
3. generation flags (DG section 4.2): each record gets 2 more values, ``[1, 0]`` while the series goes
   on and ``[0, 1]`` at its last record; inside the last block of S records the flag stays ``[0, 1]``,
   whole blocks after the end are ``[0, 0]`` and the features are zero-padded.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

N_FEATURES = 3  # A, P, L
N_FLAGS = 2  # [continue, end]
N_MINMAX = 2 * N_FEATURES  # (max+min)/2, (max-min)/2 per feature, interleaved as in DG


@dataclass
class EncodedSeries:
    """Training arrays: ``features`` (N, T, 3) in [0, 1] per series, zero after each series' end;
    ``minmax`` (N, 6) as [plus_A, minus_A, plus_P, minus_P, plus_L, minus_L] in global [0, 1] units;
    ``lengths`` (N,) in [1, T]."""

    features: np.ndarray
    minmax: np.ndarray
    lengths: np.ndarray


@dataclass
class AutoNormalization:
    """The fitted global transform and DG's per-series auto-normalization.

    ``low``/``high`` (3,) are the global per-feature min/max after the optional log1p; ``eps`` widens
    each series' range as DG does, so a constant series still has a non-zero range.
    """

    log_transform: bool
    low: np.ndarray
    high: np.ndarray
    eps: float = 1e-4

    @classmethod
    def fit(
        cls, series: Sequence[np.ndarray], log_transform: bool = True, eps: float = 1e-4
    ) -> AutoNormalization:
        """Global ranges from the (M_i, 3) training series (non-negative values)."""
        stacked = np.concatenate([np.asarray(s, dtype=np.float64).reshape(-1, N_FEATURES) for s in series])
        if log_transform:
            stacked = np.log1p(stacked)
        return cls(log_transform=log_transform, low=stacked.min(axis=0), high=stacked.max(axis=0), eps=eps)

    # -- global step ----------------------------------------------------------------------------
    def _span(self) -> np.ndarray:
        span = self.high - self.low
        return np.where(span > 0, span, 1.0)  # a constant feature maps to 0 and back

    def to_unit(self, values: np.ndarray) -> np.ndarray:
        """(..., 3) raw A, P, L -> global [0, 1] units."""
        v = np.asarray(values, dtype=np.float64)
        if self.log_transform:
            v = np.log1p(v)
        return (v - self.low) / self._span()

    def from_unit(self, values: np.ndarray) -> np.ndarray:
        """(..., 3) global units -> raw A, P, L; values are clipped to [0, 1], the real range."""
        v = np.clip(np.asarray(values, dtype=np.float64), 0.0, 1.0) * self._span() + self.low
        return np.expm1(v) if self.log_transform else v

    # -- per-series step ------------------------------------------------------------------------
    def encode(self, series: Sequence[np.ndarray], total_len: int) -> EncodedSeries:
        """Pad/cut every series to ``total_len`` records and auto-normalize it.

        Series longer than ``total_len`` are cut (the model cannot emit more records).
        """
        n = len(series)
        features = np.zeros((n, total_len, N_FEATURES), dtype=np.float32)
        minmax = np.zeros((n, N_MINMAX), dtype=np.float32)
        lengths = np.zeros(n, dtype=np.int64)
        for i, s in enumerate(series):
            unit = self.to_unit(np.asarray(s, dtype=np.float64).reshape(-1, N_FEATURES)[:total_len])
            lo = unit.min(axis=0) - self.eps
            hi = unit.max(axis=0) + self.eps
            features[i, : len(unit)] = (unit - lo) / (hi - lo)
            minmax[i, 0::2] = (hi + lo) / 2.0
            minmax[i, 1::2] = (hi - lo) / 2.0
            lengths[i] = len(unit)
        return EncodedSeries(features=features, minmax=minmax, lengths=lengths)

    def decode(self, features: np.ndarray, minmax: np.ndarray, lengths: np.ndarray) -> list[np.ndarray]:
        """Inverse of ``encode``: (N, T, 3) per-series units + (N, 6) + (N,) -> N raw (M_i, 3) series."""
        plus = np.asarray(minmax, dtype=np.float64)[:, 0::2][:, None, :]  # (N, 1, 3)
        minus = np.asarray(minmax, dtype=np.float64)[:, 1::2][:, None, :]
        unit = np.asarray(features, dtype=np.float64) * (2.0 * minus) + (plus - minus)  # (N, T, 3)
        return [self.from_unit(unit[i, : int(m)]) for i, m in enumerate(lengths)]

    # -- persistence ----------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return {
            "log_transform": self.log_transform,
            "low": self.low.tolist(),
            "high": self.high.tolist(),
            "eps": self.eps,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> AutoNormalization:
        return cls(
            bool(d["log_transform"]),
            np.asarray(d["low"], float),
            np.asarray(d["high"], float),
            float(d["eps"]),
        )


def generation_flags(lengths: np.ndarray, total_len: int, sample_len: int) -> np.ndarray:
    """DG's 2-value generation flags for real series: (N,) lengths -> (N, T, 2) float32.

    ``[1, 0]`` for a record followed by another, ``[0, 1]`` for the last record and for the padding
    that shares its block of ``sample_len`` records, ``[0, 0]`` for whole blocks after the end.
    """
    t = np.arange(total_len)[None, :]  # (1, T)
    m = np.asarray(lengths)[:, None]  # (N, 1)
    goes_on = t < m - 1
    block_started = (t // sample_len) * sample_len < m
    ended = ~goes_on & block_started
    return np.stack([goes_on, ended], axis=-1).astype(np.float32)
