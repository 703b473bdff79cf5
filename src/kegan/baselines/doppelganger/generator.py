"""The ``doppelganger`` generator behind kegan's fit/sample interface.

    gen = DoppelGANger(max_minutes=8, seed=0, device="auto").fit(train_dataset)
    synthetic = gen.sample(len(train_dataset), seed=1)

The category is DG's one attribute (the paper's section 4.2.1); (A, P, L) are its features. The
knowledge-graph embeddings are not used (``needs_embeddings = False``).
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, ClassVar

import numpy as np
import torch

from ...dataset.format import Dataset
from ...device import resolve_device, torch_threads
from ...errors import DataError, ParameterError, TrainingError
from ...seeding import seed_everything
from ..base import Generator, synthetic_dataset
from .config import DoppelGANgerConfig, choose_sample_len
from .networks import AuxCritic, Critic, DoppelGANgerNetwork, draw_noise
from .training import TrainingData, TrainingLog, train_doppelganger
from .transforms import AutoNormalization, generation_flags

SAMPLE_CHUNK = 1024  # objects generated per forward pass at sampling time


@contextmanager
def cpu_threads(n: int | None, device: torch.device) -> Iterator[None]:
    """``kegan.device.torch_threads(n)`` on the CPU; nothing on a GPU."""
    if device.type != "cpu":
        yield
        return
    with torch_threads(n):
        yield


def validate_training_data(dataset: Dataset) -> list[np.ndarray]:
    """Return the dataset's series after checking they can be trained on.

    Raises DataError naming the object and column when there are no objects, an object has no
    records, or a value is negative or not finite.
    """
    if len(dataset) == 0:
        raise DataError("doppelganger.fit: the training dataset has no objects")
    series = dataset.series()
    for device_id, s in zip(dataset.device_ids, series, strict=True):
        if len(s) == 0:
            raise DataError(f"doppelganger.fit: object {device_id!r} has no records (expected M >= 1)")
        bad = ~np.isfinite(s) | (s < 0)
        if bad.any():
            row, col = np.argwhere(bad)[0]
            raise DataError(
                f"doppelganger.fit: object {device_id!r} record seq={row} column {'APL'[col]} = "
                f"{s[row, col]!r}; expected a finite value >= 0"
            )
    return series


class DoppelGANger(Generator):
    """DoppelGANger (Lin et al., IMC 2020) in PyTorch; settings: see ``DoppelGANgerConfig``.

    Learned state (after ``fit``): ``config_``, ``categories_``, ``transform_``, ``max_length_``,
    ``sample_len_``, ``network_``, ``log_`` (a TrainingLog), ``seed_``.
    """

    name: ClassVar[str] = "doppelganger"
    needs_embeddings: ClassVar[bool] = False
    neural: ClassVar[bool] = True

    @classmethod
    def quick_settings(cls) -> dict[str, Any]:
        """Small networks and few steps: seconds on a CPU."""
        return {
            "attribute_units": 32,
            "feature_units": 32,
            "critic_units": 64,
            "aux_critic_units": 64,
            "critic_layers": 3,
            "aux_critic_layers": 3,
            "batch_size": 32,
            "target_steps": 10,
            "max_steps": 60,
        }

    @classmethod
    def budget_settings(cls) -> dict[str, Any]:
        return {"epochs": 1e9}

    def fit(self, dataset: Dataset, embeddings: np.ndarray | None = None) -> DoppelGANger:
        """Train on ``dataset`` (embeddings ignored) within ``max_minutes``; returns self.

        Raises ParameterError for a bad setting or budget, DataError for unusable data, TrainingError
        when the losses diverge.
        """
        started = time.perf_counter()
        config = DoppelGANgerConfig.from_settings(dict(self.settings))
        if self.max_minutes is not None and not (
            isinstance(self.max_minutes, (int, float))
            and math.isfinite(self.max_minutes)
            and self.max_minutes > 0
        ):
            raise ParameterError(
                f"doppelganger: max_minutes={self.max_minutes!r}; expected a number > 0 or None"
            )
        series = validate_training_data(dataset)
        seed = seed_everything(self.seed)
        device = resolve_device(self.device)

        categories = dataset.category_names
        category_index = {c: i for i, c in enumerate(categories)}
        longest = int(max(len(s) for s in series))
        max_length = config.max_length if config.max_length is not None else longest
        sample_len = choose_sample_len(max_length, config)
        steps = math.ceil(max_length / sample_len)
        total_len = steps * sample_len

        cut = [s[:max_length] for s in series]
        transform = AutoNormalization.fit(cut, log_transform=config.log_transform)
        encoded = transform.encode(cut, total_len)
        flags = generation_flags(encoded.lengths, total_len, sample_len)
        onehot = np.eye(len(categories), dtype=np.float32)[[category_index[c] for c in dataset.categories]]
        data = TrainingData(
            records=torch.from_numpy(np.concatenate([encoded.features, flags], axis=2)).to(
                device
            ),  # (N, T, 5)
            attributes=torch.from_numpy(np.concatenate([onehot, encoded.minmax], axis=1)).to(
                device
            ),  # (N, C+6)
        )

        network = DoppelGANgerNetwork(len(categories), sample_len, steps, config).to(device)
        critic = Critic(total_len, len(categories), config).to(device)
        aux_critic = AuxCritic(len(categories), config).to(device) if config.use_aux_critic else None
        rng = torch.Generator().manual_seed(seed)
        deadline = started + 60.0 * self.max_minutes if self.max_minutes is not None else None
        with cpu_threads(config.cpu_threads, device):
            log = train_doppelganger(network, critic, aux_critic, data, config, rng, deadline=deadline)

        self.config_, self.categories_, self.transform_ = config, categories, transform
        self.max_length_, self.sample_len_, self.network_ = max_length, sample_len, network
        self.log_, self.seed_, self.device_ = log, seed, device
        return self

    @torch.no_grad()
    def sample(self, n: int, seed: int = 0) -> Dataset:
        """``n`` synthetic objects (category + series of 1..max_length records); same seed, same output.

        Raises TrainingError before ``fit``, ParameterError unless n is an integer >= 1.
        """
        if not hasattr(self, "network_"):
            raise TrainingError("doppelganger.sample: the generator is not fitted; call fit(dataset) first")
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
            raise ParameterError(f"doppelganger.sample: n={n!r}; expected an integer >= 1")
        rng = torch.Generator().manual_seed(int(seed))
        meta = {
            "settings": self.config_.to_dict(),
            "fit_seed": self.seed_,
            "sample_seed": int(seed),
            "train_steps": self.log_.steps,
            "train_seconds": round(self.log_.seconds, 3),
            "sample_len": self.sample_len_,
            "max_length": self.max_length_,
        }
        self.network_.eval()
        cats, minmax, feats, lengths = [], [], [], []
        with cpu_threads(self.config_.cpu_threads, self.device_):
            for start in range(0, int(n), SAMPLE_CHUNK):
                b = min(SAMPLE_CHUNK, int(n) - start)
                out = self.network_(draw_noise(b, self.network_.steps, self.config_, rng, self.device_))
                cats.append(out.category_probs.argmax(dim=1).cpu().numpy())
                minmax.append(out.minmax.cpu().numpy())
                feats.append(out.records[..., :3].cpu().numpy())
                lengths.append(out.lengths.cpu().numpy())
        # T = K*S may exceed M_max by up to S-1 records: cut to M_max, the longest the real data allows.
        m = np.clip(np.concatenate(lengths).astype(np.int64), 1, self.max_length_)
        series = self.transform_.decode(np.concatenate(feats), np.concatenate(minmax), m)
        categories = [self.categories_[i] for i in np.concatenate(cats)]
        return synthetic_dataset(categories, series, self.name, meta=meta)

    @property
    def training_log(self) -> TrainingLog:
        """The log of the last ``fit`` (steps, seconds, why it stopped, last losses)."""
        if not hasattr(self, "log_"):
            raise TrainingError("doppelganger: not fitted yet")
        return self.log_
