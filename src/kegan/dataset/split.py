"""Seeded, stratified splits of a dataset by object (shared by demo, evaluate and bench)."""

from __future__ import annotations

import warnings

import numpy as np

from .format import Dataset


def split_objects(ds: Dataset, train_fraction: float = 0.7, seed: int = 0) -> tuple[list[str], list[str]]:
    """Split object ids into (train, test), stratified by category, seeded.

    Each category contributes round(n * train_fraction) objects to training, at least one to each
    side when it has two or more objects. A category with a single object goes whole to training,
    with a warning. Ids keep the dataset's order within each side.
    """
    rng = np.random.default_rng(seed)
    ids = np.array(ds.device_ids)
    cats = np.array(ds.categories)
    train: set[str] = set()
    small = []
    for c in sorted(set(cats)):
        members = ids[cats == c]
        if len(members) < 2:
            small.append(c)
            train.update(members)
            continue
        k = int(round(len(members) * train_fraction))
        k = min(max(k, 1), len(members) - 1)
        chosen = rng.permutation(members)[:k]
        train.update(chosen)
    if small:
        warnings.warn(
            f"categories with too few objects to split went whole to training: {', '.join(small)}",
            stacklevel=2,
        )
    train_ids = [d for d in ids if d in train]
    test_ids = [d for d in ids if d not in train]
    return train_ids, test_ids
