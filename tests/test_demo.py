"""`kegan demo` on the real captures (tiny budgets): every stage's output, the summary, reuse of
up-to-date stages, and settings refused before any stage runs."""

from __future__ import annotations

import json

import pytest
import torch
from conftest import SENTINEL_CAPTURES, SENTINEL_DEVICES, check_dataset

from kegan.dataset import read_dataset
from kegan.errors import ParameterError
from kegan.pipeline.demo import DemoSettings, run_demo
from kegan.pipeline.summary import format_summary

STAGES = ["ingest", "kg", "train", "generate", "evaluate"]


def _settings(out, **kw) -> DemoSettings:
    small = dict(data=SENTINEL_CAPTURES, devices=SENTINEL_DEVICES, out=out, iterations=10, kg_dim=16, kg_epochs=3,
                 device="cpu")
    return DemoSettings(**{**small, **kw})


@pytest.mark.slow
def test_demo_runs_every_stage_then_reuses_them(tmp_path):
    out = tmp_path / "demo"
    first = run_demo(_settings(out))
    assert first.reused == [] and list(first.timings) == STAGES
    check_dataset(out / "dataset")
    check_dataset(out / "synthetic", synthetic=True)
    split = json.loads((out / "split.json").read_text())
    assert (len(split["train"]), len(split["test"])) == (385, 165) and not set(split["train"]) & set(split["test"])
    synthetic = read_dataset(out / "synthetic")
    assert len(synthetic) == 385 and synthetic.device_ids[0] == "syn-000001"
    html = (out / "report" / "report.html").read_text()
    assert html.count("data:image/png;base64,") >= 3
    metrics = json.loads((out / "report" / "metrics.json").read_text())
    assert {"real", "test"} <= set(metrics["fidelity"]) and metrics["tstr"]["test_on"] == "TEST"
    summary = format_summary(first)
    for needle in ("kegan demo: done", "550 objects in 8 categories (385 to train, 165 held out)",
                   "floor (real vs real)", "tested on the held-out real objects",
                   f"report:            {out / 'report' / 'report.html'}", f"synthetic dataset: {out / 'synthetic'}/"):
        assert needle in summary, summary

    again = run_demo(_settings(out))
    assert again.reused == STAGES
    assert {k: v for k, v in again.metrics.items() if k != "elapsed_s"} == {
        k: v for k, v in first.metrics.items() if k != "elapsed_s"}  # the stored report, not a new one
    assert again.metrics["elapsed_s"] == json.loads((out / "report" / "metrics.json").read_text())["elapsed_s"]
    longer = run_demo(_settings(out, iterations=12))  # a training setting changed: the later stages are redone
    assert longer.reused == ["ingest", "kg"]
    assert json.loads((out / "demo.json").read_text())["settings"]["iterations"] == 12


@pytest.mark.parametrize("change, message", [
    ({"device": "cuda"}, "--device cuda: CUDA is not available"),
    ({"iterations": 0}, "--iterations 0: expected a whole number >= 1"),
    ({"data": SENTINEL_CAPTURES.parent / "nope"}, "nope: no such file or directory"),
])
def test_demo_refuses_bad_settings_before_any_stage(tmp_path, change, message):
    if change.get("device") == "cuda" and torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    with pytest.raises(ParameterError, match=message):
        run_demo(_settings(tmp_path / "demo", **change))
    assert not (tmp_path / "demo").exists()
