"""`kegan bench`: the baselines and KE-GAN side by side on one dataset, as the paper's tables."""

from __future__ import annotations

from pathlib import Path

import typer


def bench(
    dataset: Path = typer.Argument(..., help="A real kegan dataset directory (with embeddings.parquet, or it is built)."),
    out: Path = typer.Option(..., "--out", help="Output directory: bench.md, bench.html, bench.json, figures."),
    generators: str = typer.Option(None, "--generators", help="Comma-separated registry names (default: all)."),
    seed: int = typer.Option(0, "--seed", help="One seed for the split, every generator and every metric."),
    quick: bool = typer.Option(False, "--quick", help="Small stratified sample, tiny settings, seconds per generator."),
    minutes: float = typer.Option(None, "--minutes", help="Wall-clock budget per neural generator (default 8)."),
    fig5_minutes: float = typer.Option(None, "--fig5-minutes", help="Budget per Figure 5 run (default 2)."),
    fig5_repeats: int = typer.Option(None, "--fig5-repeats", help="Figure 5 repeats (default 3; 0 skips it)."),
    device: str = typer.Option("auto", "--device", help="auto, cpu or cuda."),
) -> None:
    """Run every generator on DATASET under one protocol and write the paper's Tables 2-4 and Figures 4-5.

    Examples:

      kegan bench runs/sentinel --out runs/bench                 # full bench, about 2 hours on 2 cores

      kegan bench runs/sentinel --out runs/bench-quick --quick   # the whole machinery in a minute

      kegan bench runs/sentinel --out runs/b --generators ar,hmm,kegan --minutes 4 --fig5-repeats 0
    """
    from ..bench import run_bench
    from ..bench.tables import jsd_table, resources_table, to_markdown, tstr_table

    names = [g.strip() for g in generators.split(",") if g.strip()] if generators else None
    result = run_bench(dataset, out, generators=names, seed=seed, quick=quick, max_minutes=minutes,
                       fig5_minutes=fig5_minutes, fig5_repeats=fig5_repeats, device=device, progress=True)
    tables = (jsd_table(result, "train", False), jsd_table(result, "train", True), tstr_table(result),
              resources_table(result))
    for table in tables:
        typer.echo(to_markdown(table))
    failed = [g["display"] for g in result["generators"].values() if g.get("status") != "ok"]
    ok = len(result["generators"]) - len(failed)
    typer.echo(f"{ok} generator(s) ran, {len(failed)} failed{': ' + ', '.join(failed) if failed else ''}; "
               f"{result['timings']['total_seconds']:.0f} s")
    typer.echo(f"wrote {out}/bench.md, {out}/bench.html, {out}/bench.json (synthetic data in {out}/synthetic/)")
    if quick:
        typer.secho("quick run: tiny settings and seconds of training on a small sample; these numbers check "
                    "the machinery, they say nothing about the generators", fg="yellow")


def register(app: typer.Typer) -> None:
    app.command("bench")(bench)
