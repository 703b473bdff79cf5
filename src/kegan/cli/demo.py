"""`kegan demo`: the whole main job on the real captures (or your own) with the defaults."""

from __future__ import annotations

from pathlib import Path

import typer

from ..pipeline.demo import DEFAULT_DATA, DEFAULT_DEVICES, DemoSettings, run_demo
from ..pipeline.summary import format_summary


def demo(
    data: Path = typer.Option(DEFAULT_DATA, "--data", help="Captures (a folder per device) or packet tables."),
    devices: Path = typer.Option(DEFAULT_DEVICES, "--devices", help="The device table (CSV)."),
    out: Path = typer.Option(Path("runs/demo"), "--out", help="Run directory for every stage's output."),
    seed: int = typer.Option(0, "--seed", help="One seed for the split, the embeddings, training and sampling."),
    iterations: int = typer.Option(None, "--iterations", help="KE-GAN generator steps (default: the model's)."),
    max_minutes: float = typer.Option(None, "--max-minutes", help="Cap on training wall-clock minutes."),
    device: str = typer.Option("auto", "--device", help="auto, cpu or cuda."),
    fresh: bool = typer.Option(False, "--fresh", help="Redo every stage, even those that are up to date."),
) -> None:
    """Ingest -> knowledge graph -> train KE-GAN on 70% -> generate -> evaluate against the held-out 30%.

    A second run reuses the stages whose inputs have not changed.

    Examples:
      kegan demo
      kegan demo --fresh
      kegan demo --data my_captures/ --devices my_devices.csv --out runs/mine
    """
    settings = DemoSettings(data=data, devices=devices, out=out, seed=seed, iterations=iterations,
                            max_minutes=max_minutes, device=device, fresh=fresh)
    try:
        result = run_demo(settings)
    except KeyboardInterrupt:
        typer.secho(f"interrupted: run the same `kegan demo` command again to continue; finished stages are "
                    f"reused and training resumes from its last checkpoint in {out / 'checkpoints'}/",
                    fg="yellow", err=True)
        raise typer.Exit(130) from None
    typer.echo(format_summary(result))


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)
