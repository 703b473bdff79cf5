"""Model directories and training checkpoints on disk.

A model directory holds
- ``model.json``: format name and version, the full config, the feature transforms, category names,
  M_max, embedding size, seed, steps done, history and the training data's fingerprint;
- ``weights.pt``: the generator's and critic's state_dicts (tensors only; loaded with
  ``torch.load(..., weights_only=True, map_location=...)``, so it loads on CPU whatever trained it);
- ``objects.parquet``: the training objects' category, attributes and embeddings K (what sampling
  and ``generate --like`` condition on). Real data: a model directory is NOT safe to share.
A checkpoint directory is a model directory plus ``trainer.pt`` (both Adam states, the noise
generator state) and ``trainer.json`` (step, batch order, history), written atomically.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch

from ..atomic import atomic_dir, json_default
from ..dataset.scaling import FeatureScaler
from ..errors import DataError
from ..knowledge.embeddings_io import embedding_columns
from .config import KEGANConfig

MODEL_FORMAT = "kegan-model"
MODEL_FORMAT_VERSION = 1
MODEL_JSON, WEIGHTS, OBJECTS = "model.json", "weights.pt", "objects.parquet"
TRAINER_PT, TRAINER_JSON = "trainer.pt", "trainer.json"


@dataclass
class ModelParts:
    """Everything a fitted model is made of, in plain data."""

    config: KEGANConfig
    scaler: FeatureScaler
    category_names: list[str]
    M_max: int
    embeddings: np.ndarray  # (N, k_dim) float32, k_dim 0 without knowledge
    categories: np.ndarray  # (N,) int index into category_names
    attributes: pd.DataFrame  # (N, any) string attributes of the training objects
    weights: dict[str, Any]  # {"generator": state_dict, "critic": state_dict}
    info: dict[str, Any] = field(default_factory=dict)  # seed, steps, history, fingerprint, versions


def write_parts(directory: Path, parts: ModelParts) -> None:
    """Write the model files into an existing (temporary) ``directory``."""
    import kegan

    objects = parts.attributes.reset_index(drop=True).astype(str).copy()
    objects.insert(0, "category", [parts.category_names[i] for i in parts.categories])
    k = pd.DataFrame(np.asarray(parts.embeddings, dtype=np.float32), columns=embedding_columns(parts.embeddings.shape[1]))
    objects = pd.concat([objects, k], axis=1)
    objects.to_parquet(directory / OBJECTS, index=False)
    torch.save(parts.weights, directory / WEIGHTS)
    meta = {
        "format": MODEL_FORMAT,
        "format_version": MODEL_FORMAT_VERSION,
        "kegan_version": kegan.__version__,
        "torch_version": torch.__version__,
        "config": parts.config.to_dict(),
        "transforms": parts.scaler.to_dict(),
        "category_names": list(parts.category_names),
        "M_max": int(parts.M_max),
        "embedding_dim": int(parts.embeddings.shape[1]),
        "attribute_columns": list(parts.attributes.columns),
        "n_objects": len(parts.categories),
        **parts.info,
    }
    (directory / MODEL_JSON).write_text(json.dumps(meta, indent=2, default=json_default) + "\n", encoding="utf-8")


def save_model_dir(path: str | Path, parts: ModelParts) -> Path:
    """Write a model directory atomically (an existing one is replaced only once the new one is whole)."""
    with atomic_dir(path) as tmp:
        write_parts(tmp, parts)
    return Path(path)


def save_checkpoint(path: str | Path, parts: ModelParts, trainer_tensors: dict, trainer_info: dict) -> None:
    """Model files plus the trainer state, atomically."""
    with atomic_dir(path) as tmp:
        write_parts(tmp, parts)
        torch.save(trainer_tensors, tmp / TRAINER_PT)
        (tmp / TRAINER_JSON).write_text(json.dumps(trainer_info, default=json_default) + "\n", encoding="utf-8")


def read_model_json(path: str | Path) -> dict[str, Any]:
    """The parsed ``model.json``; DataError when missing, malformed or of an unknown format version."""
    path = Path(path)
    f = path / MODEL_JSON
    if not f.exists():
        raise DataError(f"{path}: not a kegan model directory (no {MODEL_JSON}); create one with `kegan train`")
    try:
        meta = json.loads(f.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise DataError(f"{f}: not valid JSON ({e})") from e
    if meta.get("format") != MODEL_FORMAT:
        raise DataError(f"{f}: format {meta.get('format')!r}, expected {MODEL_FORMAT!r}")
    if meta.get("format_version") != MODEL_FORMAT_VERSION:
        raise DataError(f"{f}: format_version {meta.get('format_version')!r} is not supported "
                        f"(this kegan reads {MODEL_FORMAT_VERSION})")
    return meta


def load_model_dir(path: str | Path, device: torch.device) -> ModelParts:
    """Read a model (or checkpoint) directory; weights are mapped to ``device``. Raises DataError."""
    path = Path(path)
    meta = read_model_json(path)
    for name in (WEIGHTS, OBJECTS):
        if not (path / name).exists():
            raise DataError(f"{path / name}: missing from the model directory")
    try:
        weights = torch.load(path / WEIGHTS, weights_only=True, map_location=device)
    except Exception as e:  # noqa: BLE001 - any unpickling failure is a damaged file to the user
        raise DataError(f"{path / WEIGHTS}: cannot be loaded as tensor weights ({e})") from e
    objects = pd.read_parquet(path / OBJECTS)
    names = list(meta["category_names"])
    k_cols = embedding_columns(int(meta["embedding_dim"]))
    missing = [c for c in ["category", *k_cols] if c not in objects.columns]
    if missing:
        raise DataError(f"{path / OBJECTS}: missing column {missing[0]!r}")
    unknown = set(objects["category"]) - set(names)
    if unknown:
        raise DataError(f"{path / OBJECTS}: category {sorted(unknown)[0]!r} is not in model.json's category_names")
    lookup = {c: i for i, c in enumerate(names)}
    known = {"format", "format_version", "kegan_version", "torch_version", "config", "transforms",
             "category_names", "M_max", "embedding_dim", "attribute_columns", "n_objects"}
    return ModelParts(
        config=KEGANConfig.from_dict(meta["config"]),
        scaler=FeatureScaler.from_dict(meta["transforms"]),
        category_names=names,
        M_max=int(meta["M_max"]),
        embeddings=objects[k_cols].to_numpy(dtype=np.float32).reshape(len(objects), len(k_cols)),
        categories=objects["category"].map(lookup).to_numpy(dtype=np.int64),
        attributes=objects[[c for c in meta.get("attribute_columns", []) if c in objects.columns]],
        weights=weights,
        info={k: v for k, v in meta.items() if k not in known},
    )


def load_trainer_state(path: str | Path) -> tuple[dict, dict] | None:
    """(tensors, info) of a checkpoint directory, or None when ``path`` holds no checkpoint."""
    path = Path(path)
    if not (path / TRAINER_PT).exists() or not (path / TRAINER_JSON).exists():
        return None
    # Adam's load_state_dict moves its state to the parameters' device; the RNG state stays on CPU.
    tensors = torch.load(path / TRAINER_PT, weights_only=True, map_location="cpu")
    info = json.loads((path / TRAINER_JSON).read_text(encoding="utf-8"))
    return tensors, info



def checkpoint_step(path: str | Path) -> int | None:
    """The iteration a checkpoint directory was saved at, or None when it holds none (cheap: JSON only)."""
    path = Path(path) / TRAINER_JSON
    if not path.exists():
        return None
    try:
        return int(json.loads(path.read_text(encoding="utf-8"))["step"])
    except (ValueError, KeyError, TypeError):
        return None
