"""DoppelGANger baseline: transforms, generation flags, network shapes, fit/sample contract, budget."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest
import torch
from conftest import check_dataset

from kegan.baselines.doppelganger import DoppelGANger, DoppelGANgerConfig
from kegan.baselines.doppelganger.networks import (
    AuxCritic,
    Critic,
    DoppelGANgerNetwork,
    draw_noise,
    emission_masks,
)
from kegan.baselines.doppelganger.transforms import AutoNormalization, generation_flags
from kegan.dataset.format import Dataset
from kegan.dataset.io import read_dataset, write_dataset
from kegan.dataset.toy import make_toy_dataset
from kegan.errors import DataError, ParameterError, TrainingError

TINY = {
    "attribute_units": 16,
    "feature_units": 16,
    "critic_units": 32,
    "aux_critic_units": 32,
    "critic_layers": 3,
    "aux_critic_layers": 3,
    "batch_size": 16,
    "target_steps": 8,
}


@pytest.fixture(scope="module")
def toy() -> Dataset:
    return make_toy_dataset(n_objects=40, n_categories=4, max_len=60, seed=0)


@pytest.fixture(scope="module")
def fitted(toy) -> DoppelGANger:
    return DoppelGANger(seed=0, device="cpu", max_steps=30, **TINY).fit(toy)


def test_class_is_a_neural_generator_without_knowledge():
    assert DoppelGANger.name == "doppelganger"
    assert DoppelGANger.neural and not DoppelGANger.needs_embeddings


def test_generation_flags_follow_dg_layout():
    # DG's documented examples: T = 6 with S = 3 and with S = 1, lengths 1, 3, 4.
    f3 = generation_flags(np.array([1, 3, 4]), 6, 3)
    assert f3[0].tolist() == [[0, 1], [0, 1], [0, 1], [0, 0], [0, 0], [0, 0]]
    assert f3[1].tolist() == [[1, 0], [1, 0], [0, 1], [0, 0], [0, 0], [0, 0]]
    assert f3[2].tolist() == [[1, 0], [1, 0], [1, 0], [0, 1], [0, 1], [0, 1]]
    f1 = generation_flags(np.array([1, 4]), 6, 1)
    assert f1[0].tolist() == [[0, 1], [0, 0], [0, 0], [0, 0], [0, 0], [0, 0]]
    assert f1[1].tolist() == [[1, 0], [1, 0], [1, 0], [0, 1], [0, 0], [0, 0]]


def test_emission_masks_end_series_at_first_end_flag():
    # (B=2, T=9, 2): series 0 ends at record 4 (a later "continue" must not revive it); series 1 never ends.
    flags = torch.tensor([[0.9, 0.1]] * 9).repeat(2, 1, 1)
    flags[0, 4] = torch.tensor([0.2, 0.8])
    alive, block = emission_masks(flags, sample_len=3)
    assert alive[0].tolist() == [1, 1, 1, 1, 1, 0, 0, 0, 0]
    assert block[0].tolist() == [1, 1, 1, 1, 1, 1, 0, 0, 0]
    assert alive[1].tolist() == [1] * 9 and block[1].tolist() == [1] * 9
    # An "end" on the very first record still leaves a series of length 1.
    flags[0, 0] = torch.tensor([0.1, 0.9])
    alive, block = emission_masks(flags, sample_len=3)
    assert alive[0].sum() == 1 and block[0].tolist() == [1, 1, 1, 0, 0, 0, 0, 0, 0]


def test_auto_normalization_round_trip(toy):
    series = toy.series()
    norm = AutoNormalization.fit(series, log_transform=True)
    enc = norm.encode(series, total_len=64)
    assert enc.features.shape == (len(series), 64, 3) and enc.minmax.shape == (len(series), 6)
    assert enc.features.min() >= 0 and enc.features.max() <= 1
    for i, s in enumerate(series):
        assert enc.lengths[i] == len(s)
        assert not enc.features[i, len(s) :].any()  # zero padding after the end
    assert (enc.minmax[:, 1::2] > 0).all()  # (max - min)/2 > 0 even for a constant feature (eps)
    back = norm.decode(enc.features, enc.minmax, enc.lengths)
    for s, b in zip(series, back, strict=True):
        np.testing.assert_allclose(b, s, rtol=1e-4, atol=1e-4)
    norm2 = AutoNormalization.from_dict(norm.to_dict())
    np.testing.assert_allclose(norm2.from_unit(norm.to_unit(series[0])), series[0], rtol=1e-9)


def test_network_shapes_and_flags():
    cfg = DoppelGANgerConfig(**TINY)
    net = DoppelGANgerNetwork(n_categories=5, sample_len=4, steps=6, config=cfg).eval()
    out = net(draw_noise(7, 6, cfg, torch.Generator().manual_seed(0), torch.device("cpu")))
    assert out.category_probs.shape == (7, 5) and out.minmax.shape == (7, 6)
    assert out.records.shape == (7, 24, 5) and out.alive.shape == (7, 24)
    torch.testing.assert_close(out.category_onehot.sum(1), torch.ones(7))
    assert ((out.lengths >= 1) & (out.lengths <= 24)).all()
    for i in range(7):
        m = int(out.lengths[i])
        blocks_used = -(-m // 4)
        assert not out.records[i, blocks_used * 4 :].any()  # whole blocks after the end are zero
        flag_end = out.records[i, m - 1, 3] < out.records[i, m - 1, 4]
        assert flag_end or m == 24  # the last record says "end" unless the series hit T
    critic, aux = Critic(24, 5, cfg), AuxCritic(5, cfg)
    assert critic(out.records, out.attributes).shape == (7,) and aux(out.attributes).shape == (7,)


def test_sample_contract(fitted, toy, tmp_path):
    syn = fitted.sample(50, seed=3)
    assert len(syn) == 50
    lengths = syn.lengths()
    assert lengths.min() >= 1 and lengths.max() <= fitted.max_length_ == toy.lengths().max()
    assert set(syn.categories) <= set(toy.categories)
    assert syn.meta["generator"] == "doppelganger"
    write_dataset(syn, tmp_path / "syn")
    check_dataset(tmp_path / "syn", synthetic=True)
    assert len(read_dataset(tmp_path / "syn")) == 50
    assert len(fitted.sample(1, seed=3)) == 1
    with pytest.raises(ParameterError, match="n=0"):
        fitted.sample(0, seed=3)


def test_sample_is_deterministic(fitted):
    a, b, c = fitted.sample(30, seed=5), fitted.sample(30, seed=5), fitted.sample(30, seed=6)
    pd.testing.assert_frame_equal(a.devices, b.devices)
    pd.testing.assert_frame_equal(a.records, b.records)
    assert not (
        len(a.records) == len(c.records) and np.allclose(a.records[["A", "L"]], c.records[["A", "L"]])
    )


def test_fit_is_seeded(toy):
    one = DoppelGANger(seed=4, device="cpu", max_steps=3, **TINY).fit(toy).sample(10, seed=0)
    two = DoppelGANger(seed=4, device="cpu", max_steps=3, **TINY).fit(toy).sample(10, seed=0)
    pd.testing.assert_frame_equal(one.records, two.records)


def test_fit_respects_tiny_budget(toy):
    budget_s = 1.0
    gen = DoppelGANger(max_minutes=budget_s / 60, seed=0, device="cpu", epochs=1e6, **TINY)
    t0 = time.perf_counter()
    gen.fit(toy)
    took = time.perf_counter() - t0
    assert gen.training_log.stopped_by == "budget"
    assert gen.training_log.steps >= 1
    assert took < budget_s + 3.0, f"fit took {took:.1f}s for a {budget_s}s budget"


def test_bad_input_is_reported(toy):
    with pytest.raises(ParameterError, match="unknown setting"):
        DoppelGANger(seed=0, device="cpu", hidden=3).fit(toy)
    with pytest.raises(ParameterError, match="batch_size"):
        DoppelGANger(seed=0, device="cpu", batch_size=0).fit(toy)
    with pytest.raises(ParameterError, match="max_minutes"):
        DoppelGANger(max_minutes=0, seed=0, device="cpu").fit(toy)
    with pytest.raises(TrainingError, match="not fitted"):
        DoppelGANger().sample(3)
    bad = Dataset.from_series(
        ["x1", "x2"], ["a", "b"], [np.array([[0.0, 1, 50]]), np.array([[0.0, 1, np.nan]])]
    )
    with pytest.raises(DataError, match="x2"):
        DoppelGANger(seed=0, device="cpu", max_steps=1, **TINY).fit(bad)
