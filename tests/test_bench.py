"""The bench protocol: split, budgets, failure handling, tables and the report, with fake generators
(fast, known behaviour) and then `--quick` with every registered generator."""

from __future__ import annotations

import json
import types
from collections import Counter

import numpy as np
import pytest
from conftest import check_dataset

from kegan.baselines.base import Generator, synthetic_dataset
from kegan.bench import api as bench_api
from kegan.bench.protocol import BenchSettings, quick_sample, split_train_heldout
from kegan.bench.tables import Row, Table, marks, to_html, to_markdown
from kegan.dataset.io import read_dataset, write_dataset
from kegan.dataset.toy import make_toy_dataset
from kegan.knowledge.embeddings_io import write_embeddings


# -- fake generators -------------------------------------------------------------------------------
class Resampler(Generator):
    """Draws training objects with replacement (a perfect copier): near-floor distances by design."""

    name = "resampler"

    def fit(self, dataset, embeddings=None):
        self.data_ = (dataset.categories, dataset.series())
        FITTED.append({"cls": type(self).__name__, "n": len(dataset), "max_minutes": self.max_minutes,
                       "embeddings": embeddings is not None})
        return self

    def sample(self, n, seed=0):
        rng = np.random.default_rng(seed)
        idx = rng.integers(0, len(self.data_[0]), size=n)
        return synthetic_dataset([self.data_[0][i] for i in idx], [self.data_[1][i] for i in idx], self.name)


class KnowledgeResampler(Resampler):
    """Neural, needs embeddings: checks they arrive row-aligned with the dataset."""

    name = "knowledge-resampler"
    neural = True
    needs_embeddings = True

    def fit(self, dataset, embeddings=None):
        if embeddings is None or embeddings.shape[0] != len(dataset):
            raise ValueError(f"embeddings {None if embeddings is None else embeddings.shape} for {len(dataset)}")
        return super().fit(dataset, embeddings)


class Constant(Generator):
    """Every object the same category and a single record: far from the real data."""

    name = "constant"

    def fit(self, dataset, embeddings=None):
        self.category_ = dataset.categories[0]
        return self

    def sample(self, n, seed=0):
        return synthetic_dataset([self.category_] * n, [np.array([[0.0, 1.0, 60.0]])] * n, self.name)


class Crasher(Generator):
    name = "crasher"

    def fit(self, dataset, embeddings=None):
        raise RuntimeError("boom in fit")


FAKES = {"resampler": Resampler, "constant": Constant, "crasher": Crasher,
         "kegan": KnowledgeResampler, "kegan-no-knowledge": Resampler}
FITTED: list[dict] = []


def fake_registry():
    def get_generator(name, **kw):
        if name not in FAKES:
            raise KeyError(name)
        return FAKES[name](**kw)

    return types.SimpleNamespace(get_generator=get_generator, available=lambda: list(FAKES))


@pytest.fixture
def toy_dir(tmp_path):
    ds = make_toy_dataset(n_objects=48, n_categories=4, max_len=30, seed=1)
    path = write_dataset(ds, tmp_path / "toy")
    # knowledge vectors: the category one-hot plus noise, so that they carry the category as real KGE do
    rng = np.random.default_rng(0)
    cats = sorted(set(ds.categories))
    onehot = np.eye(len(cats))[[cats.index(c) for c in ds.categories]]
    write_embeddings(path / "embeddings.parquet", ds.device_ids, np.hstack([onehot, rng.normal(0, 0.1, (len(ds), 4))]))
    return path


