"""``build_knowledge``: a dataset directory in, its knowledge graph and TransE embeddings written next to it.

Writes into the dataset directory (each file atomically):
- ``triples.tsv``: head, relation, tail; tab-separated, no header (PyKEEN's ``TriplesFactory.from_path`` reads it);
- ``embeddings.parquet``: ``device_id`` plus ``k0``..``k{dim-1}`` (``embeddings_io``);
- ``knowledge_model.pt``: the trained TransE vectors and labels, for ``embed_new``;
- ``knowledge.json``: the summary (counts, settings, versions, the dataset fingerprint);
and adds ``"knowledge": {"dim", "seed", "fingerprint"}`` to ``dataset.json``.
"""

from __future__ import annotations

import json
import os
import time
import warnings
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from importlib.metadata import version
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..atomic import write_json, write_text
from ..dataset import read_dataset
from ..dataset.io import read_meta
from ..device import resolve_device
from ..errors import DataError, ParameterError
from ..progress import say
from ..seeding import draw_seed
from .embeddings_io import EMBEDDINGS_FILE, write_embeddings
from .transe import TransEConfig, TransEState, train_transe
from .triples import build_triples, object_entity, objects_without_triples

TRIPLES_FILE = "triples.tsv"
MODEL_FILE = "knowledge_model.pt"
SUMMARY_FILE = "knowledge.json"
# 100 epochs: the IoT Sentinel graph (550 objects) embeds in about a minute on 2 shared cores, and
# kg-check accuracy has stopped rising by then (docs/knowledge.md has the measurements).
DEFAULT_EPOCHS = 100
DEFAULT_DIM = 128
EMPTY_POLICIES = ("mean", "error")


@dataclass
class KnowledgeSummary:
    """What ``build_knowledge`` built; ``to_dict()`` is the content of ``knowledge.json``."""

    entities: int
    triples: int
    relation_types: int
    triples_per_relation: dict[str, int]
    objects: int
    objects_without_triples: list[str]
    empty_policy: str
    seed: int
    dim: int
    epochs: int
    final_loss: float | None
    train_seconds: float
    device: str
    pykeen_version: str
    torch_version: str
    fingerprint: str | None
    config: dict[str, Any] = field(default_factory=dict)
    relation_map: dict[str, str | None] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def lines(self) -> list[str]:
        """Human-readable summary, one fact per line (the CLI prints these)."""
        out = [
            f"{self.entities} entities, {self.triples} triples, {self.relation_types} relation types",
            "triples per relation: " + ", ".join(f"{r} {n}" for r, n in self.triples_per_relation.items()),
            f"TransE dim {self.dim}, {self.epochs} epochs, seed {self.seed}, on {self.device}: "
            f"{self.train_seconds:.1f} s, final loss {self.final_loss if self.final_loss is None else round(self.final_loss, 4)}",
        ]
        if self.objects_without_triples:
            out.append(
                f"{len(self.objects_without_triples)} of {self.objects} objects have no triple "
                f"(policy {self.empty_policy!r}): {', '.join(self.objects_without_triples[:5])}"
                + (" ..." if len(self.objects_without_triples) > 5 else "")
            )
        return out


def write_triples(path: str | os.PathLike, triples: pd.DataFrame) -> None:
    """Write triples atomically as tab-separated head, relation, tail (no header)."""
    rows = triples[["head", "relation", "tail"]].astype(str).to_numpy()
    write_text(path, "".join(f"{h}\t{r}\t{t}\n" for h, r, t in rows))


def read_triples(path: str | os.PathLike) -> pd.DataFrame:
    """Read a ``triples.tsv``; raises DataError naming the file and line when a line is not 3 fields."""
    path = Path(path)
    if path.is_dir():
        path = path / TRIPLES_FILE
    if not path.exists():
        raise DataError(f"{path}: no triples; run `kegan kg DATASET` first")
    rows = []
    for line_no, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line:
            continue
        parts = line.split("\t")
        if len(parts) != 3:
            raise DataError(f"{path} line {line_no}: expected head<TAB>relation<TAB>tail, got {len(parts)} fields")
        rows.append(parts)
    return pd.DataFrame(rows, columns=["head", "relation", "tail"], dtype=str)


