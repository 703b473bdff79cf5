"""KE-GAN fit/sample: determinism, batch edge cases, NaN stop, checkpoints and resume."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from conftest import check_dataset
from model_helpers import tiny_config, toy

import kegan.model.training as training
from kegan.dataset import write_dataset
from kegan.errors import DataError, ParameterError, TrainingError
from kegan.model import KEGAN
from kegan.model.agreement import category_agreement


def _weights(model: KEGAN) -> dict[str, torch.Tensor]:
    sd = {f"g.{k}": v for k, v in model.generator_.state_dict().items()}
    sd.update({f"d.{k}": v for k, v in model.critic_.state_dict().items()})
    return sd


def test_fit_sample_and_format(tmp_path):
    ds, emb = toy(n_objects=16, n_categories=3, max_len=20)
    model = KEGAN(tiny_config()).fit(ds, emb, progress=False)
    assert model.n_iter_ == 4 and model.M_max_ == max(ds.lengths())
    assert [h["step"] for h in model.history_] == [1, 2, 3, 4]
    assert {"critic_loss", "generator_loss", "wasserstein", "gradient_penalty", "elapsed_s"} <= set(model.history_[0])
    syn, cond = model.sample(30, seed=5, return_conditioning=True)
    assert len(syn) == 30 and cond.shape == (30,) and cond.max() < len(ds)
    assert syn.device_ids[0] == "syn-000001" and list(syn.devices.columns) == ["device_id", "category"]
    assert set(syn.categories) <= set(ds.category_names)
    m = syn.lengths()
    assert m.min() >= 1 and m.max() <= model.M_max_
    path = write_dataset(syn, tmp_path / "syn")
    check_dataset(path, synthetic=True)
    share = category_agreement(model, ds, emb, n=40, seed=0)
    again, cond = model.sample(40, seed=0, embeddings=emb, return_conditioning=True)  # the same draws by hand
    by_hand = np.mean(np.array(again.categories) == np.array(ds.categories)[cond])
    assert share == by_hand and share in {k / 40 for k in range(41)}


def test_same_seed_same_samples_and_same_training():
    ds, emb = toy()
    a = KEGAN(tiny_config()).fit(ds, emb, progress=False)
    b = KEGAN(tiny_config()).fit(ds, emb, progress=False)
    for key, value in _weights(a).items():
        assert torch.equal(value, _weights(b)[key]), key
    s1, s2, s3 = a.sample(25, seed=1), b.sample(25, seed=1), a.sample(25, seed=2)
    assert s1.records.equals(s2.records) and s1.devices.equals(s2.devices)
    assert not s1.records[["A", "L"]].equals(s3.records[["A", "L"]])


def test_batch_larger_than_data_last_batch_of_one_and_single_category(tmp_path):
    ds, emb = toy(n_objects=5, n_categories=2, max_len=12)
    KEGAN(tiny_config(batch_size=64, iterations=2)).fit(ds, emb, progress=False)  # batch > data
    seen = []
    original = training.BatchStream.next

    def spy(self):
        idx = original(self)
        seen.append(len(idx))
        return idx

    ds9, emb9 = toy(n_objects=9, n_categories=3, max_len=12)
    training.BatchStream.next = spy
    try:
        KEGAN(tiny_config(batch_size=4, n_critic=3, iterations=1)).fit(ds9, emb9, progress=False)
    finally:
        training.BatchStream.next = original
    assert seen == [4, 4, 1], "a pass over 9 objects in batches of 4 ends with a batch of 1"
    one, emb1 = toy(n_objects=6, n_categories=1, max_len=12)
    model = KEGAN(tiny_config(iterations=2)).fit(one, emb1, progress=False)
    syn = model.sample(8, seed=0)
    assert set(syn.categories) == {"cat0"}
    check_dataset(write_dataset(syn, tmp_path / "one"), synthetic=True)


def test_ablations_train_and_sample():
    ds, emb = toy()
    nokg = KEGAN(tiny_config(use_knowledge=False, iterations=2)).fit(ds, None, progress=False)
    assert nokg.embeddings_.shape == (len(ds), 0)
    assert len(nokg.sample(5, seed=0)) == 5
    again, cond = nokg.sample(10, seed=0, embeddings=np.zeros((len(ds), 0)), return_conditioning=True)
    by_hand = np.mean(np.array(again.categories) == np.array(ds.categories)[cond])
    assert category_agreement(nokg, ds, None, n=10, seed=0) == by_hand
    noatt = KEGAN(tiny_config(attention=False, critic_knowledge=True, iterations=2)).fit(ds, emb, progress=False)
    assert len(noatt.sample(5, seed=0, embeddings=emb[:2])) == 5


def test_input_errors():
    ds, emb = toy()
    with pytest.raises(ParameterError, match="embeddings are required"):
        KEGAN(tiny_config()).fit(ds, None, progress=False)
    with pytest.raises(DataError, match="shape"):
        KEGAN(tiny_config()).fit(ds, emb[:3], progress=False)
    with pytest.raises(ParameterError, match="B="):
        KEGAN(tiny_config(B=0)).fit(ds, emb, progress=False)
    with pytest.raises(ParameterError, match="not fitted"):
        KEGAN().sample(3)
    model = KEGAN(tiny_config(iterations=1)).fit(ds, emb, progress=False)
    with pytest.raises(DataError, match="dimension"):
        model.sample(3, embeddings=np.zeros((2, 99)))


def test_nan_loss_stops_with_error_naming_the_step(monkeypatch):
    ds, emb = toy()
    calls = {"n": 0}
    real_loss = training.critic_loss

    def poisoned(*args):
        calls["n"] += 1
        loss = real_loss(*args)
        return loss * float("nan") if calls["n"] == 8 else loss

    monkeypatch.setattr(training, "critic_loss", poisoned)
    with pytest.raises(TrainingError, match=r"step 2: the critic loss \(critic step 3 of 5\) became nan"):
        KEGAN(tiny_config(iterations=4)).fit(ds, emb, progress=False)


def test_resume_after_interruption_matches_uninterrupted_run(tmp_path, monkeypatch):
    ds, emb = toy()
    full = KEGAN(tiny_config(iterations=6)).fit(ds, emb, checkpoint_dir=tmp_path / "full", progress=False)

    real_step = training.Trainer.train_step

    def killed_at_5(self):
        if self.step == 4:
            raise KeyboardInterrupt  # the process dies after the step-4 checkpoint
        return real_step(self)

    monkeypatch.setattr(training.Trainer, "train_step", killed_at_5)
    ckpt = tmp_path / "ckpt"
    with pytest.raises(KeyboardInterrupt):
        KEGAN(tiny_config(iterations=6)).fit(ds, emb, checkpoint_dir=ckpt, progress=False)
    monkeypatch.setattr(training.Trainer, "train_step", real_step)
    assert json.loads((ckpt / "trainer.json").read_text())["step"] == 4
    resumed = KEGAN(tiny_config(iterations=6)).fit(ds, emb, checkpoint_dir=ckpt, resume=True, progress=False)
    assert resumed.n_iter_ == 6
    assert [h["step"] for h in resumed.history_] == list(range(1, 7))
    for key, value in _weights(full).items():
        assert torch.equal(value, _weights(resumed)[key]), f"{key} differs after resume"
    strip = [{k: v for k, v in h.items() if k != "elapsed_s"} for h in full.history_]
    assert strip == [{k: v for k, v in h.items() if k != "elapsed_s"} for h in resumed.history_]
    # A checkpoint of other settings or data is refused rather than silently mixed in.
    with pytest.raises(ParameterError, match="lr"):
        KEGAN(tiny_config(iterations=8, lr=1e-3)).fit(ds, emb, checkpoint_dir=ckpt, resume=True, progress=False)
    with pytest.raises(DataError, match="other data"):
        KEGAN(tiny_config(iterations=8)).fit(ds, emb + 1, checkpoint_dir=ckpt, resume=True, progress=False)


def test_ctrl_c_finishes_the_iteration_and_checkpoints_it(tmp_path, monkeypatch):
    """SIGINT mid-iteration: that iteration completes, is checkpointed (step 3, not the periodic 2) and
    the resumed run ends in the uninterrupted run's weights."""
    import os
    import signal

    ds, emb = toy()
    full = KEGAN(tiny_config(iterations=6)).fit(ds, emb, progress=False)
    real_step = training.Trainer.train_step

    def interrupted_during_3(self):
        if self.step == 2:
            os.kill(os.getpid(), signal.SIGINT)  # arrives in the middle of iteration 3
        return real_step(self)

    monkeypatch.setattr(training.Trainer, "train_step", interrupted_during_3)
    ckpt = tmp_path / "ckpt"
    with pytest.raises(KeyboardInterrupt, match="after iteration 3"):
        KEGAN(tiny_config(iterations=6)).fit(ds, emb, checkpoint_dir=ckpt, progress=False)
    monkeypatch.setattr(training.Trainer, "train_step", real_step)
    assert json.loads((ckpt / "trainer.json").read_text())["step"] == 3
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # handler restored
    resumed = KEGAN(tiny_config(iterations=6)).fit(ds, emb, checkpoint_dir=ckpt, resume=True, progress=False)
    for key, value in _weights(full).items():
        assert torch.equal(value, _weights(resumed)[key]), f"{key} differs after resume"


