"""KE-GAN networks, masks, gradient penalty and feature transforms."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from model_helpers import tiny_config
from torch import nn

from kegan.dataset.scaling import FeatureScaler
from kegan.model.losses import gradient_penalty
from kegan.model.modules import Critic, Generator, object_vector


class FixedLength(nn.Module):
    """Stands in for G^M: returns s so that ceil(s * M_max) is the wanted length."""

    def __init__(self, lengths: list[int], m_max: int):
        super().__init__()
        self.s = torch.tensor([[(m - 0.5) / m_max] for m in lengths])

    def forward(self, k, c, z):
        return self.s[: len(k)]


@pytest.mark.parametrize("attention", [True, False])
def test_ragged_lengths_shapes_and_masks(attention):
    cfg = tiny_config(B=4, attention=attention)
    m_max = 13  # Q_max = 4 steps of B = 4 records, the last one cut at 13
    lengths = [1, cfg.B - 1, cfg.B, cfg.B + 1, m_max]
    torch.manual_seed(0)
    g = Generator(k_dim=5, n_categories=3, M_max=m_max, config=cfg)
    g.length_generator = FixedLength(lengths, m_max)
    rng = torch.Generator().manual_seed(1)
    noise = g.draw_noise(len(lengths), rng)
    assert noise.series.shape == (5, math.ceil(m_max / cfg.B), cfg.noise_series)
    k = torch.randn(len(lengths), 5)
    out = g(k, noise)
    assert out.c.shape == (5, 3) and ((out.c > 0) & (out.c < 1)).all()
    assert out.series.shape == (5, m_max, 3)
    assert out.lengths.tolist() == lengths
    for i, m in enumerate(lengths):
        assert (out.series[i, :m] > 0).all(), "records within the length come from a sigmoid"
        assert (out.series[i, m:] == 0).all(), "records past the length are masked to zero"
    # Each object alone gives the same records as inside the ragged batch (the batch runs the
    # longest Q for everyone; shorter objects' extra steps must not leak into their records).
    for i, m in enumerate(lengths):
        g.length_generator = FixedLength([m], m_max)
        alone = g(k[i : i + 1], noise[i : i + 1])
        torch.testing.assert_close(alone.series[0], out.series[i])
    obj = object_vector(out.c, out.s, out.series)
    assert obj.shape == (5, 3 + 1 + 3 * m_max)


def test_length_is_clamped_to_1_and_m_max():
    cfg = tiny_config()
    g = Generator(k_dim=0, n_categories=2, M_max=7, config=cfg)

    class Extreme(nn.Module):
        def forward(self, k, c, z):
            return torch.tensor([[0.0], [1.0]])

    g.length_generator = Extreme()
    out = g(torch.zeros(2, 0), g.draw_noise(2, torch.Generator().manual_seed(0)))
    assert out.lengths.tolist() == [1, 7]


def test_gradient_penalty_linear_critic_by_hand():
    # D(x) = w.x + b has gradient w everywhere: the penalty is (||w|| - 1)^2 whatever the interpolates.
    critic = nn.Linear(4, 1)
    with torch.no_grad():
        critic.weight.copy_(torch.tensor([[3.0, 0.0, 4.0, 0.0]]))
    real, fake = torch.randn(6, 4), torch.randn(6, 4)
    eps = torch.rand(6, 1)
    gp = gradient_penalty(lambda x: critic(x).squeeze(1), real, fake, eps)
    assert gp.item() == pytest.approx((5.0 - 1.0) ** 2)


def test_gradient_penalty_quadratic_critic_by_hand():
    # D(x) = sum(x^2): gradient 2 x~ at x~ = eps real + (1 - eps) fake.
    real = torch.tensor([[1.0, 0.0], [0.0, 2.0]])
    fake = torch.tensor([[0.0, 0.0], [0.0, 0.0]])
    eps = torch.tensor([[0.5], [0.25]])
    gp = gradient_penalty(lambda x: (x**2).sum(1), real, fake, eps)
    # x~ = [0.5, 0], [0, 0.5]; ||2 x~|| = 1 and 1: penalty 0. Check a non-zero case too.
    assert gp.item() == pytest.approx(0.0, abs=1e-7)
    eps = torch.tensor([[1.0], [1.0]])
    gp = gradient_penalty(lambda x: (x**2).sum(1), real, fake, eps)
    assert gp.item() == pytest.approx(((2.0 - 1) ** 2 + (4.0 - 1) ** 2) / 2)


def test_gradient_penalty_with_knowledge_is_wrt_object_only():
    critic = Critic(object_dim=3, k_dim=2, hidden=8)
    real, fake, k = torch.randn(4, 3), torch.randn(4, 3), torch.randn(4, 2)
    eps = torch.rand(4, 1)
    gp = gradient_penalty(critic, real, fake, eps, k)
    mixed = (eps * real + (1 - eps) * fake).requires_grad_(True)
    (grad,) = torch.autograd.grad(critic(mixed, k).sum(), mixed)  # K fixed, not interpolated
    assert gp.item() == pytest.approx(((grad.norm(dim=1) - 1) ** 2).mean().item(), rel=1e-5)


def test_feature_scaler_round_trip_and_constant_feature():
    rng = np.random.default_rng(0)
    series = [np.stack([rng.exponential(2, 30), rng.integers(1, 50, 30), np.full(30, 60.0)], axis=1)]
    series[0][0, 0] = 0.0
    scaler = FeatureScaler.fit(series)
    z = scaler.transform(series[0])
    assert np.isfinite(z).all() and z.min() >= 0 and z.max() <= 1
    assert (z[:, 2] == 0).all(), "a constant feature scales to 0, not NaN"
    back = scaler.inverse_series(z)
    np.testing.assert_allclose(back[:, [0, 2]], series[0][:, [0, 2]], rtol=1e-9, atol=1e-9)
    np.testing.assert_array_equal(back[:, 1], series[0][:, 1])
    # Generated values anywhere (even NaN) invert to valid records.
    wild = np.array([[0.7, -3.0, np.nan], [2.0, 0.5, 1.0]])
    x = scaler.inverse_series(wild)
    assert x[0, 0] == 0 and (x[:, 0] >= 0).all() and (x[:, 1] >= 1).all() and (x[:, 2] > 0).all()
    assert np.array_equal(x[:, 1], np.rint(x[:, 1]))
    assert FeatureScaler.from_dict(scaler.to_dict()).to_dict() == scaler.to_dict()
