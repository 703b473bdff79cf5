"""The bench protocol: split, budgets, failure handling, tables and the report, with fake generators
(fast, known behaviour) and then `--quick` with every registered generator."""

from __future__ import annotations

import json
import time
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
from kegan.evaluate import BinEdges
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


FAKES = {"resampler": Resampler, "crasher": Crasher, "constant": Constant}  # constant runs after the crash
FITTED: list[dict] = []


def registry_with_fakes():
    """The real registry plus the fakes above (after it, so the real generators keep table order)."""
    from kegan.baselines import registry

    def get_class(name):
        return FAKES[name] if name in FAKES else registry.get_generator_class(name)

    return types.SimpleNamespace(get_generator_class=get_class, available=lambda: registry.available() + list(FAKES))


def write_toy(path, n_objects=40, max_len=30):
    ds = make_toy_dataset(n_objects=n_objects, n_categories=4, max_len=max_len, seed=1)
    path = write_dataset(ds, path)
    # knowledge vectors: the category one-hot plus noise, so that they carry the category as real KGE do
    rng = np.random.default_rng(0)
    cats = sorted(set(ds.categories))
    onehot = np.eye(len(cats))[[cats.index(c) for c in ds.categories]]
    write_embeddings(path / "embeddings.parquet", ds.device_ids, np.hstack([onehot, rng.normal(0, 0.1, (len(ds), 4))]))
    return path


@pytest.fixture(scope="module")
def quick_bench(tmp_path_factory):
    """One `--quick` bench over every registered generator plus three fakes (copier, constant, crasher)."""
    tmp = tmp_path_factory.mktemp("bench")
    data = write_toy(tmp / "toy")
    FITTED.clear()
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(bench_api, "_registry", registry_with_fakes)
        t0 = time.perf_counter()
        res = bench_api.run_bench(data, tmp / "out", seed=0, quick=True, max_minutes=0.02, fig5_minutes=0.01,
                                  device="cpu", progress=False)
        res["_wall"] = time.perf_counter() - t0
    return res, tmp / "out"


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
def test_quick_bench_runs_every_registered_generator_under_one_protocol(quick_bench):
    from kegan.baselines.registry import available

    res, _ = quick_bench
    gens = res["generators"]
    assert list(gens) == available() + ["resampler", "crasher", "constant"]
    real = {n: g for n, g in gens.items() if n in available()}
    assert all(g["status"] == "ok" for g in real.values()), {n: g.get("error") for n, g in real.items()}
    n_train, n_held = res["split"]["train_objects"], res["split"]["heldout_objects"]
    assert (n_train, n_held) == (28, 12)  # 4 categories of 10 objects, 7 + 3 each
    assert all(g["n_sampled"] == n_train for n, g in gens.items() if g["status"] == "ok")
    for n, g in real.items():  # one budget for every neural generator, none for AR and HMM
        assert g["max_minutes"] == (0.02 if g["neural"] else None), n
        assert g["train_seconds"] > 0 and g["sample_seconds"] >= 0 and g["fit_peak_rss_mb"] >= 0
        if g["neural"]:  # every neural generator says how far it trained and whether the budget stopped it
            assert g["fit_report"]["steps_done"] >= 0 and g["fit_report"]["stopped_by_budget"] in (True, False), n
        assert g["settings"] == registry_class(n).quick_settings()
    assert {n for n, g in real.items() if g["neural"]} >= {"lstm", "naive-gan", "doppelganger", "kegan"}
    for n in ("kegan", "kegan-algorithm1", "kegan-no-knowledge", "kegan-no-attention", "kegan-critic-knowledge"):
        assert 0.0 <= real[n]["category_agreement"] <= 1.0
    assert "category_agreement" not in real["ar"]
    assert real["ar"]["category_from_real"] and not real["kegan"]["category_from_real"]
    # the copier saw no embeddings (it does not need them)
    assert FITTED and not any(f["embeddings"] for f in FITTED)
    assert res["settings"]["quick"] and res["settings"]["max_minutes"] == 0.02
    assert res["settings"]["fig5_minutes"] == 0.01 and res["settings"]["fig5_repeats"] == 1


