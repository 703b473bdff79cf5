"""The paper's extended records (A, P, L, F) shared by the AR, HMM, LSTM and naive-GAN baselines.

Section 4.2.1 turns each record of an object into ``(C, A, P, L, F)`` with ``F = 1`` while the series
goes on and ``F = 0`` at its last record, so that a model of fixed-length steps can also decide where a
series ends. Here A, P and L are put on a log1p scale and min-max scaled to [0, 1] by the training data
(the features are heavy-tailed, appendix C), F stays 0/1, and the category is kept apart as an index.

``TrainingData.from_dataset(ds)`` validates a training set and holds everything a baseline needs:
the scaler, the unit-scaled extended series, category indices and frequencies, and ``m_max``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..dataset.format import Dataset
from ..dataset.scaling import FeatureScaler
from ..errors import DataError

#: Width of an extended record: A, P, L (unit scale) and the continuation flag F.
EXTENDED_WIDTH = 4
#: A generated record whose F falls below this ends its series (paper section 4.2.1).
STOP_BELOW = 0.5


def extend(unit_series: np.ndarray) -> np.ndarray:
    """(M, 3) unit-scale records -> (M, 4) extended records, F = 1 except 0 at the last record."""
    m = len(unit_series)
    flag = np.ones((m, 1))
    flag[-1, 0] = 0.0
    return np.concatenate([unit_series, flag], axis=1)


def length_from_flags(flags: np.ndarray, m_max: int) -> np.ndarray:
    """Series lengths from generated flags.

    ``flags`` is (n, steps); a series ends at its first record whose F < 0.5 (that record included),
    or after ``m_max`` records. Returns (n,) int64 lengths in [1, m_max].
    """
    flags = np.asarray(flags)[:, :m_max]
    stop = flags < STOP_BELOW
    first = np.where(stop.any(axis=1), stop.argmax(axis=1) + 1, flags.shape[1])
    return np.clip(first, 1, m_max).astype(np.int64)


@dataclass
class TrainingData:
    """A validated training set in the baselines' terms."""

    scaler: FeatureScaler
    extended: list[np.ndarray]  # per object (M_i, 4): A, P, L in [0, 1] and F
    category_index: np.ndarray  # (N,) int64 into ``category_names``
    category_names: list[str]  # sorted real categories
    category_probs: np.ndarray  # (K,) training frequency of each category
    m_max: int  # longest training series

    @classmethod
    def from_dataset(cls, dataset: Dataset, generator: str) -> TrainingData:
        """Validate ``dataset`` and derive the extended records.

        Raises DataError when the dataset has no objects, an object without records, or non-finite /
        negative values (names the generator and the object).
        """
        if len(dataset) == 0:
            raise DataError(f"{generator}: the training dataset has no objects")
        series = dataset.series()
        for dev, s in zip(dataset.device_ids, series, strict=True):
            if len(s) == 0:
                raise DataError(f"{generator}: object {dev!r} has no records (every series needs >= 1)")
            if not np.isfinite(s).all() or (s < 0).any():
                raise DataError(f"{generator}: object {dev!r} has non-finite or negative A/P/L values")
        scaler = FeatureScaler.fit(series)
        names = dataset.category_names
        lookup = {c: i for i, c in enumerate(names)}
        index = np.array([lookup[c] for c in dataset.categories], dtype=np.int64)
        probs = np.bincount(index, minlength=len(names)) / len(index)
        return cls(
            scaler=scaler,
            extended=[extend(scaler.transform(s)) for s in series],
            category_index=index,
            category_names=names,
            category_probs=probs,
            m_max=int(max(len(s) for s in series)),
        )

    @property
    def n_categories(self) -> int:
        return len(self.category_names)

    def one_hot(self, index: np.ndarray) -> np.ndarray:
        """(n,) category indices -> (n, K) float64 one-hot."""
        return np.eye(self.n_categories)[np.asarray(index, dtype=np.int64)]

    def to_raw(self, extended: np.ndarray, length: int) -> np.ndarray:
        """The first ``length`` rows of a generated (steps, >=3) unit-scale array -> raw (length, 3)."""
        return self.scaler.inverse(np.asarray(extended)[:length, :3])