# -- protocol pieces -------------------------------------------------------------------------------
def test_split_is_stratified_seeded_and_keeps_singletons_in_training():
    ds = make_toy_dataset(n_objects=41, n_categories=4, max_len=20, seed=0)
    # one more category with a single object: too small to split
    extra = make_toy_dataset(n_objects=1, n_categories=1, max_len=20, seed=5)
    extra.devices["category"] = "lonely"
    extra.devices["device_id"] = "lonely/capture-0.pcap"
    extra.records["device_id"] = "lonely/capture-0.pcap"
    import pandas as pd

    ds.devices = pd.concat([ds.devices, extra.devices[["device_id", "category"]]], ignore_index=True)
    ds.records = pd.concat([ds.records, extra.records], ignore_index=True)
    train, held, warns = split_train_heldout(ds, 0.7, seed=3)
    assert set(train.device_ids).isdisjoint(held.device_ids)
    assert len(train) + len(held) == len(ds)
    full, tr, he = Counter(ds.categories), Counter(train.categories), Counter(held.categories)
    for c, n in full.items():
        if n >= 2:
            assert tr[c] == round(0.7 * n) and he[c] == n - round(0.7 * n)
    assert tr["lonely"] == 1 and he["lonely"] == 0
    assert any("lonely" in w for w in warns)
    again, _, _ = split_train_heldout(ds, 0.7, seed=3)
    other, _, _ = split_train_heldout(ds, 0.7, seed=4)
    assert again.device_ids == train.device_ids and other.device_ids != train.device_ids


def test_quick_sample_is_small_stratified_and_truncated():
    ds = make_toy_dataset(n_objects=200, n_categories=5, max_len=90, seed=0)
    q = quick_sample(ds, max_objects=60, max_records=50, seed=0)
    assert 55 <= len(q) <= 65
    assert q.lengths().max() <= 50 and q.lengths().min() >= 1
    assert set(q.categories) == set(ds.categories)
    assert all(n >= 10 for n in Counter(q.categories).values())


def test_settings_defaults_and_validation():
    full, quick = BenchSettings.make(), BenchSettings.make(quick=True)
    assert (full.max_minutes, full.fig5_minutes, full.fig5_repeats) == (8.0, 2.0, 3)
    assert full.fig5_fractions == (0.2, 0.4, 0.6, 0.8)
    assert quick.fig5_repeats == 1 and len(quick.fig5_fractions) == 2 and quick.max_minutes < 0.1
    assert BenchSettings.make(quick=True, max_minutes=1.5).max_minutes == 1.5
    from kegan.errors import ParameterError

    with pytest.raises(ParameterError, match="--minutes"):
        BenchSettings.make(max_minutes=0)
    with pytest.raises(ParameterError, match="--fig5-repeats"):
        BenchSettings.make(fig5_repeats=-1)


# -- tables ----------------------------------------------------------------------------------------
def test_marks_bold_lowest_underline_second_ties_share_and_unranked_rows_skip():
    vals = [0.30, 0.10, 0.20, 0.10, 0.05, None, "failed"]
    ranked = [True, True, True, True, False, True, False]
    assert marks(vals, ranked, higher_is_better=False) == ["", "best", "second", "best", "", "", ""]
    assert marks(vals, ranked, higher_is_better=True) == ["best", "", "second", "", "", "", ""]
    # values equal once printed with 4 decimals tie
    assert marks([0.12341, 0.12344, 0.2], [True] * 3, False) == ["best", "best", "second"]


def test_table_markdown_and_html_layout():
    t = Table("Table 2: JSD", "JSD", ["Category", "Series length"], [
        Row("AR", [None, 0.4218]), Row("LSTM", [0.3445, 0.3196]), Row("Ours", [0.0352, 0.1165]),
        Row("Floor (real vs real)", ["0.0100 ± 0.0010", "0.0200 ± 0.0030"], ranked=False),
        Row("Broken", ["failed", "failed"], ranked=False)])
    md = to_markdown(t)
    lines = md.splitlines()
    assert lines[2] == "| JSD | Category | Series length |"
    assert "| AR | – | 0.4218 |" in md
    assert "| LSTM | <u>0.3445</u> | <u>0.3196</u> |" in md
    assert "| Ours | **0.0352** | **0.1165** |" in md
    assert "| Floor (real vs real) | 0.0100 ± 0.0010 | 0.0200 ± 0.0030 |" in md
    h = to_html(t)
    assert "<td><b>0.0352</b></td>" in h and "<td><u>0.3196</u></td>" in h and "<td>0.4218</td>" in h
    assert '<tr class="ref"><th>Floor (real vs real)</th>' in h


