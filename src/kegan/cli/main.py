"""`kegan` entry point: registers each command module and turns KeganError into a clean exit."""

from __future__ import annotations

import importlib
import sys
import warnings

import typer

from ..errors import KeganError

app = typer.Typer(
    name="kegan",
    help="Knowledge-enhanced GAN for IoT traffic: ingest captures, build the knowledge graph, "
    "train, generate and evaluate synthetic traffic datasets.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

# Each module defines register(app) and adds its command(s); order is the order in --help.
COMMAND_MODULES = ["ingest", "export", "split", "kg", "train", "generate", "evaluate", "bench", "demo"]

for _name in COMMAND_MODULES:
    try:
        _mod = importlib.import_module(f"kegan.cli.{_name}")
    except ModuleNotFoundError as _e:  # a stage still under construction
        if _e.name == f"kegan.cli.{_name}":
            continue
        raise
    _mod.register(app)


@app.callback()
def _root() -> None:
    """kegan: IoT traffic in, a shareable synthetic traffic dataset and a report out."""


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    # Users get "warning: <what and where in their input>", not our source file and line.
    typer.secho(f"warning: {message}", fg="yellow", err=True)


def main() -> None:
    warnings.showwarning = _show_warning
    try:
        app()  # standalone: click prints usage errors itself and exits 2
    except KeganError as e:
        typer.secho(f"error: {e}", fg="red", err=True)
        sys.exit(2)


if __name__ == "__main__":
    main()
