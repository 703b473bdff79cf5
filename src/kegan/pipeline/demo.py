"""The main job: real captures in, a synthetic dataset and a report out (``kegan demo``).

Stages, each into its own folder of the run directory:
``dataset/`` (ingest + knowledge graph + embeddings), ``split.json`` (seeded stratified 70/30 split by
object), ``model/`` (KE-GAN trained on the 70% part), ``synthetic/`` (as many objects as the training
part), ``report/`` (evaluate against the training part and the held-out 30%).
A stage is redone only when its inputs or settings changed (``state.json``), or with ``fresh``.
"""

from __future__ import annotations

import json
import resource
import shutil
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ..atomic import write_json
from ..dataset import read_dataset, split_objects, write_dataset
from ..errors import ParameterError
from ..progress import say
from .stages import StageLog, digest, inputs_fingerprint

DEFAULT_DATA = Path("../shared/data/iot-sentinel/captures")
DEFAULT_DEVICES = Path("../shared/data/iot-sentinel/devices.csv")


@dataclass
class DemoSettings:
    """Everything that decides the demo's outputs (a change makes the affected stages stale)."""

    data: Path = DEFAULT_DATA
    devices: Path | None = DEFAULT_DEVICES
    out: Path = Path("runs/demo")
    seed: int = 0
    train_fraction: float = 0.7
    kg_dim: int = 128
    kg_epochs: int | None = None
    iterations: int | None = None
    max_minutes: float | None = None
    device: str = "auto"
    fresh: bool = False


@dataclass
class DemoResult:
    out: Path
    timings: dict[str, float] = field(default_factory=dict)
    reused: list[str] = field(default_factory=list)
    metrics: dict[str, Any] = field(default_factory=dict)
    peak_rss_mb: float = 0.0


def _peak_rss_mb() -> float:
    # ru_maxrss is KiB on Linux: the peak resident memory of this process.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _stage(name: str, number: int) -> float:
    say(f"\n[bold cyan]({number}/5) {name}[/]")
    return time.perf_counter()


