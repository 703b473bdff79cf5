"""TransE (Bordes et al. 2013) trained with PyKEEN on all triples of a graph, seeded, CPU or GPU.

No test split: the goal is embeddings for every entity, not link-prediction scores. The trained
state is kept as plain tensors (``TransEState``) and saved with ``torch.save`` of a dict of tensors and
label lists, loaded with ``weights_only=True``: PyKEEN's pickled models break across versions/devices.
"""

from __future__ import annotations

import contextlib
import gc
import math
import os
import time
import warnings
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..atomic import atomic_path
from ..device import resolve_device, torch_threads
from ..errors import DataError, ParameterError, TrainingError
from ..progress import make_progress, say

# Below this many triples TransE has too little to learn from; it still runs, with a warning.
TINY_GRAPH_TRIPLES = 50
MIN_BATCHES_PER_EPOCH = 8


@dataclass
class TransEConfig:
    """TransE settings. Defaults: docs/knowledge.md (chosen for the IoT Sentinel graph on 2 cores)."""

    dim: int = 128
    epochs: int = 100
    batch_size: int = 512
    learning_rate: float = 0.01
    # Margin of the ranking loss and negatives per true triple (head or tail replaced at random). With
    # PyKEEN's margin 1 / 1 negative, L1 distances between unit vectors in 128-d (~10) meet the margin
    # almost at once and objects keep much of their random start: on IoT Sentinel (20 epochs) kNN
    # category accuracy 0.80 and same-device nearest neighbour 0.56; margin 5 / 8 negatives: 0.90 and
    # 0.79 (docs/knowledge.md has the sweep).
    margin: float = 5.0
    scoring_norm: int = 1  # L1 distance ||h + r - t||_1, PyKEEN's TransE default
    num_negatives: int = 8
    # torch threads on the CPU. One: a batch (512 x 128) is too small for intra-op parallelism to pay,
    # and on a shared machine OpenMP threads contend; measured 1.0 s/epoch with 1 thread vs 5.9 s with 2
    # on the IoT Sentinel graph while other jobs loaded both cores (docs/knowledge.md).
    cpu_threads: int = 1

    def validate(self) -> None:
        for name in ("dim", "epochs", "batch_size", "num_negatives", "cpu_threads"):
            if int(getattr(self, name)) < 1:
                raise ParameterError(f"TransE {name}={getattr(self, name)!r}: expected an integer >= 1")
        if not (self.learning_rate > 0 and math.isfinite(self.learning_rate)):
            raise ParameterError(f"TransE learning_rate={self.learning_rate!r}: expected a positive number")
        if self.scoring_norm not in (1, 2):
            raise ParameterError(f"TransE scoring_norm={self.scoring_norm!r}: expected 1 or 2")


@dataclass
class TransEState:
    """What training learned: labels and (n, dim) float32 vectors of every entity and relation."""

    entity_labels: list[str]
    relation_labels: list[str]
    entity_embeddings: np.ndarray  # (n_entities, dim), unit L2 norm (TransE's entity constraint)
    relation_embeddings: np.ndarray  # (n_relations, dim)
    config: TransEConfig
    losses: list[float] = field(default_factory=list)  # mean loss per epoch
    epoch_seconds: list[float] = field(default_factory=list)  # wall time per epoch (the first has set-up)

    def entity_vectors(self, labels: list[str]) -> np.ndarray:
        """(len(labels), dim) vectors of the named entities; KeyError for an unknown label."""
        index = {label: i for i, label in enumerate(self.entity_labels)}
        return self.entity_embeddings[[index[label] for label in labels]]

    def save(self, path: str | os.PathLike) -> None:
        """Write atomically to ``path`` (torch file of tensors, label lists and the config dict)."""
        import torch

        payload = {
            "entity_labels": list(self.entity_labels),
            "relation_labels": list(self.relation_labels),
            "entity_embeddings": torch.from_numpy(np.ascontiguousarray(self.entity_embeddings)),
            "relation_embeddings": torch.from_numpy(np.ascontiguousarray(self.relation_embeddings)),
            "config": asdict(self.config),
            "losses": [float(x) for x in self.losses],
        }
        with atomic_path(path) as tmp:
            torch.save(payload, tmp)

    @classmethod
    def load(cls, path: str | os.PathLike) -> TransEState:
        """Read a file written by ``save``; raises DataError naming the file when it is not one."""
        import torch

        path = Path(path)
        if not path.exists():
            raise DataError(f"{path}: no trained knowledge graph model; run `kegan kg DATASET` first")
        try:
            p = torch.load(path, map_location="cpu", weights_only=True)
            return cls(
                entity_labels=list(p["entity_labels"]),
                relation_labels=list(p["relation_labels"]),
                entity_embeddings=p["entity_embeddings"].numpy().astype(np.float32),
                relation_embeddings=p["relation_embeddings"].numpy().astype(np.float32),
                config=TransEConfig(**p["config"]),
                losses=list(p.get("losses", [])),
            )
        except Exception as e:  # any failure to unpickle or unpack means it is not our file
            raise DataError(f"{path}: not a kegan TransE model file ({e})") from e