# -- the whole bench with fake generators -----------------------------------------------------------
def test_bench_with_fakes_records_failure_and_writes_everything(toy_dir, tmp_path, monkeypatch):
    monkeypatch.setattr(bench_api, "_registry", fake_registry)
    FITTED.clear()
    out = tmp_path / "bench"
    res = bench_api.run_bench(toy_dir, out, seed=0, quick=True, max_minutes=0.5, fig5_minutes=0.25,
                              device="cpu", progress=False)
    gens = res["generators"]
    assert list(gens) == ["kegan-no-knowledge", "kegan", "resampler", "constant", "crasher"]  # paper order
    crash = gens["crasher"]
    assert crash["status"] == "failed" and crash["failed_at"] == "fit" and "boom in fit" in crash["error"]
    ok = {n: g for n, g in gens.items() if n != "crasher"}
    assert all(g["status"] == "ok" for g in ok.values())
    n_train = res["split"]["train_objects"]
    assert n_train + res["split"]["heldout_objects"] == 48
    assert all(g["n_sampled"] == n_train for g in ok.values())
    # neural generators get the budget, the others none; only the knowledge one sees embeddings
    main = [f for f in FITTED if f["n"] == n_train]
    assert {(f["cls"], f["max_minutes"], f["embeddings"]) for f in main} == {
        ("KnowledgeResampler", 0.5, True), ("Resampler", None, False)}
    fig5_runs = [f for f in FITTED if f["n"] < n_train]
    assert {(f["cls"], f["max_minutes"]) for f in fig5_runs} == {("KnowledgeResampler", 0.25), ("Resampler", None)}
    assert gens["kegan"]["max_minutes"] == 0.5 and gens["resampler"]["max_minutes"] is None
    # a copier is much closer to the real data than a constant generator, on every feature
    for k in "CMAPL":
        assert ok["resampler"]["fidelity_train"][k] < ok["constant"]["fidelity_train"][k]
    assert ok["constant"]["categorized_train"]["M"] > 0.9  # three of four categories missing -> 1
    assert set(res["real"]["tstr"]) == {"SVM", "kNN", "LR", "RF", "MLP", "NB"}
    assert ok["resampler"]["tstr"]["RF"]["accuracy"] > ok["constant"]["tstr"]["RF"]["accuracy"]
    assert all(g["train_seconds"] >= 0 and g["fit_peak_rss_mb"] >= 0 for g in ok.values())
    assert ok["resampler"]["privacy"]["share_identical_to_train"] == 1.0
    # Figure 5: 2 fractions x 1 repeat x 2 variants, every run scored against the full real data
    fig5 = res["figure5"]
    assert len(fig5["runs"]) == 4 and all(r["status"] == "ok" for r in fig5["runs"])
    sizes = {r["fraction"]: r["n_train"] for r in fig5["runs"]}
    assert sizes[0.4] < sizes[0.8] < n_train and abs(sizes[0.4] - 0.4 * n_train) <= 4
    assert set(fig5["summary"]) == {"kegan", "kegan-no-knowledge"}
    # files
    for f in ("bench.json", "bench.md", "bench.html", "figure4.png", "figure5.png"):
        assert (out / f).stat().st_size > 0
    saved = json.loads((out / "bench.json").read_text())
    assert saved["settings"]["max_minutes"] == 0.5 and saved["settings"]["seed"] == 0
    assert saved["generators"]["crasher"]["status"] == "failed"
    md = (out / "bench.md").read_text()
    assert "Table 2: JSD" in md and "Table 3: categorized JSD" in md and "Table 4: accuracy" in md
    assert "| Real |" in md and "failed at fit: RuntimeError: boom in fit" in md
    assert "![Figure 4" in md and "figure5.png" in md
    html = (out / "bench.html").read_text()
    assert html.count("data:image/png;base64,") == 2 and "<b>" in html and "<u>" in html
    synth = read_dataset(out / "synthetic" / "resampler")
    assert len(synth) == n_train
    check_dataset(out / "synthetic" / "constant", synthetic=True)


def test_bench_rejects_unknown_generator(toy_dir, tmp_path, monkeypatch):
    from kegan.errors import ParameterError

    monkeypatch.setattr(bench_api, "_registry", fake_registry)
    with pytest.raises(ParameterError, match="unknown nope"):
        bench_api.run_bench(toy_dir, tmp_path / "b", generators=["resampler", "nope"], quick=True, progress=False)
    assert not (tmp_path / "b").exists()
