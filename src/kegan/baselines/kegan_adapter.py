"""KE-GAN and its ablations behind the bench's Generator interface.

Each class fixes the switches of ``kegan.model.KEGANConfig`` that define its variant and passes
every other setting through to the config (``kegan-algorithm1`` also fixes category_loss_weight=0,
Algorithm 1 exactly; the others use the config's default, 1.0 with knowledge):

==========================  ==============  =========  ================
name                        use_knowledge   attention  critic_knowledge
==========================  ==============  =========  ================
``kegan``                   True            True       False
``kegan-algorithm1``        True            True       False   (no category term)
``kegan-no-knowledge``      False           True       False   (paper's "Non-KGE")
``kegan-no-attention``      True            False      False   (paper's "Non-attention")
``kegan-critic-knowledge``  True            True       True    (authors' released code)
==========================  ==============  =========  ================

``kegan.model`` is imported inside the methods so that the registry (and ``available()``) never
depends on torch or on the model package being importable.
"""

from __future__ import annotations

import inspect
from typing import Any, ClassVar

import numpy as np

from ..dataset.format import Dataset
from ..errors import ParameterError
from .base import Generator
from .common import Budget, check_sample

_VARIANT_KEYS = ("use_knowledge", "attention", "critic_knowledge", "category_loss_weight")


def check_embeddings(generator: str, dataset: Dataset, embeddings: np.ndarray | None) -> np.ndarray:
    """(N, d) finite float32 embeddings row-aligned with ``dataset``, else ParameterError saying what is wrong."""
    if embeddings is None:
        raise ParameterError(
            f"{generator} needs knowledge-graph embeddings (one row per object); run `kegan kg` on the dataset first"
        )
    emb = np.asarray(embeddings, dtype=np.float32)
    if emb.ndim != 2 or emb.shape[0] != len(dataset) or emb.shape[1] < 1:
        raise ParameterError(
            f"{generator}: embeddings have shape {emb.shape}, expected ({len(dataset)}, dim): one row per object"
        )
    if not np.isfinite(emb).all():
        raise ParameterError(f"{generator}: embeddings hold non-finite values")
    return emb


class _KEGANVariant(Generator):
    """Common code of the five variants; ``variant`` holds the switches. Learned state: ``model_``."""

    neural = True
    variant: ClassVar[dict[str, bool]] = {}

    def __init__(
        self, max_minutes: float | None = None, seed: int = 0, device: str = "auto", **settings: Any
    ):
        super().__init__(max_minutes=max_minutes, seed=seed, device=device, **settings)
        fixed = set(settings) & set(_VARIANT_KEYS)
        if fixed:
            raise ParameterError(
                f"{self.name}: setting(s) {sorted(fixed)} are fixed by the generator's name; choose another"
                " registered name instead (kegan, kegan-algorithm1, kegan-no-knowledge, kegan-no-attention,"
                " kegan-critic-knowledge)"
            )
        Budget(max_minutes)  # validates max_minutes before any training

    @classmethod
    def quick_settings(cls) -> dict[str, Any]:
        return {
            "iterations": 5,
            "batch_size": 16,
            "B": 5,
            "noise_category": 4,
            "noise_length": 4,
            "noise_series": 4,
            "mlp_hidden": 16,
            "lstm_hidden": 16,
            "token_dim": 8,
            "attention_dim": 8,
            "critic_hidden": 32,
            "num_threads": 1,
        }

    @classmethod
    def budget_settings(cls) -> dict[str, Any]:
        return {"iterations": 10**9}

    def config(self):
        """The ``KEGANConfig`` this generator trains with (validated; ParameterError names a bad setting)."""
        from ..model import KEGANConfig

        try:
            cfg = KEGANConfig(**self.variant, **self.settings, seed=self.seed, device=self.device)
        except TypeError as exc:  # an unknown keyword
            raise ParameterError(
                f"{self.name}: {exc}; see kegan.model.KEGANConfig for the settings"
            ) from None
        return cfg.validate()

    def fit(self, dataset: Dataset, embeddings: np.ndarray | None = None) -> _KEGANVariant:
        """Train KE-GAN on ``dataset`` (and ``embeddings`` (N, d) when the variant uses knowledge)."""
        emb = check_embeddings(self.name, dataset, embeddings) if self.needs_embeddings else None
        from ..model import KEGAN

        model = KEGAN(self.config())
        kwargs: dict[str, Any] = {"max_minutes": self.max_minutes}
        if "progress" in inspect.signature(model.fit).parameters:
            kwargs["progress"] = False  # the bench shows its own progress, one line per generator
        self.model_ = model.fit(dataset, emb, **kwargs)
        return self

    def sample(self, n: int, seed: int = 0) -> Dataset:
        """``n`` synthetic objects from the trained model; the same ``seed`` gives the same objects."""
        check_sample(self, n, fitted_attr="model_")
        out = self.model_.sample(n, seed=seed)
        out.meta["generator"] = self.name
        return out


class KEGANGenerator(_KEGANVariant):
    """The paper's model: knowledge, LSTM with self-attention, critic without K."""

    name = "kegan"
    needs_embeddings = True
    variant = {"use_knowledge": True, "attention": True, "critic_knowledge": False}


class KEGANAlgorithm1(_KEGANVariant):
    """The paper's model trained exactly as Algorithm 1: no category term tying C^ to K."""

    name = "kegan-algorithm1"
    needs_embeddings = True
    variant = {"use_knowledge": True, "attention": True, "critic_knowledge": False, "category_loss_weight": 0.0}


class KEGANNoKnowledge(_KEGANVariant):
    """Ablation "Non-KGE": no knowledge-graph embeddings anywhere."""

    name = "kegan-no-knowledge"
    needs_embeddings = False
    variant = {"use_knowledge": False, "attention": True, "critic_knowledge": False}


class KEGANNoAttention(_KEGANVariant):
    """Ablation "Non-attention": the LSTM state is mapped to the B records by a linear layer."""

    name = "kegan-no-attention"
    needs_embeddings = True
    variant = {"use_knowledge": True, "attention": False, "critic_knowledge": False}


class KEGANCriticKnowledge(_KEGANVariant):
    """KE-GAN whose critic also sees K, as in the authors' released code."""

    name = "kegan-critic-knowledge"
    needs_embeddings = True
    variant = {"use_knowledge": True, "attention": True, "critic_knowledge": True}