def registry_class(name):
    from kegan.baselines.registry import get_generator_class

    return get_generator_class(name)


def test_crashing_generator_is_recorded_and_the_bench_goes_on(quick_bench):
    res, out = quick_bench
    crash = res["generators"]["crasher"]
    assert crash["status"] == "failed" and crash["failed_at"] == "fit"
    assert crash["error"] == "RuntimeError: boom in fit" and "boom in fit" in crash["traceback"]
    assert res["generators"]["constant"]["status"] == "ok"  # ran after the crash
    md = (out / "bench.md").read_text()
    assert "| crasher | failed | failed |" in md and "Failed: crasher at fit: RuntimeError: boom in fit" in md


def test_scores_tell_a_copier_from_a_constant_generator(quick_bench):
    res, _ = quick_bench
    copier, const = res["generators"]["resampler"], res["generators"]["constant"]
    for k in "CMAPL":
        assert copier["fidelity_train"][k] < const["fidelity_train"][k]
        assert 0.0 <= copier["fidelity_heldout"][k] <= 1.0
    assert const["categorized_train"]["M"] > 0.75  # three of four categories missing count 1 each
    assert len(const["category_counts"]) == 1 and sum(const["category_counts"].values()) == 28
    assert res["real"]["category_counts_train"] == {f"cat{i}": 7 for i in range(4)}
    assert set(res["real"]["tstr"]) == {"SVM", "kNN", "LR", "RF", "MLP", "NB"}
    assert copier["tstr"]["RF"]["accuracy"] > const["tstr"]["RF"]["accuracy"] == 0.25
    assert copier["privacy"]["share_identical_to_train"] == 1.0 and const["privacy"]["share_identical"] == 0.0
    assert set(res["floor"]) >= {"C", "M", "A", "P", "L", "cat_M"}


def test_figure5_trains_both_variants_on_growing_fractions(quick_bench):
    res, _ = quick_bench
    fig5 = res["figure5"]
    assert fig5["fractions"] == [0.4, 0.8] and fig5["repeats"] == 1 and fig5["minutes"] == 0.01
    runs = fig5["runs"]
    assert sorted((r["variant"], r["fraction"]) for r in runs) == [
        ("kegan", 0.4), ("kegan", 0.8), ("kegan-no-knowledge", 0.4), ("kegan-no-knowledge", 0.8)]
    assert all(r["status"] == "ok" for r in runs), [r.get("error") for r in runs]
    sizes = {r["fraction"]: r["n_train"] for r in runs}
    assert sizes == {0.4: 12, 0.8: 24}  # 4 categories x round(7 * fraction)
    assert all(0.0 <= r["jsd"][k] <= 1.0 for r in runs for k in "CMAPL")
    assert set(fig5["summary"]) == {"kegan", "kegan-no-knowledge"}
    assert fig5["summary"]["kegan"]["0.4"]["M"]["n"] == 1


