"""Embedding new entities (objects of new devices, with known facts) against a frozen TransE model.

Only the new entities' vectors are optimised, with TransE's own objective: the margin ranking loss
between a true triple's distance ``||h + r - t||_p`` and that of the triple with its known end replaced
by a random known entity; new vectors are kept on the unit sphere, as TransE keeps its entities.
Everything the model learned (known entities, relations) stays as it was, so earlier embeddings and
anything trained on them remain valid.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import DataError, ParameterError
from .transe import TransEState

MODEL_FILE = "knowledge_model.pt"


def _as_frame(triples: pd.DataFrame | Sequence[tuple[str, str, str]]) -> pd.DataFrame:
    if isinstance(triples, pd.DataFrame):
        missing = [c for c in ("head", "relation", "tail") if c not in triples.columns]
        if missing:
            raise ParameterError(f"triples: missing column {missing[0]!r} (expected head, relation, tail)")
        return triples[["head", "relation", "tail"]].astype(str).reset_index(drop=True)
    rows = [tuple(map(str, t)) for t in triples]
    for i, t in enumerate(rows):
        if len(t) != 3:
            raise ParameterError(f"triples[{i}]: expected (head, relation, tail), got {len(t)} items")
    return pd.DataFrame(rows, columns=["head", "relation", "tail"], dtype=str)


def _load(model: TransEState | str | os.PathLike) -> TransEState:
    if isinstance(model, TransEState):
        return model
    path = Path(model)
    return TransEState.load(path / MODEL_FILE if path.is_dir() else path)


def embed_new(
    model: TransEState | str | os.PathLike,
    triples: pd.DataFrame | Sequence[tuple[str, str, str]],
    steps: int = 300,
    learning_rate: float = 0.05,
    num_negatives: int = 32,
    seed: int = 0,
) -> tuple[list[str], np.ndarray]:
    """Vectors for the entities of ``triples`` that the model does not know, the model left frozen.

    ``model`` is a TransEState, a dataset directory holding ``knowledge_model.pt`` or that file.
    ``triples`` (head, relation, tail) describe the new entities with the same rules as
    ``triples.build_triples`` (use it on a dataset of the new objects). Returns (labels of the new
    entities, sorted; float32 array (n_new, dim)). Raises DataError for a relation the model never saw
    (it has no vector for it), ParameterError for malformed triples or settings.
    """
    import torch

    if steps < 0 or learning_rate <= 0 or num_negatives < 1:
        raise ParameterError(
            f"embed_new: steps={steps}, learning_rate={learning_rate}, num_negatives={num_negatives}: "
            "expected steps >= 0, learning_rate > 0, num_negatives >= 1"
        )
    state = _load(model)
    frame = _as_frame(triples)
    rel_index = {r: i for i, r in enumerate(state.relation_labels)}
    unknown = sorted(set(frame["relation"]) - set(rel_index))
    if unknown:
        raise DataError(
            f"embed_new: relation {unknown[0]!r} is not in the trained graph (known: "
            f"{', '.join(state.relation_labels)}); retrain with `kegan kg` to add relations"
        )
    known_index = {e: i for i, e in enumerate(state.entity_labels)}
    new_labels = sorted((set(frame["head"]) | set(frame["tail"])) - set(known_index))
    dim = state.entity_embeddings.shape[1]
    if not new_labels:
        return [], np.zeros((0, dim), dtype=np.float32)
    frame = frame[~(frame["head"].isin(known_index) & frame["tail"].isin(known_index))].reset_index(drop=True)

    n_known = len(state.entity_labels)
    new_index = {e: n_known + i for i, e in enumerate(new_labels)}
    index = {**known_index, **new_index}
    h = torch.tensor(frame["head"].map(index).to_numpy(), dtype=torch.long)
    r = torch.tensor(frame["relation"].map(rel_index).to_numpy(), dtype=torch.long)
    t = torch.tensor(frame["tail"].map(index).to_numpy(), dtype=torch.long)
    known = torch.from_numpy(state.entity_embeddings)  # (n_known, dim), frozen
    relations = torch.from_numpy(state.relation_embeddings)  # (n_relations, dim), frozen
    p = int(state.config.scoring_norm)
    margin = float(state.config.margin)

    gen = torch.Generator().manual_seed(int(seed))
    new = _initial_vectors(new_labels, new_index, n_known, h, r, t, known, relations, gen)
    new.requires_grad_(True)
    optimizer = torch.optim.Adam([new], lr=learning_rate)
    # The corrupted end is the one that is a known entity when the other is new (else the tail).
    corrupt_head = (h < n_known) & (t >= n_known)  # (n_triples,)
    for _ in range(int(steps)):
        table = torch.cat([known, new])  # (n_known + n_new, dim)
        pos = torch.linalg.vector_norm(table[h] + relations[r] - table[t], ord=p, dim=-1)  # (n_triples,)
        fake = torch.randint(n_known, (len(h), num_negatives), generator=gen)  # known entities only
        nh = torch.where(corrupt_head[:, None], fake, h[:, None])  # (n_triples, num_negatives)
        nt = torch.where(corrupt_head[:, None], t[:, None], fake)
        neg = torch.linalg.vector_norm(table[nh] + relations[r][:, None] - table[nt], ord=p, dim=-1)
        loss = torch.relu(margin + pos[:, None] - neg).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        with torch.no_grad():
            new.copy_(torch.nn.functional.normalize(new, dim=-1))
    return new_labels, new.detach().numpy().astype(np.float32)


def _initial_vectors(new_labels, new_index, n_known, h, r, t, known, relations, gen):
    """Start each new entity where its triples with known ends put it: the mean of ``t - r`` (as a
    head) and ``h + r`` (as a tail), on the unit sphere; random for entities with only new neighbours."""
    import torch

    dim = known.shape[1]
    total = torch.zeros(len(new_labels), dim)
    count = torch.zeros(len(new_labels))
    for hi, ri, ti in zip(h.tolist(), r.tolist(), t.tolist(), strict=True):
        if hi >= n_known and ti < n_known:
            total[hi - n_known] += known[ti] - relations[ri]
            count[hi - n_known] += 1
        elif ti >= n_known and hi < n_known:
            total[ti - n_known] += known[hi] + relations[ri]
            count[ti - n_known] += 1
    random = torch.randn(len(new_labels), dim, generator=gen)
    start = torch.where((count > 0)[:, None], total / count.clamp(min=1)[:, None], random)
    return torch.nn.functional.normalize(start, dim=-1)


def embed_new_objects(
    model: TransEState | str | os.PathLike,
    ds,
    relation_map=None,
    **kwargs,
) -> tuple[list[str], np.ndarray]:
    """Embed the objects of dataset ``ds`` (new devices, known facts) against a trained graph.

    Builds their triples with the same rules (ports the graph knows keep their own tails), then calls
    ``embed_new``. Returns (device_ids in ``ds`` order, float32 (N, dim)). Objects without any triple
    raise DataError: there is nothing to place them by. ``kwargs`` go to ``embed_new``.
    """
    from .triples import build_triples, object_entity, objects_without_triples

    state = _load(model)
    known_ports = [e.removeprefix("port:") for e in state.entity_labels if e.startswith("port:")]
    triples = build_triples(ds, relation_map=relation_map, known_ports=known_ports)
    empty = objects_without_triples(ds, triples)
    if empty:
        raise DataError(f"embed_new: object {empty[0]!r} has no triple ({len(empty)} such); nothing to place it by")
    known = set(state.entity_labels)
    clash = [d for d in ds.device_ids if object_entity(d) in known]
    if clash:
        raise ParameterError(f"embed_new: object {clash[0]!r} is already in the trained graph; give new objects new ids")
    labels, vectors = embed_new(state, triples, **kwargs)
    index = {label: i for i, label in enumerate(labels)}
    return ds.device_ids, vectors[[index[object_entity(d)] for d in ds.device_ids]]
