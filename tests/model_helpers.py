"""Tiny KE-GAN configs and toy data shared by the tests/test_model_*.py files."""

from __future__ import annotations

import numpy as np

from kegan.dataset.toy import make_toy_dataset
from kegan.model import KEGANConfig


def tiny_config(**overrides) -> KEGANConfig:
    """A KE-GAN small enough to train a few iterations in well under a second on one core."""
    settings = dict(B=4, noise_category=4, noise_length=4, noise_series=4, mlp_hidden=16, lstm_hidden=16,
                    token_dim=8, attention_dim=8, critic_hidden=32, batch_size=8, iterations=4, log_every=1,
                    checkpoint_every=2, device="cpu", num_threads=1, seed=0)
    settings.update(overrides)
    return KEGANConfig(**settings)


def toy(n_objects: int = 16, n_categories: int = 3, max_len: int = 20, seed: int = 0, dim: int = 6):
    """(dataset, embeddings (N, dim)) with random embeddings."""
    ds = make_toy_dataset(n_objects=n_objects, n_categories=n_categories, max_len=max_len, seed=seed)
    emb = np.random.default_rng(seed).normal(size=(n_objects, dim)).astype(np.float32)
    return ds, emb
