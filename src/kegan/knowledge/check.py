"""``kg_check``: is the knowledge in the embeddings real? (paper Appendix A, Table 5)

Six classifiers predict each object's category from its embedding alone on a stratified 50/50 split,
repeated over several seeds; the same classifiers on random vectors of the same dimension (same
splits) are the control. An embedding passes for a classifier when its mean accuracy exceeds the
control's mean plus three (sample) standard deviations. The grouped variant keeps all objects of one
device on the same side (captures of one device are near twins), over categories with >= 2 devices.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..dataset import read_dataset
from ..dataset.format import Dataset
from ..errors import DataError, ParameterError
from .embeddings_io import read_embeddings
from .triples import key_columns

CLASSIFIER_NAMES = ("SVM", "kNN", "LR", "RF", "MLP", "NB")
PASS_STDS = 3.0


def make_classifier(name: str, seed: int):
    """A fresh scikit-learn classifier with kegan's documented settings (docs/knowledge.md).

    SVM, LR and MLP see standardised features (fit on the training half), kNN the raw vectors (TransE
    distances are what it should use), NB each dimension min-max scaled on the training half.
    """
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.naive_bayes import MultinomialNB
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.neural_network import MLPClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer, MinMaxScaler, StandardScaler
    from sklearn.svm import LinearSVC

    if name == "SVM":
        return make_pipeline(StandardScaler(), LinearSVC(C=1.0, max_iter=5000, random_state=seed))
    if name == "kNN":
        return KNeighborsClassifier(n_neighbors=5)
    if name == "LR":
        return make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=2000))
    if name == "RF":
        return RandomForestClassifier(n_estimators=100, random_state=seed, n_jobs=1)
    if name == "MLP":
        return make_pipeline(
            StandardScaler(), MLPClassifier(hidden_layer_sizes=(64,), max_iter=500, random_state=seed)
        )
    if name == "NB":
        # Multinomial NB needs non-negative features: min-max scaling fit on the training half, test
        # values clipped into [0, 1].
        return make_pipeline(MinMaxScaler(clip=True), FunctionTransformer(np.asarray), MultinomialNB(alpha=1.0))
    raise ParameterError(f"classifier {name!r}: expected one of {', '.join(CLASSIFIER_NAMES)}")


def stratified_half_split(labels: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices (train, test) of a stratified 50/50 split: each class has >= 1 object on each side."""
    rng = np.random.default_rng(seed)
    train = []
    for c in np.unique(labels):
        members = rng.permutation(np.flatnonzero(labels == c))
        k = min(max(int(round(len(members) / 2)), 1), len(members) - 1)
        train.extend(members[:k].tolist())
    mask = np.zeros(len(labels), dtype=bool)
    mask[train] = True
    return np.flatnonzero(mask), np.flatnonzero(~mask)


