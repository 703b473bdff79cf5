"""kg-check: the splits, the CLI, and the acceptance figure on the real IoT Sentinel embeddings."""

import json

import numpy as np
import typer
from conftest import check_dataset
from typer.testing import CliRunner

from kegan.cli import kg as kg_cli
from kegan.dataset import write_dataset
from kegan.knowledge.check import format_report, grouped_half_split, kg_check, stratified_half_split


def test_splits_are_stratified_and_grouped_splits_keep_devices_whole():
    labels = np.array(["a"] * 6 + ["b"] * 3 + ["c"] * 2)
    train, test = stratified_half_split(labels, seed=1)
    assert sorted(np.r_[train, test].tolist()) == list(range(11))
    for c in "abc":
        assert (labels[train] == c).any() and (labels[test] == c).any()
    groups = np.array(["d1", "d1", "d2", "d2", "d3", "d3", "d4", "d4", "d5", "d6", "d6"])
    labels = np.array(["a"] * 6 + ["b"] * 5)
    for seed in range(5):
        train, test = grouped_half_split(labels, groups, seed)
        assert not set(groups[train]) & set(groups[test])
        assert set(labels[train]) == set(labels[test]) == {"a", "b"}


def test_cli_kg_then_kg_check(tmp_path, toy_dataset):
    write_dataset(toy_dataset, tmp_path / "toy")
    app = typer.Typer()
    kg_cli.register(app)
    runner = CliRunner()
    res = runner.invoke(app, ["kg", str(tmp_path / "toy"), "--dim", "8", "--epochs", "2", "--seed", "1", "--device", "cpu"])
    assert res.exit_code == 0, res.output
    assert "triples" in res.output and "wrote" in res.output
    check_dataset(tmp_path / "toy")
    res = runner.invoke(app, ["kg-check", str(tmp_path / "toy"), "--seeds", "2"])
    assert res.exit_code == 0, res.output
    stored = json.loads((tmp_path / "toy" / "kg_check.json").read_text())
    assert set(stored["plain"]["real"]) == {"SVM", "kNN", "LR", "RF", "MLP", "NB"}
    assert stored["grouped"]["group_column"] == "device"
    res = runner.invoke(app, ["kg", str(tmp_path / "toy"), "--empty-policy", "drop"])
    assert res.exit_code != 0 and "empty_policy" in str(res.exception)


def test_real_embeddings_beat_the_random_control(sentinel_embedded):
    result = kg_check(sentinel_embedded, seeds=range(5))
    report = "\n".join(format_report(result))
    print(report)
    plain = result["plain"]
    assert plain["objects"] == 550 and len(plain["categories"]) == 8
    for name in ("SVM", "kNN", "LR", "RF", "MLP", "NB"):
        control = plain["control"][name]
        assert plain["real"][name]["mean"] > control["mean"] + 3 * control["std"], report
    grouped = result["grouped"]
    assert grouped["group_column"] == "device" and grouped["devices"] >= 20
    assert {"alarm_siren", "light_control"} <= set(grouped["left_out"])  # one device each
