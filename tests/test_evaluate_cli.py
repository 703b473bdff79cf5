"""`kegan evaluate` end to end on toy datasets: tables printed, report written, figures embedded."""

from __future__ import annotations

import base64
import json
import re

import pytest
from conftest import check_dataset
from typer.testing import CliRunner

from kegan.dataset import split_objects, write_dataset
from kegan.dataset.format import Dataset
from kegan.dataset.toy import make_toy_dataset
from kegan.errors import ParameterError
from kegan.evaluate.api import evaluate


@pytest.fixture(scope="module")
def dirs(tmp_path_factory):
    root = tmp_path_factory.mktemp("evaluate-cli")
    real = make_toy_dataset(n_objects=48, n_categories=4, max_len=40, seed=0)
    tr, te = split_objects(real, 0.7, seed=0)
    syn = make_toy_dataset(n_objects=40, n_categories=3, max_len=50, seed=5)
    syn = Dataset.from_series([f"syn-{i}" for i in range(len(syn))], syn.categories, syn.series(),
                              meta={"kind": "synthetic"})
    paths = {"train": root / "train", "test": root / "test", "syn": root / "syn"}
    write_dataset(real.subset(tr), paths["train"])
    write_dataset(real.subset(te), paths["test"])
    write_dataset(syn, paths["syn"])
    for k in ("train", "test"):
        check_dataset(paths[k])
    check_dataset(paths["syn"], synthetic=True)
    return root, paths


def _run(args):
    from kegan.cli.main import app

    res = CliRunner().invoke(app, ["evaluate", *args])
    assert res.exit_code == 0, f"{res.output}\n{res.exception!r}"
    return res


def _check_report(out, metrics):
    html = (out / "report.html").read_text(encoding="utf-8")
    srcs = re.findall(r'<img[^>]*\ssrc="([^"]*)"', html)
    assert len(srcs) == len(metrics["figures"]) == 4
    for src in srcs:
        assert src.startswith("data:image/png;base64,")
        assert base64.b64decode(src.split(",", 1)[1])[:8] == b"\x89PNG\r\n\x1a\n"
    assert "src=\"http" not in html and ".png\"" not in html  # nothing outside the file
    for name in metrics["figures"].values():
        assert (out / name).read_bytes()[:4] == b"\x89PNG"
    md = (out / "report.md").read_text(encoding="utf-8")
    assert "floor" in md and "| SVM |" in md


def test_api_split_mode_metrics(dirs):
    from kegan.dataset import read_dataset
    from kegan.evaluate import report

    root, p = dirs
    before = set(root.iterdir())
    real, syn = read_dataset(p["train"]), read_dataset(p["syn"])
    m = evaluate(real, syn, None, seed=1, progress=False)
    assert set(root.iterdir()) == before  # out=None: nothing written
    md = report.render_markdown(report.blocks(m))
    assert "70/30 split of REAL" in md and "REAL, 30% part" in md  # the report says what TSTR tested on
    assert m["mode"] == "split" and m["seed"] == 1 and list(m["fidelity"]) == ["real"]
    assert m["datasets"]["tstr_train"]["n_objects"] + m["datasets"]["tstr_test"]["n_objects"] == len(real)
    assert m["fidelity"]["real"]["C"] > 0  # the synthetic set lacks cat3
    assert m["categorized"]["real"]["per_category"]["cat3"]["present"] is False
    assert set(m["tstr"]["train_synthetic"]) == {"SVM", "kNN", "LR", "RF", "MLP", "NB"}
    assert m["floor"]["A"]["mean"] > 0 and len(m["floor"]["A"]["values"]) == 5
    json.dumps(m)  # metrics.json content is plain JSON


def test_cli_with_test_set_compares_against_both(dirs):
    root, p = dirs
    out = root / "report-test"
    res = _run([str(p["train"]), str(p["syn"]), "--test", str(p["test"]), "--out", str(out)])
    assert "JSD vs TEST" in res.stdout and "category C" in res.stdout and "categorized L" in res.stdout
    assert "NB" in res.stdout and "Privacy:" in res.stdout
    m = json.loads((out / "metrics.json").read_text())
    assert m["mode"] == "test" and list(m["fidelity"]) == ["real", "test"]
    # edges come from REAL and TEST together: the full real dataset
    full = make_toy_dataset(n_objects=48, n_categories=4, max_len=40, seed=0)
    assert m["edges"]["L"]["max"] == pytest.approx(float(full.records["L"].max()))
    assert m["edges"]["M"]["min"] == float(full.lengths().min())
    assert m["tstr"]["test_on"] == "TEST" and m["privacy"]["n_holdout"] == m["datasets"]["test"]["n_objects"]
    _check_report(out, m)
    assert not [q for q in root.iterdir() if q.name.startswith(".report-test")]  # no temp dir left


def test_api_rejects_overlapping_real_and_test():
    real = make_toy_dataset(n_objects=12, n_categories=2, max_len=20, seed=0)
    with pytest.raises(ParameterError, match="both REAL and TEST"):
        evaluate(real, real, None, test=real.subset(real.device_ids[:3]), progress=False)


def test_category_coverage_names_missing_and_under_represented_categories():
    from kegan.evaluate.coverage import category_coverage

    m = {"stats": {"real": {"category_share": {"a": 0.5, "b": 0.3, "c": 0.2}},
                   "synthetic": {"category_share": {"a": 0.85, "b": 0.14, "c": 0.0}}}}
    lines = category_coverage(m)
    assert lines[0] == "warning: real categories missing from the synthetic data: c"
    assert lines[1] == "under-represented (less than half the real share): b 14.0% vs 30.0% real"
    m["stats"]["synthetic"]["category_share"] = {"a": 0.5, "b": 0.3, "c": 0.2}
    assert category_coverage(m) == ["every real category is present (3)"]