def grouped_half_split(labels: np.ndarray, groups: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices (train, test) splitting the *groups* of each class 50/50: no group on both sides."""
    rng = np.random.default_rng(seed)
    train_groups: set = set()
    for c in np.unique(labels):
        members = rng.permutation(np.unique(groups[labels == c]))
        k = min(max(int(round(len(members) / 2)), 1), len(members) - 1)
        train_groups.update(members[:k].tolist())
    mask = np.isin(groups, list(train_groups))
    return np.flatnonzero(mask), np.flatnonzero(~mask)


def _evaluate(
    vectors: np.ndarray,
    control: Callable[[int], np.ndarray],
    labels: np.ndarray,
    splitter: Callable[[int], tuple[np.ndarray, np.ndarray]],
    seeds: Sequence[int],
    classifiers: Sequence[str],
    progress: str | None = None,
) -> dict[str, Any]:
    """Scores of every classifier on ``vectors`` and on the control, one split per seed; ``progress``
    names a progress bar over the seeds (None: no bar)."""
    from threadpoolctl import threadpool_limits

    from ..progress import track

    if progress is not None:
        seeds = track(list(seeds), progress)

    # One BLAS thread: these problems are tiny (hundreds x 128) and threads only contend; measured
    # MLP 8.5 s -> 0.4 s CPU, LR 1.7 s -> 0.02 s per fit on the IoT Sentinel embeddings.
    with threadpool_limits(1):
        return _scores_to_result(_fit_all(vectors, control, labels, splitter, seeds, classifiers), classifiers)


def _fit_all(vectors, control, labels, splitter, seeds, classifiers) -> dict[str, dict[str, list[float]]]:
    from sklearn.exceptions import ConvergenceWarning

    scores: dict[str, dict[str, list[float]]] = {"real": {c: [] for c in classifiers}, "control": {c: [] for c in classifiers}}
    for seed in seeds:
        train, test = splitter(seed)
        for kind, x in (("real", vectors), ("control", control(seed))):
            for name in classifiers:
                clf = make_classifier(name, seed)
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", ConvergenceWarning)
                    clf.fit(x[train], labels[train])
                scores[kind][name].append(float((clf.predict(x[test]) == labels[test]).mean()))
    return scores


def _scores_to_result(scores: dict[str, dict[str, list[float]]], classifiers: Sequence[str]) -> dict[str, Any]:
    result: dict[str, Any] = {"real": {}, "control": {}, "passed": {}}
    for kind in ("real", "control"):
        for name in classifiers:
            s = np.asarray(scores[kind][name])
            result[kind][name] = {
                "mean": float(s.mean()),
                "std": float(s.std(ddof=1)) if len(s) > 1 else 0.0,
                "scores": s.tolist(),
            }
    for name in classifiers:
        bar = result["control"][name]["mean"] + PASS_STDS * result["control"][name]["std"]
        result["passed"][name] = bool(result["real"][name]["mean"] > bar)
    result["all_passed"] = all(result["passed"].values())
    return result


def group_column(ds: Dataset) -> str | None:
    """The device-table column that says which device an object is (``device``, else a declared key)."""
    if "device" in ds.devices.columns:
        return "device"
    for col in ds.meta.get("key_columns", []) or []:
        if col in ds.devices.columns and col not in ("device_id", "category"):
            return col
    keys = sorted(key_columns(ds) - {"device_id", "category"})
    return keys[0] if keys else None


def kg_check(
    dataset_dir: str | os.PathLike,
    seeds: Sequence[int] = tuple(range(10)),
    classifiers: Sequence[str] = CLASSIFIER_NAMES,
    grouped: bool = True,
    progress: bool = False,
) -> dict[str, Any]:
    """Predict categories from the embeddings of ``dataset_dir`` vs. random vectors; returns the figures.

    Returns {"objects", "dim", "seeds", "plain": {...}, "grouped": {...}}, each variant with "real" and
    "control" {classifier: {"mean", "std", "scores"}}, "passed" {classifier: bool}, "all_passed",
    "objects" and "categories" used. Categories with fewer than two objects (two devices for grouped)
    cannot be split and are left out (listed under "left_out"). Raises DataError when the dataset has
    no embeddings or too few categories, ParameterError for unknown classifiers or no seeds.
    """
    seeds = [int(s) for s in seeds]
    if not seeds:
        raise ParameterError("kg-check: at least one seed is needed")
    for name in classifiers:
        if name not in CLASSIFIER_NAMES:
            raise ParameterError(f"kg-check: classifier {name!r}: expected one of {', '.join(CLASSIFIER_NAMES)}")
    dataset_dir = Path(dataset_dir)
    ds = read_dataset(dataset_dir)
    _, vectors = read_embeddings(dataset_dir, device_ids=ds.device_ids)
    labels = np.asarray(ds.categories)
    dim = vectors.shape[1]

    def control_for(rows: np.ndarray) -> Callable[[int], np.ndarray]:
        # Random vectors of the same dimension, a fresh draw per seed (stream separate from the split's).
        return lambda seed: np.random.default_rng([seed, 7919]).standard_normal((len(rows), dim)).astype(np.float32)

    out: dict[str, Any] = {"objects": len(ds), "dim": dim, "seeds": seeds, "classifiers": list(classifiers)}
    names, counts = np.unique(labels, return_counts=True)
    keep = np.isin(labels, names[counts >= 2])
    if len(np.unique(labels[keep])) < 2:
        raise DataError(f"{dataset_dir}: fewer than two categories with >= 2 objects; nothing to classify")
    rows = np.flatnonzero(keep)
    plain = _evaluate(
        vectors[rows], control_for(rows), labels[rows],
        lambda seed: stratified_half_split(labels[rows], seed), seeds, classifiers,
        "kg-check, stratified splits" if progress else None,
    )
    plain.update(objects=int(len(rows)), categories=sorted(set(labels[rows])), left_out=sorted(names[counts < 2]))
    out["plain"] = plain

    col = group_column(ds) if grouped else None
    if not grouped:
        out["grouped"] = None
    elif col is None:
        out["grouped"] = {"skipped": "no column says which device an object belongs to"}
    else:
        groups = ds.devices[col].astype(str).to_numpy()
        per_cat = {c: len(set(groups[labels == c])) for c in np.unique(labels)}
        ok = sorted(c for c, n in per_cat.items() if n >= 2)
        if len(ok) < 2:
            out["grouped"] = {"skipped": "fewer than two categories with >= 2 devices", "group_column": col}
        else:
            rows = np.flatnonzero(np.isin(labels, ok))
            g = _evaluate(
                vectors[rows], control_for(rows), labels[rows],
                lambda seed: grouped_half_split(labels[rows], groups[rows], seed), seeds, classifiers,
                "kg-check, device-grouped splits" if progress else None,
            )
            g.update(
                objects=int(len(rows)), categories=ok, group_column=col,
                devices=int(len(set(groups[rows]))), left_out=sorted(set(per_cat) - set(ok)),
            )
            out["grouped"] = g
    return out


def format_report(result: dict[str, Any]) -> list[str]:
    """Table lines: classifier, real mean +- std, control mean +- std, pass, for each variant."""
    lines = [f"{result['objects']} objects, dim {result['dim']}, {len(result['seeds'])} seeds (50/50 stratified splits)"]
    for variant in ("plain", "grouped"):
        r = result.get(variant)
        if r is None:
            continue
        if "skipped" in r:
            lines.append(f"{variant}: skipped ({r['skipped']})")
            continue
        head = f"{variant}: {r['objects']} objects, {len(r['categories'])} categories"
        if variant == "grouped":
            head += f", {r['devices']} devices (by {r['group_column']!r}), none on both sides"
        if r.get("left_out"):
            head += f"; left out: {', '.join(r['left_out'])}"
        lines.append(head)
        lines.append(f"  {'classifier':<10} {'embeddings':>17} {'random control':>17}  > control + 3 std")
        for name in result["classifiers"]:
            re, co = r["real"][name], r["control"][name]
            lines.append(
                f"  {name:<10} {re['mean']:>9.3f} ± {re['std']:.3f} {co['mean']:>9.3f} ± {co['std']:.3f}  "
                f"{'yes' if r['passed'][name] else 'NO'}"
            )
    return lines
