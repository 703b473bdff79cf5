"""The ``embeddings.parquet`` file: ``device_id`` plus one float column per dimension (``k0``..``k{d-1}``)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from ..atomic import write_parquet
from ..errors import DataError

EMBEDDINGS_FILE = "embeddings.parquet"


def embedding_columns(dim: int) -> list[str]:
    return [f"k{i}" for i in range(dim)]


def write_embeddings(path: str | os.PathLike, device_ids: Sequence[str], vectors: np.ndarray) -> None:
    """Write (N, dim) ``vectors`` for ``device_ids`` atomically to ``path`` (a file)."""
    vectors = np.asarray(vectors, dtype=np.float32)
    frame = pd.DataFrame(vectors, columns=embedding_columns(vectors.shape[1]))
    frame.insert(0, "device_id", [str(d) for d in device_ids])
    write_parquet(path, frame)


def read_embeddings(path: str | os.PathLike, device_ids: Sequence[str] | None = None) -> tuple[list[str], np.ndarray]:
    """Read embeddings; with ``device_ids`` the rows are returned in that order (all must be present).

    ``path`` is the parquet file or a dataset directory holding ``embeddings.parquet``.
    Returns (ids, float32 array (N, dim)). Raises DataError naming the file and the missing id.
    """
    path = Path(path)
    if path.is_dir():
        path = path / EMBEDDINGS_FILE
    if not path.exists():
        raise DataError(f"{path}: no embeddings; run `kegan kg DATASET` first")
    frame = pd.read_parquet(path)
    if "device_id" not in frame.columns:
        raise DataError(f"{path}: missing column 'device_id'")
    cols = [c for c in frame.columns if c != "device_id"]
    if not cols:
        raise DataError(f"{path}: no embedding columns")
    frame["device_id"] = frame["device_id"].astype(str)
    if device_ids is not None:
        wanted = [str(d) for d in device_ids]
        missing = set(wanted) - set(frame["device_id"])
        if missing:
            raise DataError(f"{path}: no embedding for object {sorted(missing)[0]!r} ({len(missing)} missing)")
        frame = frame.set_index("device_id").loc[wanted].reset_index()
    vectors = frame[cols].to_numpy(dtype=np.float32)
    if not np.isfinite(vectors).all():
        raise DataError(f"{path}: embeddings contain non-finite values")
    return frame["device_id"].tolist(), vectors
