"""Conditional generation check: how often a sample's category is its conditioning object's category."""

from __future__ import annotations

import numpy as np

from ..dataset.format import Dataset
from .kegan import KEGAN


def category_agreement(model: KEGAN, dataset: Dataset, embeddings: np.ndarray | None, n: int, seed: int = 0) -> float:
    """Share of ``n`` samples whose category equals the category of the object whose K conditioned it.

    ``embeddings`` (N, dim) are row-aligned with ``dataset.devices`` (None for a model trained without
    knowledge: its conditioning then carries no information, and the share is the chance level).
    Returns a float in [0, 1].
    """
    pool = embeddings if embeddings is not None else np.zeros((len(dataset), 0), dtype=np.float32)
    synthetic, cond = model.sample(n, seed=seed, embeddings=pool, return_conditioning=True)
    real = np.asarray(dataset.categories, dtype=object)[cond]
    return float(np.mean(np.asarray(synthetic.categories, dtype=object) == real))
