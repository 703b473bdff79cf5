"""LSTM and naive-GAN baselines: teacher-forcing alignment, wall-clock budget, gradient penalty, masks."""

import time

import numpy as np
import pytest
import torch

from kegan.baselines.extended import TrainingData
from kegan.baselines.lstm import LSTMGenerator
from kegan.baselines.naive_gan import NaiveGANGenerator
from kegan.dataset.format import Dataset
from kegan.dataset.toy import make_toy_dataset
from kegan.errors import ParameterError
from kegan.model.losses import gradient_penalty


@pytest.fixture(scope="module")
def toy():
    return make_toy_dataset(n_objects=24, n_categories=3, max_len=30, seed=0)


def test_lstm_teacher_forcing_feeds_the_previous_record_and_hides_the_category_at_the_noise_step():
    series = [np.array([[0.0, 1, 10.0], [1.0, 2, 20.0], [2.0, 3, 30.0]]), np.array([[0.0, 5, 50.0]])]
    ds = Dataset.from_series(["a", "b"], ["x", "y"], series)
    data = TrainingData.from_dataset(ds, "lstm")
    inputs, x, mask, cats = LSTMGenerator(device="cpu")._batch(
        data, np.array([0, 1]), torch, torch.device("cpu")
    )
    assert inputs.shape == (2, 4, 4 + 2) and x.shape == (2, 3, 4)
    assert mask.tolist() == [[1, 1, 1], [1, 0, 0]] and cats.tolist() == [0, 1]
    z = inputs[:, 0, :4]
    assert torch.equal(inputs[:, 1, :4], z)  # step 1 sees the noise start, then predicts x_0
    assert torch.equal(inputs[0, 2, :4], x[0, 0]) and torch.equal(inputs[0, 3, :4], x[0, 1])
    assert inputs[:, 0, 4:].abs().sum() == 0  # no category at the noise step
    assert inputs[0, 1:, 4:].tolist() == [[1, 0]] * 3 and inputs[1, 1:, 4:].tolist() == [[0, 1]] * 3


def test_lstm_category_head_learns_an_imbalanced_category_distribution():
    ds = make_toy_dataset(n_objects=24, n_categories=3, max_len=10, seed=0)
    keep = [d for d, c in zip(ds.device_ids, ds.categories, strict=True) if c == "cat0"] + [
        d for d, c in zip(ds.device_ids, ds.categories, strict=True) if c == "cat1"
    ][:2]
    small = ds.subset(keep)  # 8 cat0, 2 cat1
    gen = LSTMGenerator(
        seed=0, device="cpu", hidden=16, epochs=30, batch_size=10, lr=1e-2, num_threads=1
    ).fit(small)
    cats = np.array(gen.sample(300, seed=0).categories)
    assert set(cats) <= {"cat0", "cat1"}
    assert 0.65 < (cats == "cat0").mean() < 0.95


@pytest.mark.parametrize(
    "cls, settings", [(LSTMGenerator, {"epochs": 10**6}), (NaiveGANGenerator, {"iterations": 10**6})]
)
def test_neural_baselines_stop_at_the_wall_clock_budget(cls, settings, toy):
    start = time.monotonic()
    gen = cls(max_minutes=0.02, seed=0, device="cpu", num_threads=1, hidden=8, **settings).fit(toy)
    assert time.monotonic() - start < 15  # 1.2 s budget; generous slack for a busy machine
    assert gen.fit_report_["stopped_by_budget"]
    assert len(gen.sample(3, seed=0)) == 3


def test_budget_and_settings_are_validated_before_training():
    with pytest.raises(ParameterError, match="max_minutes"):
        LSTMGenerator(max_minutes=0)
    with pytest.raises(ParameterError, match="n_critic"):
        NaiveGANGenerator(n_critic=0)


def test_gradient_penalty_of_a_linear_critic_is_its_weight_norm_minus_one_squared():
    critic = torch.nn.Linear(3, 1)
    with torch.no_grad():
        critic.weight.copy_(torch.tensor([[3.0, 0.0, 4.0]]))  # ||w|| = 5
    real, fake = torch.randn(7, 3), torch.randn(7, 3)
    # the naive GAN's critic takes one argument: the shared WGAN-GP term must work with it too
    assert gradient_penalty(critic, real, fake, torch.rand(7, 1)).item() == pytest.approx(16.0)


def test_naive_gan_series_are_zero_beyond_the_generated_length(toy):
    gen = NaiveGANGenerator(seed=0, device="cpu", **NaiveGANGenerator.quick_settings()).fit(toy)
    m_max = gen.data_.m_max
    with torch.no_grad():
        c, u, series, lengths = gen.generator_(torch.randn(50, gen.options["noise_dim"]))
    assert series.shape == (50, m_max, 3) and torch.allclose(c.sum(dim=1), torch.ones(50))
    assert lengths.min() >= 1 and lengths.max() <= m_max
    assert torch.equal(lengths, torch.clamp(torch.ceil(u[:, 0] * m_max), 1, m_max).long())
    steps = torch.arange(m_max)[None]
    assert series[steps >= lengths[:, None]].abs().sum() == 0
    assert (series[steps < lengths[:, None]] > 0).all()
