"""`kegan generate`: sample a synthetic dataset from a trained model directory."""

from __future__ import annotations

import re
from pathlib import Path

import typer

from ..dataset import write_dataset
from ..errors import ParameterError
from ..model.config import DEFAULT_ITERATIONS

# Attribute columns never copied into a synthetic dataset by --like: names, MACs and addresses.
IDENTIFYING = re.compile(r"(^device$|device_id|name|mac|ip|addr|serial)", re.IGNORECASE)


def generate(
    model: Path = typer.Argument(..., help="A model directory written by `kegan train`."),
    n: int = typer.Option(..., "--n", help="Number of synthetic objects."),
    out: Path = typer.Option(..., "--out", help="Synthetic dataset directory to write (replaced atomically)."),
    seed: int = typer.Option(0, "--seed", help="Same model and seed: the same dataset."),
    like: str = typer.Option(None, "--like", help="Condition on the embeddings of a dataset directory, or of the "
                             "training objects matching column=value[,column=value] (e.g. manufacturer=D-Link)."),
    device: str = typer.Option("auto", "--device", help="auto, cpu or cuda."),
) -> None:
    """Generate a synthetic dataset (ids syn-000001..., devices: device_id and category).

    Examples:
      kegan generate runs/model --n 1000 --out runs/synthetic
      kegan generate runs/model --n 200 --out runs/dlink --like manufacturer=D-Link
      kegan generate runs/model --n 200 --out runs/like-new --like runs/new-devices
    """
    from ..knowledge.embeddings_io import read_embeddings
    from ..model import KEGAN

    if n < 1:
        raise ParameterError(f"--n {n}: expected a whole number of objects >= 1")
    m = KEGAN.load(model, device=device)
    embeddings, attributes, rows = None, {}, None
    if like is not None:
        if Path(like).is_dir():
            _, embeddings = read_embeddings(like)
            source = f"{len(embeddings)} objects of {like}"
        else:
            rows, attributes = m.rows_like(like)
            embeddings = m.embeddings_[rows]
            source = f"{len(rows)} training objects with {like}"
    ds = m.sample(n, seed=seed, embeddings=embeddings)
    shareable = {col: v for col, v in attributes.items() if not IDENTIFYING.search(col)}
    for col, value in shareable.items():
        if col != "category":
            ds.devices[col] = value
    if like is not None:
        # never the filter as typed: it may name a device, a MAC or a local path
        withheld = len(attributes) - len(shareable)
        ds.meta["like"] = (f"a dataset directory ({len(embeddings)} objects)" if rows is None else
                           ",".join(f"{c}={v}" for c, v in shareable.items()) or "identifying attributes")
        if withheld and shareable:
            ds.meta["like"] += f" (+{withheld} identifying condition(s), not recorded)"
    write_dataset(ds, out)
    counts = ds.devices["category"].value_counts()
    cats = ", ".join(f"{c} {k}" for c, k in counts.items())
    cond = f" conditioned on {source}" if like is not None else ""
    typer.echo(f"generated {len(ds)} objects, {len(ds.records)} records{cond}; categories: {cats}; -> {out}/")
    expected = set(m.category_names_) if like is None or rows is None else {
        m.category_names_[i] for i in m.object_categories_[rows]}
    missing = sorted(expected - set(counts.index))
    foreign = sorted(set(counts.index) - expected)
    what = "the training objects" if like is None or rows is None else f"the {len(rows)} matching training objects"
    hint = (f"the model trained {m.n_iter_} iterations (default {DEFAULT_ITERATIONS}): it may be under-trained"
            if m.n_iter_ < DEFAULT_ITERATIONS else "sample more objects, or train longer")
    if missing:
        typer.secho(f"warning: {len(missing)} of the {len(expected)} categories of {what} not sampled: "
                    f"{', '.join(missing)} ({hint})", fg="yellow", err=True)
    if foreign:
        typer.secho(f"warning: {sum(int(counts[c]) for c in foreign)} objects in categories that none of {what} "
                    f"have: {', '.join(foreign)} ({hint})", fg="yellow", err=True)


def register(app: typer.Typer) -> None:
    app.command("generate")(generate)