def train_transe(
    triples: pd.DataFrame,
    config: TransEConfig,
    seed: int,
    device: str = "auto",
    progress: bool = True,
) -> TransEState:
    """Train TransE on every triple of ``triples`` (columns head, relation, tail); returns the state.

    Seeded through ``seed`` (torch, numpy, Python, PyKEEN). Warns when the graph is tiny. Raises
    DataError for an empty graph, TrainingError when the loss becomes NaN.
    """
    import torch
    from pykeen.models import TransE
    from pykeen.training import SLCWATrainingLoop
    from pykeen.training.callbacks import TrainingCallback
    from pykeen.triples import TriplesFactory

    from ..seeding import seed_everything

    config.validate()
    if len(triples) == 0:
        raise DataError("the knowledge graph has no triples: nothing to embed")
    if len(triples) < TINY_GRAPH_TRIPLES:
        warnings.warn(
            f"the knowledge graph is tiny ({len(triples)} triples < {TINY_GRAPH_TRIPLES}); "
            "its embeddings carry little information",
            stacklevel=2,
        )
    torch_device = resolve_device(device)
    seed_everything(seed)
    labeled = triples[["head", "relation", "tail"]].astype(str).to_numpy()
    factory = TriplesFactory.from_labeled_triples(labeled, create_inverse_triples=False)
    model = TransE(
        triples_factory=factory,
        embedding_dim=int(config.dim),
        scoring_fct_norm=int(config.scoring_norm),
        loss="marginranking",
        loss_kwargs={"margin": float(config.margin)},
        random_seed=int(seed),
    ).to(torch_device)
    optimizer = torch.optim.Adam(model.get_grad_params(), lr=float(config.learning_rate))
    loop = SLCWATrainingLoop(
        model=model,
        triples_factory=factory,
        optimizer=optimizer,
        negative_sampler="basic",
        negative_sampler_kwargs={"num_negs_per_pos": int(config.num_negatives)},
    )

    class _Bar(TrainingCallback):
        def __init__(self, bar, task) -> None:
            super().__init__()
            self.bar, self.task = bar, task
            self.seconds: list[float] = []
            self.last = time.perf_counter()

        def post_epoch(self, epoch: int, epoch_loss: float, **kwargs) -> None:
            now = time.perf_counter()
            self.seconds.append(now - self.last)
            self.last = now
            if not math.isfinite(epoch_loss):
                raise TrainingError(f"TransE epoch {epoch}: loss is {epoch_loss} (try a lower learning rate)")
            if self.bar is not None:
                self.bar.update(self.task, advance=1, info=f"loss {epoch_loss:.4f}")

    # batch_size is a ceiling: a small graph still gets MIN_BATCHES_PER_EPOCH optimiser steps per epoch,
    # so that "epochs" means a comparable amount of training whatever the graph's size.
    batch_size = int(max(1, min(config.batch_size, math.ceil(len(labeled) / MIN_BATCHES_PER_EPOCH))))
    bar = make_progress(transient=True) if progress else None
    if progress:  # the bar is transient, and a log file only gets a line every 30 s: say what starts
        say(f"training TransE: {len(labeled)} triples, dim {config.dim}, {int(config.epochs)} epochs on {torch_device.type}")
    with bar if bar is not None else contextlib.nullcontext():
        task = bar.add_task(f"TransE on {torch_device.type}", total=int(config.epochs), info="") if bar else None
        callback = _Bar(bar, task)
        with warnings.catch_warnings(), _frozen_gc(), torch_threads(config.cpu_threads if torch_device.type == "cpu" else None):
            warnings.filterwarnings("ignore", module="pykeen")
            warnings.filterwarnings("ignore", message=".*pin_memory.*")
            losses = loop.train(
                triples_factory=factory,
                num_epochs=int(config.epochs),
                batch_size=batch_size,
                use_tqdm=False,
                drop_last=False,
                callbacks=callback,
                pin_memory=False,
            )
    model.eval()
    with torch.no_grad():
        ent = model.entity_representations[0](indices=None).detach().cpu().numpy().astype(np.float32)
        rel = model.relation_representations[0](indices=None).detach().cpu().numpy().astype(np.float32)
    id_to_entity = {i: label for label, i in factory.entity_to_id.items()}
    id_to_relation = {i: label for label, i in factory.relation_to_id.items()}
    return TransEState(
        entity_labels=[id_to_entity[i] for i in range(len(id_to_entity))],
        relation_labels=[id_to_relation[i] for i in range(len(id_to_relation))],
        entity_embeddings=ent,
        relation_embeddings=rel,
        config=config,
        losses=[float(x) for x in (losses or [])],
        epoch_seconds=[round(x, 4) for x in callback.seconds],
    )


@contextlib.contextmanager
def _frozen_gc():
    """PyKEEN runs ``gc.collect()`` after every epoch; with torch, pandas and sklearn loaded that costs
    ~0.3 s per epoch on 2 cores, more than a whole epoch on a small graph. Freezing the objects that
    exist before training makes those collections cheap (only training's own garbage is scanned); no
    collection first, since a full one is just as slow."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()

