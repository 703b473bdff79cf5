"""``evaluate``: every measure of a synthetic dataset against the real one, and the report on disk."""

from __future__ import annotations

import time
import warnings
from pathlib import Path
from typing import Any

import pandas as pd

from .. import __version__
from ..atomic import atomic_dir, write_json, write_text
from ..dataset.format import Dataset
from ..dataset.split import split_objects
from ..errors import DataError, ParameterError
from ..progress import make_progress
from . import plots, report
from .binning import BinEdges
from .floor import floor
from .jsd import categorized, fidelity
from .privacy import privacy
from .stats import compare, describe
from .tstr import ratios, tstr

TRAIN_FRACTION = 0.7
FLOOR_SEEDS = 5
METRICS_VERSION = 1


def _summary(ds: Dataset, source: str) -> dict[str, Any]:
    return {
        "source": source,
        "n_objects": len(ds),
        "n_records": int(len(ds.records)),
        "n_categories": len(ds.category_names),
        "fingerprint": ds.meta.get("fingerprint"),
    }


def _union(a: Dataset, b: Dataset) -> Dataset:
    """Objects of both (ids must be disjoint), for bins and floor over the full real data."""
    return Dataset(
        devices=pd.concat([a.devices[["device_id", "category"]], b.devices[["device_id", "category"]]], ignore_index=True),
        records=pd.concat([a.records, b.records], ignore_index=True),
    )


def _check(name: str, ds: Any, minimum: int) -> None:
    if not isinstance(ds, Dataset):
        raise ParameterError(f"{name}: expected a kegan Dataset, got {type(ds).__name__}")
    if len(ds) < minimum:
        raise DataError(f"{name} has {len(ds)} objects; evaluate needs at least {minimum}")
    if (ds.lengths() == 0).any():
        bad = ds.device_ids[int((ds.lengths() == 0).argmax())]
        raise DataError(f"{name}: object {bad!r} has no records")