def test_report_files_hold_the_tables_figures_and_settings(quick_bench):
    res, out = quick_bench
    for f in ("bench.json", "bench.md", "bench.html", "figure4.png", "figure5.png"):
        assert (out / f).stat().st_size > 0, f
    saved = json.loads((out / "bench.json").read_text())
    assert saved["settings"]["seed"] == 0 and saved["settings"]["generators"] == list(res["generators"])
    assert saved["generators"]["kegan"]["fidelity_train"] == res["generators"]["kegan"]["fidelity_train"]
    assert saved["memory_method"] and saved["bin_edges"] and saved["split"]["heldout_ids"]
    # bin edges come once from the whole real data (training and held-out parts), not from one part
    s = BenchSettings.make(0, True, None, None, None, "cpu")
    real = quick_sample(read_dataset(out.parent / "toy"), s.quick_max_objects, s.quick_max_records, 0)
    assert saved["bin_edges"] == json.loads(json.dumps(BinEdges.from_real(real).to_dict()))
    train = real.subset(saved["split"]["train_ids"])
    assert saved["bin_edges"] != json.loads(json.dumps(BinEdges.from_real(train).to_dict()))
    md = (out / "bench.md").read_text()
    for title in ("Table 2: JSD", "Table 2b: JSD", "Table 3: categorized JSD", "Table 4: accuracy",
                  "Cost of each generator", "Figure 4 (numbers)", "Figure 5 (numbers)", "Floor (real vs real)"):
        assert title in md, title
    assert "| Real |" in md and "| AR | – |" in md  # AR's category is drawn from the real data
    assert "**" in md and "<u>" in md and "![Figure 4" in md and "(figure5.png)" in md
    lstm_row = next(line for line in md.splitlines() if line.startswith("| LSTM |") and "epochs" in line)
    assert "ok" in lstm_row  # the cost table names the LSTM's unit (epochs); the GANs count iterations
    html = (out / "bench.html").read_text()
    assert html.count("data:image/png;base64,") == 2 and "<b>" in html and "<u>" in html
    assert "src='figure" not in html  # self-contained
    # every written synthetic dataset reads back; the independent checker on one (it costs a process each)
    for g in res["generators"].values():
        if g["status"] == "ok":
            assert len(read_dataset(out / g["synthetic_dir"])) == g["n_sampled"]
    check_dataset(out / res["generators"]["kegan"]["synthetic_dir"], synthetic=True)
    assert len(read_dataset(out / "synthetic" / "kegan")) == res["split"]["train_objects"]


def test_cli_help_and_unknown_generator(tmp_path):
    from typer.testing import CliRunner

    from kegan.cli.main import app

    runner = CliRunner()
    help_text = runner.invoke(app, ["bench", "--help"]).output
    assert "--quick" in help_text and "--fig5-repeats" in help_text and "kegan bench runs/sentinel" in help_text
    data = write_toy(tmp_path / "toy", n_objects=8)
    from kegan.errors import ParameterError

    with pytest.raises(ParameterError, match="unknown nope"):
        bench_api.run_bench(data, tmp_path / "b", generators=["ar", "nope"], quick=True, progress=False)
    assert not (tmp_path / "b").exists()


def test_training_report_reads_each_generator_family():
    import dataclasses

    from kegan.bench.protocol import training_report

    @dataclasses.dataclass
    class Log:
        steps: int = 7
        stopped_by: str = "budget"

    g = types.SimpleNamespace(fit_report_={"epochs": 3, "stopped_by_budget": False})
    assert training_report(g) == {"epochs": 3, "stopped_by_budget": False, "steps_done": 3, "steps_unit": "epochs"}
    assert training_report(types.SimpleNamespace(log_=Log())) == {
        "steps": 7, "stopped_by": "budget", "steps_done": 7, "steps_unit": "steps", "stopped_by_budget": True}
    model = types.SimpleNamespace(n_iter_=12, stopped_by_time_=False, elapsed_s_=1.5)
    assert training_report(types.SimpleNamespace(model_=model))["steps_done"] == 12
    assert training_report(types.SimpleNamespace(model_=model))["steps_unit"] == "iterations"
    hmm = types.SimpleNamespace(fit_report_=[{"retried": True}, {"retried": False}])
    assert training_report(hmm)["retried"] == 1
    assert training_report(types.SimpleNamespace()) is None


def test_out_may_not_replace_the_dataset(tmp_path):
    from kegan.errors import ParameterError

    data = write_toy(tmp_path / "toy", n_objects=8)
    for out in (data, tmp_path):
        with pytest.raises(ParameterError, match="would replace the dataset"):
            bench_api.run_bench(data, out, generators=["ar"], quick=True, progress=False)
    assert (data / "dataset.json").exists()


def test_figure5_only_with_both_knowledge_variants_selected(tmp_path):
    data = write_toy(tmp_path / "toy", n_objects=12)
    res = bench_api.run_bench(data, tmp_path / "b", generators=["ar", "kegan"], quick=True, device="cpu",
                              progress=False)
    assert res["figure5"] is None and any("Figure 5 skipped" in w for w in res["warnings"])
    assert list(res["generators"]) == ["ar", "kegan"] and res["knowledge"]["dim"] == 8
    assert not (tmp_path / "b" / "figure5.png").exists() and (tmp_path / "b" / "figure4.png").exists()
