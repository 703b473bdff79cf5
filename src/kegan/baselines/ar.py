"""The paper's auto-regressive baseline (section 4.2.1, "AR").

Each record is extended to (A, P, L, F) (``extended.py``); a least-squares AR model of order ``t``
predicts the next extended record from the ``t`` previous ones of the same object plus the category as
an exogenous one-hot with its first level dropped. Generation samples a category from the real
frequencies, seeds the lags with the first ``min(t, M)`` records of a real object of that category
(zero-padded, F forced to 1), and rolls out until F < 0.5 or ``m_max`` records. A plain least-squares
model is deterministic, so each step adds Gaussian noise with the fitted residual covariance; without
it every seed object would always give the same series.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..dataset.format import Dataset
from .base import Generator, synthetic_dataset
from .common import check_sample, parse_settings
from .extended import EXTENDED_WIDTH, TrainingData, length_from_flags


def lag_design(extended: list[np.ndarray], category_index: np.ndarray, order: int, n_categories: int):
    """Stack the regression rows of every object; no lag crosses two objects.

    Row for record j of object i: ``[1, x_{j-1}, ..., x_{j-t}, onehot(C_i)[1:]]`` with x the (4,)
    extended records and zeros before the first record. Returns (X (R, 1 + 4t + K - 1), Y (R, 4)).
    """
    xs, ys = [], []
    for ext, c in zip(extended, category_index, strict=True):
        m = len(ext)
        padded = np.concatenate([np.zeros((order, EXTENDED_WIDTH)), ext])  # (t + M, 4)
        # lags[j] = [x_{j-1}, ..., x_{j-t}] flattened, (M, 4t)
        lags = np.concatenate([padded[order - k : order - k + m] for k in range(1, order + 1)], axis=1)
        exog = np.zeros((m, n_categories - 1))
        if c > 0:
            exog[:, c - 1] = 1.0
        xs.append(np.concatenate([np.ones((m, 1)), lags, exog], axis=1))
        ys.append(ext)
    return np.concatenate(xs), np.concatenate(ys)


class ARGenerator(Generator):
    """AR(t) over extended records with residual noise. Settings: ``order`` (t, default 3)."""

    name = "ar"

    def __init__(
        self, max_minutes: float | None = None, seed: int = 0, device: str = "auto", **settings: Any
    ):
        super().__init__(max_minutes=max_minutes, seed=seed, device=device, **settings)
        self.order = parse_settings(self.name, settings, {"order": 3})["order"]

    def fit(self, dataset: Dataset, embeddings: np.ndarray | None = None) -> ARGenerator:
        """Least-squares fit on ``dataset`` (embeddings are ignored). Returns self."""
        data = TrainingData.from_dataset(dataset, self.name)
        x, y = lag_design(data.extended, data.category_index, self.order, data.n_categories)
        coef, *_ = np.linalg.lstsq(x, y, rcond=None)  # (1 + 4t + K - 1, 4)
        resid = y - x @ coef
        dof = max(len(x) - x.shape[1], 1)
        cov = resid.T @ resid / dof  # (4, 4)
        # Cholesky of the residual covariance, with a small ridge when a column is (near) constant.
        self.noise_factor_ = np.linalg.cholesky(cov + 1e-9 * np.eye(EXTENDED_WIDTH))
        self.coef_ = coef
        self.residual_cov_ = cov
        self.data_ = data
        return self

    def sample(self, n: int, seed: int = 0) -> Dataset:
        """``n`` synthetic objects; the same ``seed`` gives the same objects."""
        check_sample(self, n)
        data, t = self.data_, self.order
        rng = np.random.default_rng(seed)
        cats = rng.choice(data.n_categories, size=n, p=data.category_probs)
        lags = np.zeros((n, t, EXTENDED_WIDTH))  # lags[:, 0] is the most recent record
        for i, c in enumerate(cats):
            pool = np.flatnonzero(data.category_index == c)
            seed_obj = data.extended[rng.choice(pool)][:t].copy()
            seed_obj[:, 3] = 1.0  # the seed says "the series goes on"
            k = len(seed_obj)
            lags[i, :k] = seed_obj[::-1]
        exog = data.one_hot(cats)[:, 1:]
        out = np.zeros((n, data.m_max, EXTENDED_WIDTH))
        for j in range(data.m_max):
            design = np.concatenate([np.ones((n, 1)), lags.reshape(n, t * EXTENDED_WIDTH), exog], axis=1)
            step = design @ self.coef_ + rng.standard_normal((n, EXTENDED_WIDTH)) @ self.noise_factor_.T
            out[:, j] = step
            # Feed back values inside the training range so the recursion cannot run away.
            lags = np.concatenate([np.clip(step, 0.0, 1.0)[:, None], lags[:, :-1]], axis=1)
        lengths = length_from_flags(out[:, :, 3], data.m_max)
        series = [data.to_raw(out[i], lengths[i]) for i in range(n)]
        names = [data.category_names[c] for c in cats]
        return synthetic_dataset(names, series, self.name, meta={"seed": int(seed), "order": t})
