"""``run_bench``: every generator on one dataset under one protocol, then the paper's tables.

Steps: read the dataset (``--quick``: a small stratified sample), load its knowledge embeddings (built
when missing and a generator needs them), split 70/30, fix the bin edges on the full real data, score
the real reference rows (floor, TSTR on real), fit and sample each generator in turn, score each
synthetic dataset, run Figure 5, write the report. The output directory appears whole at the end
(atomic), with ``synthetic/<generator>/`` holding each generator's dataset.
"""

from __future__ import annotations

import datetime as _dt
import os
import time
from pathlib import Path
from typing import Any

import numpy as np

from .. import __version__
from ..atomic import atomic_dir
from ..dataset.format import Dataset
from ..dataset.io import read_dataset, write_dataset
from ..errors import ParameterError
from ..progress import say
from .figure5 import VARIANTS, run_figure5
from .measure import memory_method
from .protocol import (
    CATEGORY_FROM_REAL,
    BenchSettings,
    category_agreement_of,
    category_counts,
    display_name,
    fit_and_sample,
    order_names,
    quick_sample,
    score_synthetic,
    split_train_heldout,
)
from .report import write_report


def _registry():
    from ..baselines import registry

    return registry


def _needs_embeddings(get_class, names: list[str]) -> bool:
    for n in names:
        try:
            if get_class(n).needs_embeddings:
                return True
        except Exception:  # noqa: BLE001 - the generator's own run will record the error
            continue
    return False


def _load_embeddings(dataset_dir: Path, ds: Dataset, device: str, seed: int, quick: bool,
                     announce) -> tuple[dict[str, np.ndarray] | None, dict[str, Any]]:
    """Object id -> knowledge vector, and how they were obtained.

    When ``DATASET/embeddings.parquet`` is missing it is built in place (as ``kegan kg DATASET`` does).
    """
    from ..knowledge.embeddings_io import EMBEDDINGS_FILE, read_embeddings

    info: dict[str, Any] = {"file": str(dataset_dir / EMBEDDINGS_FILE)}
    if not (dataset_dir / EMBEDDINGS_FILE).exists():
        from ..knowledge.api import build_knowledge

        announce(f"no {EMBEDDINGS_FILE} in {dataset_dir}: building the knowledge graph and embeddings")
        kw: dict[str, Any] = {"seed": seed, "device": device, "progress": False}
        if quick:
            kw.update(dim=16, epochs=10)
        build_knowledge(dataset_dir, **kw)
        info["source"] = f"built by the bench ({'dim 16, 10 epochs' if quick else 'kg defaults'})"
    else:
        info["source"] = f"existing {EMBEDDINGS_FILE}"
    ids, vectors = read_embeddings(dataset_dir, ds.device_ids)
    info["dim"] = int(vectors.shape[1])
    return dict(zip(ids, vectors, strict=True)), info