def evaluate(
    real: Dataset,
    synthetic: Dataset,
    out: Path | None,
    test: Dataset | None = None,
    seed: int = 0,
    progress: bool = True,
    sources: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Fidelity, floor, statistics, TSTR and privacy of ``synthetic`` against ``real``; returns metrics.json.

    Without ``test``: distances against ``real``; TSTR trains real classifiers on a stratified 70/30 split
    of ``real`` (``split_objects(real, 0.7, seed)``) and tests every classifier on the 30% part, which
    privacy also uses as held-out part. With ``test`` (real objects the generator never saw): bins are
    fixed once from ``real`` and ``test`` together, distances are computed against both, TSTR trains on
    ``real`` or ``synthetic`` and tests on ``test``, and privacy uses ``real`` as training and ``test``
    as held-out part. The floor is computed on the full real data (``real``, plus ``test`` if given),
    with seeds ``seed .. seed+4``.

    When ``out`` is given, the directory is replaced atomically with metrics.json, report.md,
    report.html (self-contained) and the PNG figures. ``sources`` optionally names where each dataset
    came from (keys "real", "synthetic", "test"), for the report.

    Keys of the result: ``kegan_version, metrics_version, seed, mode ("split"|"test"), datasets, edges,
    fidelity {real[, test]: {C, M, A, P, L}}, categorized {real[, test]: {M, A, P, L, per_category}},
    floor {C, M, A, P, L, cat_M, ...: {mean, std, values}}, stats {real, synthetic[, test]},
    tstr {train_real, train_synthetic, ratio, real_train_on, test_on}, privacy, figures, series_category,
    elapsed_s``. Raises ParameterError/DataError for unusable inputs (too few objects, shared ids).
    """
    t0 = time.perf_counter()
    sources = dict(sources or {})
    _check("REAL", real, 2)
    _check("SYNTHETIC", synthetic, 1)
    if test is not None:
        _check("TEST", test, 1)
        shared = set(real.device_ids) & set(test.device_ids)
        if shared:
            raise ParameterError(
                f"{len(shared)} object ids are in both REAL and TEST (e.g. {sorted(shared)[0]!r}): "
                "TEST must hold real objects the generator never saw"
            )
    seed = int(seed)
    steps = ["bins", "distances", "floor", "statistics", "TSTR", "privacy"] + (["figures and report"] if out else [])
    with make_progress(transient=True) as prog:
        task = prog.add_task("evaluate", total=len(steps), info="", visible=progress)

        def step(name: str) -> None:
            prog.update(task, description=f"evaluate: {name}")

        step("bins")
        if test is None:
            mode = "split"
            edges = BinEdges.from_real(real)
            full_real = real
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                train_ids, test_ids = split_objects(real, TRAIN_FRACTION, seed=seed)
            if not test_ids:
                raise DataError("REAL is too small to split 70/30 for TSTR: every category has a single object")
            train_part, test_part = real.subset(train_ids), real.subset(test_ids)
            compared = {"real": real}
            split_notes = [str(w.message) for w in caught]
        else:
            mode = "test"
            edges = BinEdges.from_reals([real, test])
            full_real = _union(real, test)
            train_part, test_part = real, test
            compared = {"real": real, "test": test}
            split_notes = []
        prog.advance(task)

        step("distances")
        fid = {k: fidelity(ds, synthetic, edges) for k, ds in compared.items()}
        cat = {k: categorized(ds, synthetic, edges) for k, ds in compared.items()}
        prog.advance(task)

        step("floor")
        fl = floor(full_real, edges, seeds=tuple(seed + i for i in range(FLOOR_SEEDS)))
        prog.advance(task)

        step("statistics")
        st = compare(real, synthetic)
        if test is not None:
            st["test"] = describe(test)
            cats = sorted(set(st["real"]["category_share"]) | set(st["test"]["category_share"]))
            for d in st.values():
                d["category_share"] = {c: float(d["category_share"].get(c, 0.0)) for c in cats}
        prog.advance(task)

        step("TSTR (12 classifier fits)")
        t_real = tstr(train_part, test_part, seed=seed)
        t_syn = tstr(synthetic, test_part, seed=seed)
        prog.advance(task)

        step("privacy")
        priv = privacy(synthetic, train_part, test_part, seed=seed)
        prog.advance(task)

        datasets = {
            "real": _summary(real, sources.get("real", "real dataset")),
            "synthetic": _summary(synthetic, sources.get("synthetic", "synthetic dataset")),
        }
        if test is not None:
            datasets["test"] = _summary(test, sources.get("test", "real test dataset"))
        else:
            datasets["tstr_train"] = _summary(train_part, "REAL, 70% part")
            datasets["tstr_test"] = _summary(test_part, "REAL, 30% part")
        metrics: dict[str, Any] = {
            "kegan_version": __version__,
            "metrics_version": METRICS_VERSION,
            "seed": seed,
            "mode": mode,
            "datasets": datasets,
            "split_notes": split_notes,
            "edges": edges.to_dict(),
            "fidelity": fid,
            "categorized": cat,
            "floor": fl,
            "stats": st,
            "tstr": {
                "train_real": t_real,
                "train_synthetic": t_syn,
                "ratio": ratios(t_syn, t_real),
                "real_train_on": "REAL" if mode == "test" else "REAL, 70% part",
                "test_on": "TEST" if mode == "test" else "REAL, 30% part",
            },
            "privacy": priv,
            "series_category": plots.pick_series_category(real, synthetic),
            "figures": {},
        }
        if out is not None:
            step("figures and report")
            metrics["figures"] = {k: f"{k}.png" for k in ("distances", "categories", "distributions", "series")}
            metrics["elapsed_s"] = time.perf_counter() - t0
            _write(Path(out), metrics, real, synthetic, test, edges, seed)
            prog.advance(task)
    metrics["elapsed_s"] = time.perf_counter() - t0
    return metrics


def _distance_bars(m: dict[str, Any]) -> dict[str, dict[str, float]]:
    return {
        f"synthetic vs {report.SIDE_NAMES[s]}": m["fidelity"][s] | {f"cat_{f}": m["categorized"][s][f] for f in "MAPL"}
        for s in m["fidelity"]
    }


def _write(out: Path, m: dict[str, Any], real: Dataset, synthetic: Dataset, test: Dataset | None, edges: BinEdges, seed: int) -> None:
    with atomic_dir(out) as tmp:
        figs = m["figures"]
        plots.plot_distances(_distance_bars(m), m["floor"], tmp / figs["distances"])
        plots.plot_categories(real, synthetic, tmp / figs["categories"])
        plots.plot_distributions(real, synthetic, edges, tmp / figs["distributions"], test=test)
        plots.plot_series(real, synthetic, m["series_category"], tmp / figs["series"], seed=seed)
        blocks = report.blocks(m)
        write_text(tmp / "report.md", report.render_markdown(blocks))
        write_text(tmp / "report.html", report.render_html(blocks, tmp))
        write_json(tmp / "metrics.json", m)
