"""The interface every generator in the bench implements.

``Generator(max_minutes=..., seed=..., device=..., **settings).fit(dataset, embeddings) -> self`` and
``.sample(n, seed) -> Dataset`` (synthetic: ids ``syn-000001``..., ``devices`` holds ``device_id`` and
``category`` only). The constructor only stores settings; learned state ends in ``_``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np

from ..dataset.format import Dataset


def synthetic_ids(n: int) -> list[str]:
    """Generated object ids ``syn-000001``...: never a real identifier."""
    return [f"syn-{i + 1:06d}" for i in range(n)]


def synthetic_dataset(
    categories: Sequence[str], series: Sequence[np.ndarray], generator: str, meta: dict[str, Any] | None = None
) -> Dataset:
    """Wrap generated (category, (M,3) series) pairs as a synthetic Dataset.

    The first record's A is set to 0 as in real data; P is rounded to an integer >= 1, L kept > 0 and
    A >= 0, so that every generator's output obeys the format whatever its raw values.
    """
    fixed = []
    for s in series:
        s = np.array(s, dtype=np.float64).reshape(-1, 3)
        s[:, 0] = np.clip(np.nan_to_num(s[:, 0], nan=0.0, posinf=0.0), 0.0, None)
        s[0, 0] = 0.0
        s[:, 1] = np.maximum(np.rint(np.nan_to_num(s[:, 1], nan=1.0, posinf=1.0)), 1.0)
        s[:, 2] = np.maximum(np.nan_to_num(s[:, 2], nan=1.0, posinf=1.0), 1e-6)
        fixed.append(s)
    m = {"kind": "synthetic", "generator": generator}
    m.update(meta or {})
    return Dataset.from_series(synthetic_ids(len(fixed)), list(categories), fixed, meta=m)


class Generator:
    """Base class: stores settings; subclasses implement ``fit`` and ``sample``."""

    name: ClassVar[str] = "generator"
    #: True when fit/sample use the knowledge-graph embeddings.
    needs_embeddings: ClassVar[bool] = False
    #: True for neural generators, which share the bench's wall-clock budget.
    neural: ClassVar[bool] = False

    def __init__(self, max_minutes: float | None = None, seed: int = 0, device: str = "auto", **settings: Any):
        self.max_minutes = max_minutes
        self.seed = seed
        self.device = device
        self.settings = settings

    @classmethod
    def quick_settings(cls) -> dict[str, Any]:
        """Settings for ``bench --quick`` and contract tests: tiny, seconds to train."""
        return {}

    @classmethod
    def budget_settings(cls) -> dict[str, Any]:
        """Settings under which a neural generator trains until its ``max_minutes`` budget runs out
        (its epoch or iteration count lifted out of the way). The bench uses them so that "the same
        wall-clock budget" means the same training time for every neural generator, not a cap that
        small defaults never reach."""
        return {}

    def fit(self, dataset: Dataset, embeddings: np.ndarray | None = None) -> Generator:  # pragma: no cover
        raise NotImplementedError

    def sample(self, n: int, seed: int = 0) -> Dataset:  # pragma: no cover
        raise NotImplementedError