def run_bench(
    dataset_dir: str | os.PathLike,
    out: str | os.PathLike,
    generators: list[str] | None = None,
    seed: int = 0,
    quick: bool = False,
    max_minutes: float | None = None,
    fig5_minutes: float | None = None,
    fig5_repeats: int | None = None,
    device: str = "auto",
    progress: bool = True,
) -> dict[str, Any]:
    """Run the bench on the dataset at ``dataset_dir``; write bench.json/.md/.html and figures to ``out``.

    ``generators``: registry names (default: all registered). ``max_minutes``: wall-clock budget of each
    neural generator (default 8; 0.05 with ``quick``); ``fig5_minutes`` the same for each Figure 5 run
    (default 2; 0.03 with ``quick``); ``fig5_repeats`` (default 3; 1 with ``quick``; 0 skips Figure 5).
    Returns the result dict written to bench.json, plus ``"written"``: {kind: path}.
    Raises ParameterError for an unknown generator or setting, DataError for an unreadable dataset.
    A generator that fails is recorded in the result, never raised.
    """
    from ..device import resolve_device
    from ..evaluate import BinEdges, floor, tstr

    t_start = time.perf_counter()
    announce = say if progress else (lambda s: None)
    dataset_dir, out = Path(dataset_dir), Path(out)
    if dataset_dir.resolve() == out.resolve() or out.resolve() in dataset_dir.resolve().parents:
        # the output directory is replaced whole: it must not hold the dataset
        raise ParameterError(f"--out {out}: would replace the dataset directory {dataset_dir}; choose another")
    settings = BenchSettings.make(seed, quick, max_minutes, fig5_minutes, fig5_repeats, str(resolve_device(device)))
    registry = _registry()
    get_class = registry.get_generator_class
    known = list(registry.available())
    names = order_names(list(generators) if generators else known)
    unknown = [n for n in names if n not in known]
    if unknown:
        raise ParameterError(f"--generators: unknown {', '.join(unknown)}; available: {', '.join(known)}")
    if not names:
        raise ParameterError("--generators: no generator selected")
    settings.generators = names

    full = read_dataset(dataset_dir)
    real = quick_sample(full, settings.quick_max_objects, settings.quick_max_records, seed) if quick else full
    train, heldout, split_warnings = split_train_heldout(real, settings.train_fraction, seed)
    for w in split_warnings:
        announce(f"[yellow]warning:[/] {w}")
    # Figure 5 compares two of the selected generators; with a selection that lacks them it is skipped
    run_fig5 = settings.fig5_repeats > 0 and all(v in names for v in VARIANTS)
    embeddings, knowledge = None, {"source": "not needed by the selected generators"}
    if run_fig5 or _needs_embeddings(get_class, names):
        embeddings, knowledge = _load_embeddings(dataset_dir, real, settings.device, seed, quick, announce)
    emb_train = np.stack([embeddings[d] for d in train.device_ids]) if embeddings is not None else None

    announce(f"bench: {len(real)} objects ({len(train)} training, {len(heldout)} held out), "
             f"{len(names)} generator(s), {settings.max_minutes:g} min per neural generator")
    edges = BinEdges.from_real(real)  # once, from the full real data: every comparison uses these
    result: dict[str, Any] = {
        "kegan_version": __version__,
        "created": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "dataset": {"path": str(dataset_dir), "fingerprint": full.meta.get("fingerprint"),
                    "objects": len(real), "records": len(real.records), "categories": real.category_names,
                    "full_objects": len(full)},
        "settings": settings.to_json(),
        "split": {"train_objects": len(train), "heldout_objects": len(heldout), "warnings": split_warnings,
                  "train_ids": train.device_ids, "heldout_ids": heldout.device_ids},
        "knowledge": knowledge,
        "memory_method": memory_method(),
        "bin_edges": edges.to_dict(),
        "floor": floor(real, edges, settings.floor_seeds),
        "real": {"tstr": tstr(train, heldout, seed), "category_counts_train": category_counts(train),
                 "category_counts_heldout": category_counts(heldout)},
        "generators": {},
        "warnings": [],
    }
    with atomic_dir(out) as tmp:
        for i, name in enumerate(names, 1):
            announce(f"[bold][{i}/{len(names)}] {display_name(name)}[/]: fitting on {len(train)} objects")
            rec, synth, gen = fit_and_sample(get_class, name, train, emb_train, len(train), seed,
                                             settings.max_minutes, settings.device, quick)
            rec["category_from_real"] = name in CATEGORY_FROM_REAL
            if synth is not None:
                try:
                    rec.update(score_synthetic(synth, train, heldout, edges, seed))
                    rec["synthetic_dir"] = str(Path("synthetic") / name)
                    write_dataset(synth, tmp / "synthetic" / name)
                except Exception as e:  # noqa: BLE001 - a sample the evaluator cannot score is a failure
                    rec.update(status="failed", failed_at="score", error=f"{type(e).__name__}: {e}")
            if gen is not None and rec["status"] == "ok" and name.startswith("kegan"):
                try:
                    rec["category_agreement"] = category_agreement_of(gen, train, emb_train, seed)
                except Exception as e:  # noqa: BLE001 - a missing figure, not a failed generator
                    result["warnings"].append(f"{name}: category agreement failed: {type(e).__name__}: {e}")
            result["generators"][name] = rec
            del gen, synth
            if rec["status"] == "ok":
                announce(f"    done: fit {rec['train_seconds']:.1f} s, sample {rec['sample_seconds']:.1f} s, "
                         f"JSD(M) vs training {rec['fidelity_train']['M']:.4f}")
            else:
                announce(f"    [red]failed[/] at {rec['failed_at']}: {rec['error']}")
        result["figure5"] = None
        if run_fig5:
            result["figure5"] = run_figure5(get_class, train, real, embeddings, edges, settings, announce)
        elif settings.fig5_repeats > 0:
            result["warnings"].append("Figure 5 skipped: kegan and kegan-no-knowledge are not both selected")
        result["timings"] = {"total_seconds": time.perf_counter() - t_start}
        written = write_report(result, tmp)
    result["written"] = {k: str(out / Path(p).name) for k, p in written.items()}
    return result
