"""Model directories (save/load across processes, format version) and the train/generate commands."""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd
import pytest
from conftest import check_dataset
from model_helpers import tiny_config, toy
from typer.testing import CliRunner

from kegan.dataset import read_dataset, write_dataset
from kegan.errors import DataError
from kegan.knowledge.embeddings_io import write_embeddings
from kegan.model import KEGAN

LOAD_AND_SAMPLE = """
import sys
from kegan.model import KEGAN
m = KEGAN.load(sys.argv[1], device="cpu")
m.sample(20, seed=7).records.to_parquet(sys.argv[2])
"""


def test_save_then_load_in_a_new_process_gives_identical_samples(tmp_path):
    ds, emb = toy()
    model = KEGAN(tiny_config()).fit(ds, emb, progress=False)
    model.save(tmp_path / "model")
    assert sorted(p.name for p in (tmp_path / "model").iterdir()) == ["model.json", "objects.parquet", "weights.pt"]
    expected = model.sample(20, seed=7).records
    res = subprocess.run([sys.executable, "-c", LOAD_AND_SAMPLE, str(tmp_path / "model"), str(tmp_path / "r.parquet")],
                         capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "r.parquet"), expected)
    again = KEGAN.load(tmp_path / "model")
    assert again.n_iter_ == 4 and again.history_ == model.history_ and again.config == model.config


def test_unknown_format_version_and_missing_files(tmp_path):
    ds, emb = toy()
    path = KEGAN(tiny_config(iterations=1)).fit(ds, emb, progress=False).save(tmp_path / "model")
    meta = json.loads((path / "model.json").read_text())
    meta["format_version"] = 99
    (path / "model.json").write_text(json.dumps(meta))
    with pytest.raises(DataError, match="format_version 99"):
        KEGAN.load(path)
    with pytest.raises(DataError, match="not a kegan model"):
        KEGAN.load(tmp_path)


def test_cli_train_and_generate(tmp_path):
    import typer

    from kegan.cli import generate, train

    # Only the commands under test: the full app imports every stage, some still being written.
    app = typer.Typer()
    train.register(app)
    generate.register(app)
    ds, emb = toy(n_objects=12, n_categories=2, max_len=15)
    data = write_dataset(ds, tmp_path / "data")
    runner = CliRunner()
    res = runner.invoke(app, ["train", str(data), "--out", str(tmp_path / "m"), "--iterations", "2"])
    assert isinstance(res.exception, DataError) and "kegan kg" in str(res.exception)
    write_embeddings(data / "embeddings.parquet", ds.device_ids, emb)
    res = runner.invoke(app, ["train", str(data), "--out", str(tmp_path / "m"), "--iterations", "2",
                              "--device", "cpu", "--seed", "3"])
    assert res.exit_code == 0, res.output
    assert "trained 2 iterations" in res.output and (tmp_path / "m.checkpoint" / "trainer.json").exists()
    res = runner.invoke(app, ["generate", str(tmp_path / "m"), "--n", "9", "--out", str(tmp_path / "syn"),
                              "--like", "manufacturer=MAKER1"])
    assert res.exit_code == 0, res.output
    check_dataset(tmp_path / "syn", synthetic=True)
    syn = read_dataset(tmp_path / "syn")
    assert len(syn) == 9 and set(syn.devices.columns) == {"device_id", "category", "manufacturer"}
    assert set(syn.devices["manufacturer"]) == {"maker1"}  # as the data spell it, not as typed
    assert json.loads((tmp_path / "syn" / "dataset.json").read_text())["like"] == "manufacturer=maker1"
    # Categories outside those of the matching objects (cat1) are named, with the under-training hint.
    foreign = sorted(set(syn.categories) - {"cat1"})
    said = res.output + (res.stderr if res.stderr_bytes is not None else "")
    for c in foreign:
        assert f"have: {c}" in said and "trained 2 iterations (default 6000)" in said, said
    if not foreign:
        assert "warning" not in said, said
    res = runner.invoke(app, ["generate", str(tmp_path / "m"), "--n", "4", "--out", str(tmp_path / "syn2"),
                              "--like", str(data)])
    assert res.exit_code == 0, res.output
    assert list(read_dataset(tmp_path / "syn2").devices.columns) == ["device_id", "category"]
    assert str(data) not in json.loads((tmp_path / "syn2" / "dataset.json").read_text())["like"]  # no local path
    # a filter on an identifying column conditions the model but never reaches the synthetic dataset
    device = ds.devices.loc[ds.devices["manufacturer"] == "maker1", "device"].iloc[0]
    res = runner.invoke(app, ["generate", str(tmp_path / "m"), "--n", "4", "--out", str(tmp_path / "syn3"),
                              "--like", f"manufacturer=maker1,device={device}"])
    assert res.exit_code == 0, res.output
    written = "".join(p.read_bytes().decode("latin-1") for p in (tmp_path / "syn3").iterdir())
    assert device not in written
    assert set(read_dataset(tmp_path / "syn3").devices.columns) == {"device_id", "category", "manufacturer"}
    res = runner.invoke(app, ["generate", str(tmp_path / "m"), "--n", "4", "--out", str(tmp_path / "x"),
                              "--like", "manufacturer=nobody"])
    assert isinstance(res.exception, DataError) and "no training object matches" in str(res.exception)