def test_max_minutes_stops_early():
    ds, emb = toy()
    model = KEGAN(tiny_config(iterations=10_000)).fit(ds, emb, max_minutes=0.02, progress=False)
    assert model.stopped_by_time_ and 0 < model.n_iter_ < 10_000


def test_category_loss_weight_ties_category_to_knowledge():
    """kegan's deviation: with the auxiliary term, G^C learns the category K encodes; off (0), no such key;
    the default is on with knowledge and off without."""
    ds, _ = toy(n_objects=24, n_categories=3, max_len=12)
    names = ds.category_names
    onehot = np.eye(len(names), dtype=np.float32)[[names.index(c) for c in ds.categories]]
    emb = np.concatenate([onehot, np.random.default_rng(1).normal(size=(len(ds), 3)).astype(np.float32)], axis=1)
    cfg = tiny_config(iterations=60, lr=1e-2, log_every=60, category_loss_weight=5.0)
    model = KEGAN(cfg).fit(ds, emb, progress=False)
    assert model.history_[-1]["category_loss"] < 0.2
    assert category_agreement(model, ds, emb, n=200, seed=0) > 0.9
    plain = KEGAN(tiny_config(category_loss_weight=0.0)).fit(ds, emb, progress=False)
    assert "category_loss" not in plain.history_[-1]
    assert tiny_config().effective_category_loss_weight == 1.0
    assert tiny_config(use_knowledge=False).validate().effective_category_loss_weight == 0.0
    with pytest.raises(ParameterError, match="category_loss_weight"):
        KEGAN(tiny_config(category_loss_weight=-1.0)).fit(ds, emb, progress=False)
    with pytest.raises(ParameterError, match="category_loss_weight"):
        KEGAN(tiny_config(category_loss_weight=1.0, use_knowledge=False)).fit(ds, None, progress=False)