def run_demo(settings: DemoSettings) -> DemoResult:
    """Run (or bring up to date) every stage of the demo; returns paths, timings and the metrics."""
    from ..device import resolve_device
    from ..ingest.api import ingest
    from ..knowledge.api import build_knowledge
    from ..knowledge.embeddings_io import read_embeddings
    from ..model import KEGAN, KEGANConfig

    s = settings
    resolve_device(s.device)  # a bad --device is an error before any stage runs, not after ingest
    if s.iterations is not None and s.iterations < 1:
        raise ParameterError(f"--iterations {s.iterations}: expected a whole number >= 1")
    data = Path(s.data)
    if not data.exists():
        hint = (" (the default is relative to the repository root: run `make demo` or `kegan demo` there, "
                "or give --data and --devices)" if data == DEFAULT_DATA else " (the demo reads captures from there)")
        raise ParameterError(f"--data {data}: no such file or directory{hint}")
    if s.devices is not None and not Path(s.devices).exists():
        raise ParameterError(f"--devices {s.devices}: no such file")
    out = Path(s.out)
    out.mkdir(parents=True, exist_ok=True)
    log = StageLog(out)
    if s.fresh:
        log.forget()
    result = DemoResult(out=out)
    dataset_dir, model_dir = out / "dataset", out / "model"
    synthetic_dir, report_dir = out / "synthetic", out / "report"
    ckpt_dir = out / "checkpoints"

    # 1. ingest ------------------------------------------------------------------------------------
    t = _stage("ingest: captures -> dataset", 1)
    inputs = [data] + ([Path(s.devices)] if s.devices else [])
    key = digest("ingest", inputs_fingerprint(inputs), str(data.resolve()), str(s.devices))
    if log.is_current("ingest", key, dataset_dir / "dataset.json"):
        say(f"up to date: {dataset_dir} (inputs unchanged)")
        result.reused.append("ingest")
    else:
        ingest([data], devices=Path(s.devices) if s.devices else None, out=dataset_dir, progress=True)
        log.done("ingest", key)
    ds = read_dataset(dataset_dir)
    fingerprint = ds.meta["fingerprint"]
    result.timings["ingest"] = time.perf_counter() - t

    # 2. knowledge ---------------------------------------------------------------------------------
    t = _stage("knowledge: graph -> TransE embeddings", 2)
    key = digest("kg", fingerprint, s.kg_dim, s.kg_epochs, s.seed)
    if log.is_current("kg", key, dataset_dir / "embeddings.parquet"):
        say(f"up to date: {dataset_dir / 'embeddings.parquet'}")
        result.reused.append("kg")
    else:
        build_knowledge(dataset_dir, dim=s.kg_dim, epochs=s.kg_epochs, seed=s.seed, device=s.device, progress=True)
        log.done("kg", key)
    kg = json.loads((dataset_dir / "knowledge.json").read_text())
    say(f"graph: {kg['entities']} entities, {kg['triples']} triples, {kg['relation_types']} relation types; "
        f"{kg['objects']} objects embedded in {kg['dim']} dimensions -> {dataset_dir / 'embeddings.parquet'}")
    result.timings["kg"] = time.perf_counter() - t

    # 3. train on the 70% part ----------------------------------------------------------------------
    t = _stage("train: KE-GAN on the training part", 3)
    train_ids, test_ids = split_objects(ds, s.train_fraction, seed=s.seed)
    write_json(out / "split.json", {"seed": s.seed, "train_fraction": s.train_fraction,
                                    "dataset_fingerprint": fingerprint, "train": train_ids, "test": test_ids})
    train_ds, test_ds = ds.subset(train_ids), ds.subset(test_ids)
    config = KEGANConfig(seed=s.seed, device=s.device)
    if s.iterations is not None:
        config.iterations = s.iterations
    key = digest("train", fingerprint, log.state.get("kg", {}).get("key"), train_ids, _config_dict(config),
                 s.max_minutes)
    if log.is_current("train", key, model_dir):
        say(f"up to date: {model_dir}")
        result.reused.append("train")
        model = KEGAN.load(model_dir, device=s.device)
    else:
        _, emb = read_embeddings(dataset_dir, train_ds.device_ids)
        resume = log.state.get("train-started", {}).get("key") == key and ckpt_dir.exists()
        if not resume and ckpt_dir.exists():
            shutil.rmtree(ckpt_dir)
        log.done("train-started", key)
        if resume:
            say(f"resuming the interrupted training from {ckpt_dir}")
        model = KEGAN(config).fit(train_ds, emb, max_minutes=s.max_minutes, checkpoint_dir=ckpt_dir,
                                  resume=resume, progress=True)
        model.save(model_dir)
        shutil.rmtree(ckpt_dir, ignore_errors=True)
        log.done("train", key)
        cut = " (stopped by --max-minutes)" if model.stopped_by_time_ else ""
        before = ", the interrupted run's included" if resume else ""
        say(f"trained {model.n_iter_} iterations ({model.elapsed_s_:.0f} s of training{before}){cut} on {len(train_ds)} objects "
            f"({len(test_ds)} held out) -> {model_dir}")
    result.timings["train"] = time.perf_counter() - t

    # 4. generate ----------------------------------------------------------------------------------
    t = _stage("generate: synthetic dataset", 4)
    n = len(train_ds)
    key = digest("generate", log.state["train"]["key"], n, s.seed)
    if log.is_current("generate", key, synthetic_dir / "dataset.json"):
        say(f"up to date: {synthetic_dir}")
        result.reused.append("generate")
    else:
        synthetic = model.sample(n, seed=s.seed)
        write_dataset(synthetic, synthetic_dir)
        log.done("generate", key)
    synthetic = read_dataset(synthetic_dir)
    say(f"{len(synthetic)} synthetic objects, {synthetic.meta['counts']['records']} records, "
        f"{synthetic.meta['counts']['categories']} categories -> {synthetic_dir}")
    result.timings["generate"] = time.perf_counter() - t

    # 5. evaluate ----------------------------------------------------------------------------------
    t = _stage("evaluate: fidelity, usefulness, privacy", 5)
    from ..evaluate.api import evaluate

    key = digest("evaluate", log.state["generate"]["key"], test_ids, s.seed)
    if log.is_current("evaluate", key, report_dir / "metrics.json"):
        say(f"up to date: {report_dir}")
        result.reused.append("evaluate")
        result.metrics = json.loads((report_dir / "metrics.json").read_text())
    else:
        result.metrics = evaluate(train_ds, synthetic, report_dir, test=test_ds, seed=s.seed, progress=True)
        log.done("evaluate", key)
    result.timings["evaluate"] = time.perf_counter() - t
    result.peak_rss_mb = _peak_rss_mb()
    write_json(out / "demo.json", {"settings": {k: (str(v) if isinstance(v, Path) else v) for k, v in asdict(s).items()},
                                   "timings_s": result.timings, "reused": result.reused,
                                   "peak_rss_mb": result.peak_rss_mb,
                                   "objects": len(ds), "categories": len(ds.category_names),
                                   "train_objects": len(train_ids), "test_objects": len(test_ids)})
    return result


def _config_dict(config: Any) -> dict:
    try:
        return asdict(config)
    except TypeError:
        return dict(vars(config))