def test_cli_train_flags_reach_the_model(tmp_path):
    import typer

    from kegan.cli import train

    app = typer.Typer()
    train.register(app)
    app.command("unused")(lambda: None)  # two commands, so that "train" is a subcommand as in kegan's app
    ds, emb = toy(n_objects=12, n_categories=2, max_len=15)
    data = write_dataset(ds, tmp_path / "data")
    runner = CliRunner()

    def run(out, *flags):
        res = runner.invoke(app, ["train", str(data), "--out", str(tmp_path / out), "--device", "cpu", *flags])
        return res, (json.loads((tmp_path / out / "model.json").read_text()) if res.exit_code == 0 else None)

    res, meta = run("abl", "--no-knowledge", "--no-attention", "--iterations", "1")  # no embeddings needed
    assert res.exit_code == 0, res.output
    cfg = meta["config"]
    assert cfg["use_knowledge"] is False and cfg["attention"] is False and cfg["critic_knowledge"] is False
    write_embeddings(data / "embeddings.parquet", ds.device_ids, emb)
    res, meta = run("ck", "--critic-knowledge", "--category-loss-weight", "0", "--iterations", "1")
    assert res.exit_code == 0, res.output
    assert meta["config"]["critic_knowledge"] is True and meta["config"]["category_loss_weight"] == 0
    # 12 objects in batches of 64: one critic step per epoch, 5 per iteration, so 10 epochs = 2 iterations
    res, meta = run("ep", "--epochs", "10")
    assert res.exit_code == 0, res.output
    assert meta["steps"] == 2 and "trained 2 iterations" in res.output
    res, _ = run("both", "--epochs", "1", "--iterations", "1")
    assert isinstance(res.exception, Exception) and "--iterations and --epochs" in str(res.exception)
    res, meta = run("t", "--iterations", "100000", "--max-minutes", "0.01")
    assert res.exit_code == 0, res.output
    assert "stopped by --max-minutes" in res.output and 0 < meta["steps"] < 100000
    # --resume continues from the checkpoint: 2 more iterations on top of the 2 it has
    res, first = run("r", "--iterations", "2")
    assert res.exit_code == 0, res.output
    res, meta = run("r", "--iterations", "4", "--resume")
    assert res.exit_code == 0, res.output
    assert meta["steps"] == 4 and meta["history"][-1]["step"] == 4
    # the first run's log kept as it was (a fresh run would log other wall-clock times)
    assert meta["history"][:len(first["history"])] == first["history"]
    said = res.output + (res.stderr if res.stderr_bytes is not None else "")
    assert "resuming from step 2" in said, said
