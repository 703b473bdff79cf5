"""The public KE-GAN model: ``KEGAN(config).fit(dataset, embeddings)``, ``.sample(n)``, ``.save``, ``.load``.

Learned state ends in ``_`` (scikit-learn style); the constructor only stores the config.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ..baselines.base import synthetic_dataset
from ..dataset.format import Dataset
from ..dataset.io import content_fingerprint
from ..dataset.scaling import FeatureScaler
from ..device import resolve_device
from ..errors import DataError, ParameterError
from ..progress import say
from ..seeding import seed_everything
from .checkpoint import ModelParts, load_model_dir, load_trainer_state, save_checkpoint, save_model_dir
from .config import KEGANConfig
from .modules import Critic, Generator
from .training import Trainer, TrainingTensors

SAMPLE_CHUNK = 512  # objects per generator forward pass when sampling (bounds memory; fixed for determinism)
# Settings that may change between an interrupted run and its resumption.
RESUMABLE_CHANGES = {"iterations", "epochs", "log_every", "checkpoint_every", "device", "num_threads"}


@contextlib.contextmanager
def torch_threads(n: int | None) -> Iterator[None]:
    """Run with ``n`` torch CPU threads (None: 1, see docs/model.md: on a shared 2-core machine two
    threads measured 10x slower than one for these small matrices), then restore."""
    before = torch.get_num_threads()
    torch.set_num_threads(n or 1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


class KEGAN:
    """Knowledge-enhanced GAN for IoT traffic (Hui et al., WWW 2022)."""

    def __init__(self, config: KEGANConfig | None = None):
        self.config = config if config is not None else KEGANConfig()

    # -- fitting --------------------------------------------------------------------------------
    def fit(self, dataset: Dataset, embeddings: np.ndarray | None, *, max_minutes: float | None = None,
            checkpoint_dir: Path | None = None, resume: bool = False, progress: bool = True) -> KEGAN:
        """Train on ``dataset`` and its ``embeddings`` (N, dim), row-aligned with ``dataset.devices``.

        ``embeddings`` may be None only when ``config.use_knowledge`` is False. ``max_minutes`` caps
        the wall clock; ``checkpoint_dir`` gets a checkpoint every ``config.checkpoint_every`` steps
        and when stopping; ``resume`` continues from it (fresh start when it holds none).
        Raises ParameterError (settings), DataError (data), TrainingError (a loss became NaN/inf).
        """
        cfg = self.config.validate()
        if max_minutes is not None and not max_minutes > 0:
            raise ParameterError(f"max_minutes={max_minutes!r}: expected a number > 0")
        k = self._check_embeddings(dataset, embeddings)
        with torch_threads(cfg.num_threads):
            device = resolve_device(cfg.device)
            seed = seed_everything(cfg.seed)
            names = dataset.category_names
            cat_index = np.array([names.index(c) for c in dataset.categories], dtype=np.int64)
            series = dataset.series()
            m_max = cfg.M_max or int(max(len(s) for s in series))
            series = [s[:m_max] for s in series]  # a set M_max below the data truncates (docs/model.md)
            self.scaler_ = FeatureScaler.fit(series)
            self.category_names_, self.M_max_ = names, m_max
            self.embeddings_, self.object_categories_ = k, cat_index
            self.attributes_ = dataset.devices.drop(columns=["device_id", "category"]).reset_index(drop=True)
            self.device_ = device
            self.generator_ = Generator(k.shape[1], len(names), m_max, cfg).to(device)
            object_dim = len(names) + 1 + 3 * m_max
            self.critic_ = Critic(object_dim, k.shape[1] if cfg.critic_knowledge else 0, cfg.critic_hidden).to(device)
            data = TrainingTensors(k=torch.as_tensor(k, device=device),
                                   objects=self._real_objects(cat_index, series, len(names), device))
            trainer = Trainer(self.generator_, self.critic_, data, cfg, seed, device)
            fingerprint = self._fingerprint(dataset, k)
            self.seed_ = seed
            if checkpoint_dir is not None and resume:
                self._resume(Path(checkpoint_dir), trainer, fingerprint, progress)

            def on_checkpoint(t: Trainer) -> None:
                self._record(t, fingerprint, stopped_by_time=False)
                tensors, info = t.state()
                save_checkpoint(checkpoint_dir, self._parts(), tensors, info)

            total = cfg.iterations_for(len(dataset))
            stopped = trainer.run(total, max_minutes=max_minutes, progress=progress,
                                  on_checkpoint=on_checkpoint if checkpoint_dir is not None else None)
            self._record(trainer, fingerprint, stopped_by_time=stopped)
            if progress and stopped:
                say(f"stopped by --max-minutes {max_minutes} after {trainer.step} of {total} iterations")
        return self

    def _check_embeddings(self, dataset: Dataset, embeddings: np.ndarray | None) -> np.ndarray:
        if len(dataset) == 0:
            raise DataError("the training dataset has no objects")
        if not self.config.use_knowledge:
            return np.zeros((len(dataset), 0), dtype=np.float32)
        if embeddings is None:
            raise ParameterError("embeddings are required when use_knowledge is True "
                                 "(run `kegan kg DATASET` first, or train with --no-knowledge)")
        k = np.array(embeddings, dtype=np.float32)  # a private, writable copy
        if k.ndim != 2 or k.shape[0] != len(dataset) or k.shape[1] < 1:
            raise DataError(f"embeddings have shape {k.shape}, expected ({len(dataset)}, dim) row-aligned with "
                            "the dataset's devices")
        if not np.isfinite(k).all():
            raise DataError(f"embeddings row {int(np.flatnonzero(~np.isfinite(k).all(axis=1))[0])} is not finite")
        return k

    def _real_objects(self, cat_index: np.ndarray, series: list[np.ndarray], n_cat: int,
                      device: torch.device) -> torch.Tensor:
        """Real objects O = [one-hot C, M/M_max, scaled series zero-padded to M_max]: (N, n_c + 1 + 3*M_max)."""
        n, m_max = len(series), self.M_max_
        padded = np.zeros((n, m_max, 3), dtype=np.float32)
        for i, s in enumerate(series):
            padded[i, : len(s)] = self.scaler_.transform(s)
        onehot = np.eye(n_cat, dtype=np.float32)[cat_index]
        frac = np.array([[len(s) / m_max] for s in series], dtype=np.float32)
        return torch.as_tensor(np.concatenate([onehot, frac, padded.reshape(n, -1)], axis=1), device=device)

    @staticmethod
    def _fingerprint(dataset: Dataset, k: np.ndarray) -> str:
        h = hashlib.sha256(content_fingerprint(dataset.devices, dataset.records).encode())
        h.update(np.ascontiguousarray(k).tobytes())
        return h.hexdigest()

    def _resume(self, path: Path, trainer: Trainer, fingerprint: str, progress: bool) -> None:
        state = load_trainer_state(path)
        if state is None:
            if progress:
                say(f"no checkpoint in {path}: training from the start")
            return
        parts = load_model_dir(path, self.device_)
        old, new = parts.config.to_dict(), self.config.to_dict()
        for key in old:
            if key not in RESUMABLE_CHANGES and old[key] != new[key]:
                raise ParameterError(f"--resume: setting {key}={new[key]!r} differs from the checkpoint's "
                                     f"{old[key]!r} in {path}; use the same settings or start afresh")
        if parts.info.get("data_fingerprint") != fingerprint:
            raise DataError(f"--resume: {path} was trained on other data or embeddings; start afresh")
        self.generator_.load_state_dict(parts.weights["generator"])
        self.critic_.load_state_dict(parts.weights["critic"])
        trainer.load_state(*state)
        if progress:
            say(f"resuming from step {trainer.step} ({path})")

    def _record(self, trainer: Trainer, fingerprint: str, stopped_by_time: bool) -> None:
        self.n_iter_ = trainer.step
        self.history_ = list(trainer.history)
        self.elapsed_s_ = trainer.elapsed_before
        self.stopped_by_time_ = stopped_by_time
        self.data_fingerprint_ = fingerprint

    # -- sampling -------------------------------------------------------------------------------
    def sample(self, n: int, seed: int = 0, embeddings: np.ndarray | None = None,
               return_conditioning: bool = False) -> Dataset | tuple[Dataset, np.ndarray]:
        """A synthetic dataset of ``n`` objects (ids ``syn-000001``..., devices: device_id, category).

        Each object is conditioned on one embedding drawn uniformly (with replacement) from the training
        objects' (default) or from the rows of ``embeddings`` (m, dim) ("objects like these"). A model
        trained without knowledge ignores the values; only the row count matters. With
        ``return_conditioning`` also returns cond_index (n,): the row whose K conditioned each sample.
        Same ``seed``, same model -> identical output. Raises ParameterError / DataError.
        """
        self._check_fitted()
        if not isinstance(n, (int, np.integer)) or n < 1:
            raise ParameterError(f"n={n!r}: expected an integer >= 1")
        pool = self.embeddings_ if embeddings is None else self._check_pool(embeddings)
        rng = np.random.default_rng(seed)
        cond = rng.integers(0, len(pool), size=int(n))
        noise_rng = torch.Generator().manual_seed(int(seed))
        cats, series = [], []
        g = self.generator_.eval()
        with torch_threads(self.config.num_threads), torch.no_grad():
            for lo in range(0, int(n), SAMPLE_CHUNK):
                idx = cond[lo : lo + SAMPLE_CHUNK]
                noise = g.draw_noise(len(idx), noise_rng).to(self.device_)
                out = g(torch.as_tensor(pool[idx], device=self.device_), noise)
                cats += out.c.argmax(dim=1).cpu().tolist()
                for s, m in zip(out.series.cpu().numpy(), out.lengths.cpu().numpy(), strict=True):
                    series.append(self.scaler_.inverse_series(s[:m]))
        meta = {"seed": int(seed), "model": {"use_knowledge": self.config.use_knowledge,
                                             "attention": self.config.attention,
                                             "critic_knowledge": self.config.critic_knowledge,
                                             "iterations": self.n_iter_},
                "conditioned_on": "training objects" if embeddings is None else f"{len(pool)} given embeddings"}
        ds = synthetic_dataset([self.category_names_[c] for c in cats], series, generator="kegan", meta=meta)
        return (ds, cond) if return_conditioning else ds

    def _check_pool(self, embeddings: np.ndarray) -> np.ndarray:
        k = np.asarray(embeddings, dtype=np.float32)
        if k.ndim != 2 or k.shape[0] < 1:
            raise DataError(f"embeddings have shape {k.shape}, expected (m >= 1, dim)")
        if not self.config.use_knowledge:
            return np.zeros((k.shape[0], 0), dtype=np.float32)
        if k.shape[1] != self.embeddings_.shape[1]:
            raise DataError(f"embeddings have dimension {k.shape[1]}, the model was trained with "
                            f"{self.embeddings_.shape[1]}")
        if not np.isfinite(k).all():
            raise DataError("embeddings contain non-finite values")
        return k

    def rows_like(self, condition: str) -> tuple[np.ndarray, dict[str, str]]:
        """Training-object rows matching ``condition`` ("column=value[,column=value...]", case-insensitive
        on values; ``category`` is a column too). Returns (rows, {column: value as stored}); DataError when none
        match.
        """
        self._check_fitted()
        table = self.attributes_.copy()
        table.insert(0, "category", [self.category_names_[i] for i in self.object_categories_])
        wanted: dict[str, str] = {}
        for part in condition.split(","):
            if "=" not in part:
                raise ParameterError(f"--like {condition!r}: expected column=value (e.g. manufacturer=D-Link) "
                                     "or a dataset directory")
            col, value = (p.strip() for p in part.split("=", 1))
            if col not in table.columns:
                raise ParameterError(f"--like {condition!r}: no attribute {col!r}; the model knows "
                                     f"{sorted(table.columns)}")
            wanted[col] = value
        match = np.ones(len(table), dtype=bool)
        for col, value in wanted.items():
            match &= table[col].astype(str).str.lower().to_numpy() == value.lower()
        if not match.any():
            raise DataError(f"--like {condition!r}: no training object matches")
        rows = np.flatnonzero(match)
        # the value as the data spell it (matching ignores case), not as typed
        return rows, {col: str(table[col].iloc[rows[0]]) for col in wanted}

    # -- persistence ----------------------------------------------------------------------------
    def _parts(self) -> ModelParts:
        info: dict[str, Any] = {"seed": self.seed_, "steps": getattr(self, "n_iter_", 0),
                                "elapsed_s": round(getattr(self, "elapsed_s_", 0.0), 3),
                                "stopped_by_time": getattr(self, "stopped_by_time_", False),
                                "data_fingerprint": getattr(self, "data_fingerprint_", None),
                                "history": getattr(self, "history_", [])}
        weights = {"generator": self.generator_.state_dict(), "critic": self.critic_.state_dict()}
        return ModelParts(self.config, self.scaler_, self.category_names_, self.M_max_, self.embeddings_,
                          self.object_categories_, self.attributes_, weights, info)

    def save(self, directory: str | Path) -> Path:
        """Write the model directory atomically (see kegan.model.checkpoint); returns its path."""
        self._check_fitted()
        return save_model_dir(directory, self._parts())

    @classmethod
    def load(cls, directory: str | Path, device: str = "auto") -> KEGAN:
        """Rebuild a saved model (or a checkpoint) on ``device``; raises DataError for a bad directory."""
        dev = resolve_device(device)
        parts = load_model_dir(directory, dev)
        model = cls(parts.config)
        model.scaler_, model.category_names_, model.M_max_ = parts.scaler, parts.category_names, parts.M_max
        model.embeddings_, model.object_categories_ = parts.embeddings, parts.categories
        model.attributes_, model.device_ = parts.attributes.reset_index(drop=True), dev
        k_dim = parts.embeddings.shape[1]
        model.generator_ = Generator(k_dim, len(parts.category_names), parts.M_max, parts.config).to(dev)
        object_dim = len(parts.category_names) + 1 + 3 * parts.M_max
        model.critic_ = Critic(object_dim, k_dim if parts.config.critic_knowledge else 0,
                               parts.config.critic_hidden).to(dev)
        try:
            model.generator_.load_state_dict(parts.weights["generator"])
            model.critic_.load_state_dict(parts.weights["critic"])
        except (KeyError, RuntimeError) as e:
            raise DataError(f"{directory}: weights do not fit the stored config ({e})") from e
        info = parts.info
        model.seed_, model.n_iter_ = info.get("seed"), int(info.get("steps", 0))
        model.elapsed_s_, model.stopped_by_time_ = float(info.get("elapsed_s", 0.0)), bool(info.get("stopped_by_time"))
        model.data_fingerprint_, model.history_ = info.get("data_fingerprint"), list(info.get("history", []))
        return model

    def _check_fitted(self) -> None:
        if not hasattr(self, "generator_"):
            raise ParameterError("this KEGAN is not fitted yet: call fit() or KEGAN.load() first")

    def __repr__(self) -> str:
        state = f"fitted, {self.n_iter_} iterations" if hasattr(self, "n_iter_") else "not fitted"
        return f"KEGAN({state}, use_knowledge={self.config.use_knowledge}, attention={self.config.attention})"

