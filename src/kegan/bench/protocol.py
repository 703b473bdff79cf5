"""The bench protocol: one split, one budget, one set of bin edges, every generator run the same way.

- The real objects are split 70/30 by object, stratified by category and seeded
  (``kegan.dataset.split_objects``); every generator fits on the 70% part only and samples as many
  objects as that part has.
- Neural generators all get the same wall-clock budget (``max_minutes``); the others run to the end.
- A generator that raises is recorded as failed with its error; the bench goes on.
- Every synthetic dataset is scored against the training part and against the held-out part on bin
  edges fixed once from the full real dataset.
"""

from __future__ import annotations

import gc
import traceback
import warnings
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from ..dataset.format import Dataset
from ..dataset.split import split_objects
from ..errors import ParameterError
from .measure import Measure

DISPLAY = {
    "ar": "AR",
    "hmm": "HMM",
    "lstm": "LSTM",
    "naive-gan": "Naive GAN",
    "doppelganger": "DoppelGANger",
    "kegan-no-knowledge": "Non-KGE",
    "kegan-no-attention": "Non-attention",
    "kegan": "KE-GAN (ours)",
    "kegan-algorithm1": "KE-GAN, Algorithm 1 only",
    "kegan-critic-knowledge": "KE-GAN, critic sees K",
}
# As in the paper, AR and HMM draw the category from the real distribution: their category JSD says
# nothing about the model, so the tables show "-" for it (the number stays in bench.json).
CATEGORY_FROM_REAL = {"ar", "hmm"}


def display_name(name: str) -> str:
    return DISPLAY.get(name, name)


def order_names(names: list[str]) -> list[str]:
    """The registry's order (the paper's tables: baselines, then KE-GAN variants), then the rest as given."""
    from ..baselines.registry import available

    paper_order = available()
    known = [n for n in paper_order if n in names]
    return known + [n for n in names if n not in paper_order]


@dataclass
class BenchSettings:
    """Every setting of one bench run; stored whole in bench.json."""

    seed: int = 0
    quick: bool = False
    device: str = "cpu"
    train_fraction: float = 0.7
    max_minutes: float = 8.0
    fig5_minutes: float = 2.0
    fig5_repeats: int = 3
    fig5_fractions: tuple[float, ...] = (0.2, 0.4, 0.6, 0.8)
    floor_seeds: tuple[int, ...] = (0, 1, 2, 3, 4)
    quick_max_objects: int | None = None
    quick_max_records: int | None = None
    generators: list[str] = field(default_factory=list)

    @classmethod
    def make(
        cls,
        seed: int = 0,
        quick: bool = False,
        max_minutes: float | None = None,
        fig5_minutes: float | None = None,
        fig5_repeats: int | None = None,
        device: str = "cpu",
    ) -> BenchSettings:
        """Defaults for a full run or for ``--quick``; an explicit value always wins.

        Raises ParameterError for a non-positive budget or a negative repeat count.
        """
        if quick:
            s = cls(
                seed=seed, quick=True, device=device, max_minutes=0.05, fig5_minutes=0.03, fig5_repeats=1,
                fig5_fractions=(0.4, 0.8), floor_seeds=(0, 1), quick_max_objects=60, quick_max_records=50,
            )
        else:
            s = cls(seed=seed, device=device)
        if max_minutes is not None:
            s.max_minutes = float(max_minutes)
        if fig5_minutes is not None:
            s.fig5_minutes = float(fig5_minutes)
        if fig5_repeats is not None:
            s.fig5_repeats = int(fig5_repeats)
        if not s.max_minutes > 0:
            raise ParameterError(f"--minutes {s.max_minutes}: expected a positive number of minutes")
        if not s.fig5_minutes > 0:
            raise ParameterError(f"--fig5-minutes {s.fig5_minutes}: expected a positive number of minutes")
        if s.fig5_repeats < 0:
            raise ParameterError(f"--fig5-repeats {s.fig5_repeats}: expected 0 (skip Figure 5) or more")
        return s

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["fig5_fractions"] = list(self.fig5_fractions)
        d["floor_seeds"] = list(self.floor_seeds)
        return d