def build_knowledge(
    dataset_dir: Path,
    dim: int = DEFAULT_DIM,
    epochs: int | None = None,
    seed: int | None = None,
    device: str = "auto",
    progress: bool = True,
    relation_map: Mapping[str, str | None] | None = None,
    empty_policy: str = "mean",
    threads: int = 1,
) -> KnowledgeSummary:
    """Build the knowledge graph of the dataset in ``dataset_dir``, embed it with TransE, write the files.

    ``epochs`` None takes DEFAULT_EPOCHS; ``seed`` None draws one (recorded); ``threads`` is the torch
    thread count on the CPU (1 is fastest on small graphs and shared machines, docs/knowledge.md). ``relation_map`` renames or
    drops relations (``triples.build_triples``). Objects without any triple get a warning and then, by
    ``empty_policy``: ``"mean"`` the mean embedding of the other objects, ``"error"`` a DataError.
    Raises DataError for an unreadable dataset or an empty graph, ParameterError for bad settings.
    """
    dataset_dir = Path(dataset_dir)
    if empty_policy not in EMPTY_POLICIES:
        raise ParameterError(f"empty_policy {empty_policy!r}: expected one of {', '.join(EMPTY_POLICIES)}")
    epochs = DEFAULT_EPOCHS if epochs is None else int(epochs)
    config = TransEConfig(dim=int(dim), epochs=epochs, cpu_threads=int(threads))
    config.validate()
    torch_device = resolve_device(device)  # a bad --device fails before any work
    seed = draw_seed() if seed is None else int(seed)

    ds = read_dataset(dataset_dir)
    triples = build_triples(ds, relation_map=relation_map)
    empty = objects_without_triples(ds, triples)
    if empty:
        message = (
            f"{dataset_dir}: {len(empty)} of {len(ds)} objects have no triple (no usable attribute or "
            f"observation), first {empty[0]!r}"
        )
        if empty_policy == "error" or len(empty) == len(ds):
            raise DataError(message + ("" if empty_policy == "error" else "; no object has a triple to embed"))
        warnings.warn(message + "; they get the mean embedding of the other objects", stacklevel=2)
        if progress:
            say(f"[yellow]warning:[/] {message}; they get the mean embedding")

    started = time.perf_counter()
    state = train_transe(triples, config, seed=seed, device=device, progress=progress)
    train_seconds = time.perf_counter() - started
    vectors = object_vectors(state, ds.device_ids, set(empty))

    write_triples(dataset_dir / TRIPLES_FILE, triples)
    state.save(dataset_dir / MODEL_FILE)
    write_embeddings(dataset_dir / EMBEDDINGS_FILE, ds.device_ids, vectors)

    per_relation = triples["relation"].value_counts()
    summary = KnowledgeSummary(
        entities=len(state.entity_labels),
        triples=len(triples),
        relation_types=len(state.relation_labels),
        triples_per_relation={str(r): int(n) for r, n in sorted(per_relation.items(), key=lambda x: (-x[1], x[0]))},
        objects=len(ds),
        objects_without_triples=empty,
        empty_policy=empty_policy,
        seed=seed,
        dim=config.dim,
        epochs=config.epochs,
        final_loss=state.losses[-1] if state.losses else None,
        train_seconds=round(train_seconds, 3),
        device=torch_device.type,
        pykeen_version=version("pykeen"),
        torch_version=version("torch"),
        fingerprint=ds.meta.get("fingerprint"),
        config=asdict(config),
        relation_map=dict(relation_map or {}),
    )
    write_json(dataset_dir / SUMMARY_FILE, summary.to_dict())
    # Re-read dataset.json just before rewriting it, so only the "knowledge" key changes.
    meta = read_meta(dataset_dir)
    meta["knowledge"] = {"dim": config.dim, "seed": seed, "fingerprint": summary.fingerprint}
    write_json(dataset_dir / "dataset.json", meta)
    return summary


def object_vectors(state: TransEState, device_ids: list[str], empty: set[str]) -> np.ndarray:
    """(N, dim) embeddings of the objects in ``device_ids`` order; those in ``empty`` get the mean."""
    present = [d for d in device_ids if d not in empty]
    found = state.entity_vectors([object_entity(d) for d in present])
    mean = found.mean(axis=0)
    lookup = dict(zip(present, found, strict=True))
    return np.stack([lookup.get(d, mean) for d in device_ids]).astype(np.float32)


def read_summary(dataset_dir: str | os.PathLike) -> dict[str, Any]:
    """The ``knowledge.json`` of a dataset; DataError when it has none."""
    p = Path(dataset_dir) / SUMMARY_FILE
    if not p.exists():
        raise DataError(f"{p}: missing; run `kegan kg {dataset_dir}` first")
    return json.loads(p.read_text(encoding="utf-8"))
