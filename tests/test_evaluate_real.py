"""The distances on the real IoT Sentinel captures (ingested once per session by conftest)."""

from __future__ import annotations

import numpy as np
import pytest

from kegan.dataset import read_dataset, split_objects
from kegan.dataset.format import Dataset
from kegan.evaluate import BinEdges, categorized, fidelity, floor


@pytest.mark.slow
def test_real_data_distances_and_floor(sentinel_dataset):
    real = read_dataset(sentinel_dataset)
    edges = BinEdges.from_real(real)
    values = real.records["L"].to_numpy()
    counts = edges.counts("L", values)
    assert counts[0] == counts[-1] == 0 and counts.sum() == len(values)  # the real data fits its own bins
    assert counts[-2] >= 1  # the real maximum lands in the last regular bin

    copy = Dataset.from_series([f"syn-{i}" for i in range(len(real))], real.categories, real.series())
    assert set(fidelity(real, copy, edges).values()) == {0.0}

    fl = floor(real, edges, seeds=(0, 1))
    for key in ("M", "A", "P", "L", "cat_M", "cat_A", "cat_P", "cat_L"):
        assert 0.0 < fl[key]["mean"] < 1.0, key
    # the 30% part of a stratified split is a fair real sample: within a few floors of the whole
    _, te = split_objects(real, 0.7, seed=0)
    part = real.subset(te)
    d = fidelity(real, part, edges)
    cat = categorized(real, part, edges)
    assert all(d[f] < 3 * fl[f]["mean"] + 0.05 for f in "MAPL"), (d, fl)
    assert all(cat[f] < 1.0 for f in "MAPL")
    # a generator that drops the packet sizes to one value is far above the floor
    flat = [np.column_stack([s[:, 0], s[:, 1], np.full(len(s), 60.0)]) for s in real.series()]
    bad = Dataset.from_series([f"b{i}" for i in range(len(real))], real.categories, flat)
    assert fidelity(real, bad, edges)["L"] > 5 * fl["L"]["mean"]
