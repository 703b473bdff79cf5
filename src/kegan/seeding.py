"""One seed for every random source: Python, numpy, torch (CPU and CUDA)."""

from __future__ import annotations

import random
import secrets

import numpy as np


def draw_seed() -> int:
    """A fresh seed to record when the user gave none, so that the run can be repeated."""
    return secrets.randbelow(2**31 - 1)


def seed_everything(seed: int | None) -> int:
    """Seed Python, numpy and torch; draw (and return) a seed when ``seed`` is None."""
    import torch

    if seed is None:
        seed = draw_seed()
    seed = int(seed)
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    if torch.cuda.is_available():
        torch.cuda.manual_seed_all(seed)
    return seed
