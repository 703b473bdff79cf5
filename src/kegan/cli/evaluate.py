"""`kegan evaluate`: how close a synthetic dataset is to the real one, in numbers and pictures."""

from __future__ import annotations

from pathlib import Path

import typer

from ..dataset import read_dataset
from ..evaluate.coverage import category_coverage


def evaluate(
    real: Path = typer.Argument(..., help="The real dataset directory the generator was trained on."),
    synthetic: Path = typer.Argument(..., help="The synthetic dataset directory to judge."),
    out: Path = typer.Option(None, "--out", help="Report directory to write (metrics.json, report.md, "
                             "report.html, PNGs); replaced whole. Without it only the tables are printed."),
    test: Path = typer.Option(None, "--test", help="Real objects the generator never saw: TSTR tests on them, "
                              "privacy treats them as held out, distances are also computed against them. "
                              "Without it REAL is split 70/30 for TSTR and privacy."),
    seed: int = typer.Option(0, "--seed", help="Seed of the split, the floor halves, classifiers and samples."),
) -> None:
    """Jensen-Shannon distances (with the real-vs-real floor), train-on-synthetic-test-on-real, privacy.

    Examples:

      kegan evaluate runs/sentinel runs/synthetic --out runs/report

      kegan evaluate runs/train runs/synthetic --test runs/test --out runs/report --seed 1
    """
    from ..evaluate import report
    from ..evaluate.api import evaluate as run_evaluate

    real_ds = read_dataset(real)
    syn_ds = read_dataset(synthetic)
    test_ds = read_dataset(test) if test is not None else None
    sources = {"real": str(real), "synthetic": str(synthetic)} | ({"test": str(test)} if test is not None else {})
    m = run_evaluate(real_ds, syn_ds, out, test=test_ds, seed=seed, progress=True, sources=sources)
    typer.echo(f"{len(syn_ds)} synthetic objects vs {len(real_ds)} real"
               + (f" and {len(test_ds)} test" if test_ds is not None else "") + f" objects ({m['elapsed_s']:.1f} s)")
    typer.echo("\nJensen-Shannon distance (0 same, 1 disjoint) beside the real-vs-real floor:")
    typer.echo(report.text_table(*report.distance_table(m)))
    typer.echo(f"\nTrain on synthetic / on real, test on {m['tstr']['test_on']}:")
    typer.echo(report.text_table(*report.tstr_table(m)))
    p = m["privacy"]
    typer.echo(
        f"\nPrivacy: {report.fmt(p['share_identical'])} of synthetic series identical to real ones; "
        f"closer-to-training share {report.fmt(p['share_closer_to_train'])} (0.5: no sign of copying); median "
        f"distance to training {report.fmt(p['dcr_synthetic_median'])} (synthetic) vs "
        f"{report.fmt(p['dcr_holdout_median'])} (held-out)."
    )
    typer.echo("\n" + "\n".join(category_coverage(m)))
    if out is not None:
        typer.echo(f"\nwrote {out}/report.html, report.md, metrics.json and {len(m['figures'])} figures")


def register(app: typer.Typer) -> None:
    app.command("evaluate")(evaluate)