# -- data ------------------------------------------------------------------------------------------
def quick_sample(ds: Dataset, max_objects: int, max_records: int, seed: int) -> Dataset:
    """A small stratified sample for ``--quick``: about ``max_objects`` objects, series cut to
    ``max_records`` records.

    Each category keeps round(n_c * max_objects / N) objects but at least min(2, n_c), so that every
    category can still be split 70/30 (the total may then exceed ``max_objects`` slightly).
    """
    if len(ds) <= max_objects:
        ids = ds.device_ids
    else:
        rng = np.random.default_rng(seed)
        frac = max_objects / len(ds)
        all_ids = np.array(ds.device_ids)
        cats = np.array(ds.categories)
        keep: set[str] = set()
        for c in sorted(set(cats)):
            members = all_ids[cats == c]
            k = min(len(members), max(min(2, len(members)), int(round(len(members) * frac))))
            keep.update(rng.permutation(members)[:k].tolist())
        ids = [d for d in ds.device_ids if d in keep]
    sub = ds.subset(ids)
    rec = sub.records
    sub.records = rec[rec["seq"] < max_records].reset_index(drop=True)
    sub.meta = dict(sub.meta, quick_sample={"max_objects": max_objects, "max_records": max_records})
    return sub


def split_train_heldout(ds: Dataset, fraction: float, seed: int) -> tuple[Dataset, Dataset, list[str]]:
    """(training part, held-out part, warnings) by object, stratified by category, seeded."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        train_ids, test_ids = split_objects(ds, fraction, seed)
    if not test_ids:
        raise ParameterError(
            f"the dataset has {len(ds)} objects: too few to hold out any for testing (need 2 in a category)"
        )
    return ds.subset(train_ids), ds.subset(test_ids), [str(w.message) for w in caught]


def category_counts(ds: Dataset) -> dict[str, int]:
    return dict(sorted(Counter(ds.categories).items()))


# -- running one generator -------------------------------------------------------------------------
def _error_record(rec: dict[str, Any], stage: str, exc: BaseException) -> None:
    rec["status"] = "failed"
    rec["failed_at"] = stage
    rec["error"] = f"{type(exc).__name__}: {exc}"
    rec["traceback"] = traceback.format_exc(limit=8)


def fit_and_sample(
    get_class,
    name: str,
    train: Dataset,
    embeddings: np.ndarray | None,
    n: int,
    seed: int,
    minutes: float | None,
    device: str,
    quick: bool,
) -> tuple[dict[str, Any], Dataset | None, Any]:
    """Fit generator ``name`` on ``train`` and sample ``n`` objects, timing and metering both steps.

    ``get_class(name)`` returns the Generator subclass (the registry's ``get_generator_class``);
    ``embeddings`` (N, dim) are row-aligned with ``train`` and reach only generators that need them.
    Returns (record, synthetic dataset or None, fitted generator or None). Never raises for a
    generator's own failure: the record then has ``status="failed"``, the stage and the error.
    """
    from ..seeding import seed_everything

    rec: dict[str, Any] = {"name": name, "display": display_name(name), "status": "ok", "max_minutes": minutes}
    cuda = str(device).startswith("cuda")
    gen = None
    gc.collect()
    if cuda:
        import torch

        torch.cuda.empty_cache()  # what the previous generator left cached must not count here
    try:
        cls = get_class(name)
        # Only neural generators share the wall-clock budget, and train until it runs out (their step
        # counts lifted by budget_settings); AR and HMM run to the end.
        budget = minutes if cls.neural else None
        settings = cls.quick_settings() if quick else (cls.budget_settings() if cls.neural else {})
        rec.update(neural=bool(cls.neural), needs_embeddings=bool(cls.needs_embeddings), settings=settings,
                   max_minutes=budget)
        gen = cls(max_minutes=budget, seed=seed, device=device, **settings)
    except Exception as e:  # noqa: BLE001 - an unknown or broken generator must not stop the bench
        _error_record(rec, "construct", e)
        return rec, None, None
    emb = embeddings if gen.needs_embeddings else None
    try:
        seed_everything(seed)
        with Measure(cuda) as m:
            gen.fit(train, emb)
        rec.update(train_seconds=m.seconds, fit_peak_rss_mb=m.peak_rss_mb, fit_peak_cuda_mb=m.peak_cuda_mb)
    except Exception as e:  # noqa: BLE001
        _error_record(rec, "fit", e)
        return rec, None, None
    try:
        with Measure(cuda) as m:
            synth = gen.sample(n, seed=seed)
        rec.update(sample_seconds=m.seconds, sample_peak_rss_mb=m.peak_rss_mb, sample_peak_cuda_mb=m.peak_cuda_mb)
        _check_sample(synth, n)
    except Exception as e:  # noqa: BLE001
        _error_record(rec, "sample", e)
        return rec, None, gen
    rec["n_sampled"] = len(synth)
    rec["fit_report"] = training_report(gen)
    return rec, synth, gen


def training_report(gen: Any) -> dict[str, Any] | None:
    """What the generator says about its own training, JSON-safe, with two common keys added where it
    can tell: ``steps_done`` with its ``steps_unit`` (iterations, epochs or steps: the LSTM counts epochs,
    the GANs generator iterations) and ``stopped_by_budget``.

    Read from ``fit_report_`` (AR, HMM, LSTM, naive GAN), ``log_`` (DoppelGANger) or the KE-GAN
    adapters' ``model_`` (``n_iter_``, ``stopped_by_time_``, ``elapsed_s_``); None when it says nothing.
    """
    import dataclasses
    import json

    raw: Any = getattr(gen, "fit_report_", None)
    if raw is None and dataclasses.is_dataclass(getattr(gen, "log_", None)):
        raw = dataclasses.asdict(gen.log_)
    model = getattr(gen, "model_", None)
    if raw is None and model is not None and hasattr(model, "n_iter_"):
        raw = {"iterations": model.n_iter_, "stopped_by_budget": getattr(model, "stopped_by_time_", None),
               "seconds": getattr(model, "elapsed_s_", None)}
    if raw is None:
        return None
    report = json.loads(json.dumps(raw, default=str))
    if isinstance(report, dict):
        for key in ("iterations", "epochs", "steps", "n_iter"):
            if isinstance(report.get(key), int):
                report.setdefault("steps_done", report[key])
                report.setdefault("steps_unit", "iterations" if key == "n_iter" else key)
                break
        if "stopped_by_budget" not in report and "stopped_by" in report:
            report["stopped_by_budget"] = report["stopped_by"] == "budget"
    else:  # HMM: one report per category; count the degenerate fits that were retried
        items = report if isinstance(report, list) else [report]
        report = {"per_part": items, "retried": sum(bool(isinstance(r, dict) and r.get("retried")) for r in items)}
    return report


def _check_sample(synth: Any, n: int) -> None:
    """Reject output that breaks the dataset format or has the wrong size (DataError/ValueError)."""
    from ..dataset.io import validate

    if not isinstance(synth, Dataset):
        raise TypeError(f"sample() returned {type(synth).__name__}, expected a kegan Dataset")
    validate(synth, where="synthetic sample")
    if len(synth) != n:
        raise ValueError(f"sample({n}) returned {len(synth)} objects")
    if (synth.lengths() < 1).any():
        raise ValueError("sample() returned an object without records")


# -- scoring one synthetic dataset -----------------------------------------------------------------
def score_synthetic(synth: Dataset, train: Dataset, heldout: Dataset, edges: Any, seed: int) -> dict[str, Any]:
    """The evaluate stage's measures of one synthetic dataset (Tables 2, 3, 4, privacy, Figure 4)."""
    from .. import evaluate as ev

    return {
        "fidelity_train": ev.fidelity(train, synth, edges),
        "fidelity_heldout": ev.fidelity(heldout, synth, edges),
        "categorized_train": ev.categorized(train, synth, edges),
        "categorized_heldout": ev.categorized(heldout, synth, edges),
        "tstr": ev.tstr(synth, heldout, seed),
        "privacy": ev.privacy(synth, train, heldout, seed=seed),
        "category_counts": category_counts(synth),
    }


def category_agreement_of(gen: Any, train: Dataset, embeddings: np.ndarray | None, seed: int) -> float | None:
    """Share of samples whose category is that of the training object whose K conditioned them, for a
    fitted KE-GAN variant (its ``model_``); None for other generators.

    A variant without knowledge gets no embeddings, so its figure is the chance level by construction.
    """
    model = getattr(gen, "model_", None)
    if model is None:
        return None
    from ..model.agreement import category_agreement

    emb = embeddings if gen.needs_embeddings else None
    return category_agreement(model, train, emb, n=len(train), seed=seed)
