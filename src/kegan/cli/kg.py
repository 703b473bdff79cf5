"""`kegan kg` (knowledge graph + TransE embeddings) and `kegan kg-check` (are the embeddings real?)."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from ..errors import DataError, ParameterError


def _relation_map(path: Path | None) -> dict | None:
    if path is None:
        return None
    try:
        mapping = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as e:
        raise DataError(f"--relation-map {path}: cannot read it as JSON ({e})") from e
    if not isinstance(mapping, dict) or not all(isinstance(v, str | None) for v in mapping.values()):
        raise ParameterError(f"--relation-map {path}: expected a JSON object of name -> new name (or null to drop)")
    return mapping


def kg(
    dataset: Path = typer.Argument(..., help="A kegan dataset directory (from `kegan ingest`)."),
    dim: int = typer.Option(128, "--dim", help="Embedding dimension."),
    epochs: int = typer.Option(None, "--epochs", help="TransE epochs (default 100, see docs/knowledge.md)."),
    seed: int = typer.Option(None, "--seed", help="Seed (drawn and recorded when omitted)."),
    device: str = typer.Option("auto", "--device", help="auto, cpu or cuda."),
    relation_map: Path = typer.Option(
        None, "--relation-map", help='JSON file renaming or dropping relations: {"manufacturer": "manufactured_by", "connectivity": null}.'
    ),
    empty_policy: str = typer.Option("mean", "--empty-policy", help="Objects without any triple: mean (mean embedding) or error."),
    threads: int = typer.Option(1, "--threads", help="torch threads on the CPU (1 is fastest unless the graph is large and the cores idle)."),
) -> None:
    """Build the dataset's knowledge graph and embed it with TransE.

    Writes triples.tsv, embeddings.parquet, knowledge_model.pt and knowledge.json into DATASET and
    records the embedding (dim, seed, dataset fingerprint) in dataset.json.

    Examples:
      kegan kg runs/sentinel
      kegan kg runs/sentinel --dim 64 --epochs 50 --seed 1 --device cpu
    """
    from ..knowledge.api import build_knowledge

    summary = build_knowledge(
        dataset, dim=dim, epochs=epochs, seed=seed, device=device, progress=True,
        relation_map=_relation_map(relation_map), empty_policy=empty_policy, threads=threads,
    )
    for line in summary.lines():
        typer.echo(line)
    typer.echo(f"wrote triples.tsv, embeddings.parquet, knowledge_model.pt, knowledge.json to {dataset}/")


def kg_check(
    dataset: Path = typer.Argument(..., help="A kegan dataset directory with embeddings.parquet (`kegan kg`)."),
    seeds: int = typer.Option(10, "--seeds", help="Number of 50/50 splits (seeds 0..N-1)."),
    grouped: bool = typer.Option(True, "--grouped/--no-grouped", help="Also the device-grouped variant."),
    strict: bool = typer.Option(False, "--strict", help="Exit 1 unless every classifier beats the control."),
) -> None:
    """Predict each object's category from its embedding alone (paper Appendix A) next to a random control.

    Six classifiers (linear SVM, kNN, LR, RF, MLP, multinomial NB) on stratified 50/50 splits; each
    passes when its mean accuracy exceeds the random control's mean + 3 std. Writes kg_check.json
    into DATASET.

    Examples:
      kegan kg-check runs/sentinel
      kegan kg-check runs/sentinel --seeds 20 --no-grouped --strict
    """
    from ..atomic import write_json
    from ..knowledge.check import format_report
    from ..knowledge.check import kg_check as run_check

    if seeds < 2:
        raise ParameterError(f"--seeds {seeds}: need at least 2 splits to measure a spread")
    result = run_check(dataset, seeds=range(seeds), grouped=grouped, progress=True)
    for line in format_report(result):
        typer.echo(line)
    write_json(Path(dataset) / "kg_check.json", result)
    typer.echo(f"wrote {dataset}/kg_check.json")
    if strict and not result["plain"]["all_passed"]:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command("kg")(kg)
    app.command("kg-check")(kg_check)
