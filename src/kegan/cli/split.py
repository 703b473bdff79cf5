"""`kegan split`: a seeded, stratified split of a dataset by object into train/ and test/ datasets."""

from __future__ import annotations

from pathlib import Path

import typer

from ..dataset import read_dataset, split_objects, write_dataset
from ..errors import ParameterError
from ..knowledge.embeddings_io import EMBEDDINGS_FILE, read_embeddings, write_embeddings


def split(
    dataset: Path = typer.Argument(..., help="A kegan dataset directory."),
    out: Path = typer.Option(..., "--out", help="Directory to write train/ and test/ into."),
    train_fraction: float = typer.Option(0.7, "--train-fraction", help="Share of each category's objects to train on."),
    seed: int = typer.Option(0, "--seed", help="Seed of the split (the same seed, the same split)."),
) -> None:
    """Split DATASET by object, stratified by category, into OUT/train and OUT/test.

    Each part is a dataset of its own (with its share of embeddings.parquet when DATASET has one), so
    a model can train on OUT/train and `kegan evaluate` can test on objects it never saw.
    A category with a single object goes whole to train (with a warning).

    Examples:
      kegan split runs/sentinel --out runs/split
      kegan train runs/split/train --out runs/model
      kegan evaluate runs/split/train runs/synthetic --test runs/split/test --out runs/report
    """
    if not 0 < train_fraction < 1:
        raise ParameterError(f"--train-fraction {train_fraction}: expected a number between 0 and 1")
    ds = read_dataset(dataset)
    train_ids, test_ids = split_objects(ds, train_fraction, seed=seed)
    has_embeddings = (Path(dataset) / EMBEDDINGS_FILE).exists()
    for part, ids in (("train", train_ids), ("test", test_ids)):
        sub = ds.subset(ids)
        sub.meta["split"] = {"of": str(dataset), "of_fingerprint": ds.meta.get("fingerprint"), "part": part,
                             "train_fraction": train_fraction, "seed": seed}
        write_dataset(sub, Path(out) / part)
        if has_embeddings:
            _, vectors = read_embeddings(dataset, ids)
            write_embeddings(Path(out) / part / EMBEDDINGS_FILE, ids, vectors)
    extra = " with their embeddings" if has_embeddings else ""
    typer.echo(f"split {len(ds)} objects: {len(train_ids)} -> {out}/train, {len(test_ids)} -> {out}/test{extra} "
               f"(stratified by category, seed {seed})")


def register(app: typer.Typer) -> None:
    app.command("split")(split)
