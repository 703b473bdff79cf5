"""`kegan train`: fit KE-GAN on a dataset directory (and its embeddings) and write a model directory."""

from __future__ import annotations

from pathlib import Path

import typer

from ..dataset import read_dataset
from ..device import resolve_device
from ..errors import DataError, ParameterError
from ..model.checkpoint import checkpoint_step


def checkpoint_dir_for(out: Path) -> Path:
    """Where ``kegan train --out MODEL`` keeps its checkpoint: the sibling ``MODEL.checkpoint``."""
    return out.with_name(out.name + ".checkpoint")


def train(
    dataset: Path = typer.Argument(..., help="A kegan dataset directory (with embeddings.parquet unless --no-knowledge)."),
    out: Path = typer.Option(..., "--out", help="Model directory to write (replaced atomically)."),
    iterations: int = typer.Option(None, "--iterations", help="Generator steps (default: the config's, see docs/model.md)."),
    epochs: float = typer.Option(None, "--epochs", help="Passes of the critic over the objects (instead of --iterations)."),
    seed: int = typer.Option(0, "--seed", help="One seed for every random source."),
    device: str = typer.Option("auto", "--device", help="auto, cpu or cuda."),
    no_knowledge: bool = typer.Option(False, "--no-knowledge", help="Ablation Non-KGE: no embeddings anywhere."),
    no_attention: bool = typer.Option(False, "--no-attention", help="Ablation Non-attention: linear records head."),
    critic_knowledge: bool = typer.Option(False, "--critic-knowledge", help="Also feed K to the critic."),
    category_loss_weight: float = typer.Option(
        None, "--category-loss-weight",
        help="Weight of the term tying the category to K (default 1 with knowledge; 0 = Algorithm 1 exactly)."),
    max_minutes: float = typer.Option(None, "--max-minutes", help="Stop after this much wall-clock time."),
    resume: bool = typer.Option(False, "--resume", help="Continue from OUT.checkpoint after an interruption."),
) -> None:
    """Train the knowledge-enhanced GAN and save it to --out.

    A checkpoint is kept in OUT.checkpoint (every 200 iterations); after a kill or Ctrl-C, run the
    same command with --resume to continue from it.

    Examples:
      kegan train runs/sentinel --out runs/model
      kegan train runs/sentinel --out runs/model-nokg --no-knowledge --iterations 500 --max-minutes 5
      kegan train runs/sentinel --out runs/model-alg1 --category-loss-weight 0   # the paper's Algorithm 1 as is
    """
    from ..knowledge.embeddings_io import EMBEDDINGS_FILE, read_embeddings
    from ..model import KEGAN, KEGANConfig

    resolve_device(device)  # a bad --device is an error before any work, in the option's own words
    if iterations is not None and epochs is not None:
        raise ParameterError("--iterations and --epochs: give one or the other")
    if iterations is not None and iterations < 1:
        raise ParameterError(f"--iterations {iterations}: expected a whole number >= 1")
    if epochs is not None and not epochs > 0:
        raise ParameterError(f"--epochs {epochs}: expected a number > 0")
    if max_minutes is not None and not max_minutes > 0:
        raise ParameterError(f"--max-minutes {max_minutes}: expected a number > 0")
    config = KEGANConfig(seed=seed, device=device, use_knowledge=not no_knowledge, attention=not no_attention,
                         critic_knowledge=critic_knowledge, category_loss_weight=category_loss_weight)
    if iterations is not None:
        config.iterations = iterations
    if epochs is not None:
        config.epochs = epochs
    config.validate()
    ds = read_dataset(dataset)
    embeddings = None
    if config.use_knowledge:
        if not (Path(dataset) / EMBEDDINGS_FILE).exists():
            raise DataError(f"{dataset}: no {EMBEDDINGS_FILE}; run `kegan kg {dataset}` first "
                            "(or train the Non-KGE ablation with --no-knowledge)")
        _, embeddings = read_embeddings(dataset, ds.device_ids)
    ckpt = checkpoint_dir_for(Path(out))
    try:
        model = KEGAN(config).fit(ds, embeddings, max_minutes=max_minutes, checkpoint_dir=ckpt, resume=resume,
                                  progress=True)
    except KeyboardInterrupt:
        step = checkpoint_step(ckpt)
        where = (f"the last checkpoint (iteration {step}) is in {ckpt}/; continue with the same command plus --resume"
                 if step is not None else f"no checkpoint was written yet (one every {config.checkpoint_every} "
                 "iterations); rerun to start again")
        typer.secho(f"interrupted: {where}", fg="yellow", err=True)
        raise typer.Exit(130) from None
    model.save(out)
    last = model.history_[-1] if model.history_ else {}
    w = f", Wasserstein estimate {last['wasserstein']:.4f}" if last else ""
    stop = " (stopped by --max-minutes)" if model.stopped_by_time_ else ""
    typer.echo(f"trained {model.n_iter_} iterations in {model.elapsed_s_:.1f} s{stop} on {len(ds)} objects, "
               f"{len(model.category_names_)} categories, M_max {model.M_max_}{w}; model -> {out}/ "
               f"(checkpoint for --resume: {ckpt}/, safe to delete)")


def register(app: typer.Typer) -> None:
    app.command("train")(train)
