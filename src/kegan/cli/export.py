"""`kegan export`: a dataset directory to CSV files for people who want CSV."""

from __future__ import annotations

from pathlib import Path

import typer

from ..atomic import atomic_dir
from ..dataset import read_dataset
from ..errors import ParameterError


def export(
    dataset: Path = typer.Argument(..., help="A kegan dataset directory (real or synthetic)."),
    format: str = typer.Option("csv", "--format", help="Output format; only csv for now."),
    out: Path = typer.Option(None, "--out", help="Output directory (default: DATASET/csv)."),
) -> None:
    """Write devices.csv, records.csv (and observations.csv) into DATASET/csv/ (or --out).

    Example: kegan export runs/sentinel --format csv
    """
    if format != "csv":
        raise ParameterError(f"--format {format!r}: only 'csv' is supported")
    ds = read_dataset(dataset)
    out = out or Path(dataset) / "csv"
    with atomic_dir(out) as tmp:
        ds.devices.to_csv(tmp / "devices.csv", index=False)
        ds.records.to_csv(tmp / "records.csv", index=False)
        if ds.observations is not None:
            ds.observations.to_csv(tmp / "observations.csv", index=False)
    typer.echo(f"exported {len(ds)} objects, {len(ds.records)} records to {out}/")


def register(app: typer.Typer) -> None:
    app.command("export")(export)
