"""The floor: the distances between two halves of the real data itself.

Two finite samples of one distribution are never at distance 0, so no generator can be expected to
beat the distance between two real samples. The real objects are split in halves (by object,
stratified by category, ``kegan.dataset.split_objects`` with fraction 0.5) for several seeds, and the
overall and categorized JSD between the halves are averaged. Each half holds about half the objects,
so its sampling noise is somewhat larger than that of the full real data against an equally large
synthetic set: read the floor as the level below which differences are noise, not as a hard bound.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np

from ..dataset.format import Dataset
from ..dataset.split import split_objects
from ..errors import DataError
from .binning import BINNED, BinEdges
from .jsd import categorized, fidelity

OVERALL = ("C",) + BINNED
CATEGORIZED = tuple(f"cat_{f}" for f in BINNED)  # keys of the categorized distances in floor()


def floor(real: Dataset, edges: BinEdges, seeds: Sequence[int] = (0, 1, 2, 3, 4)) -> dict[str, dict[str, object]]:
    """JSD between two halves of ``real``, over ``seeds``.

    Returns ``{metric: {"mean": float, "std": float, "values": [float per seed]}}`` for the overall
    metrics ``C, M, A, P, L`` and the categorized ones ``cat_M, cat_A, cat_P, cat_L`` (std is the
    population standard deviation over seeds). A category with a single object stays whole in one half,
    so it counts as missing (distance 1) in the categorized floor, as it would for a generator that
    never produced it. Raises DataError when ``real`` has fewer than 2 objects.
    """
    if len(real) < 2:
        raise DataError(f"the floor needs at least 2 real objects, got {len(real)}")
    if not seeds:
        raise ValueError("floor needs at least one seed")
    values: dict[str, list[float]] = {k: [] for k in OVERALL + CATEGORIZED}
    for seed in seeds:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # single-object categories: documented above
            a_ids, b_ids = split_objects(real, 0.5, seed=int(seed))
        a, b = real.subset(a_ids), real.subset(b_ids)
        for k, v in fidelity(a, b, edges).items():
            values[k].append(v)
        cat = categorized(a, b, edges)
        for f in BINNED:
            values[f"cat_{f}"].append(cat[f])
    return {k: {"mean": float(np.mean(v)), "std": float(np.std(v)), "values": [float(x) for x in v]} for k, v in values.items()}
