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


def test_algorithm1_defaults():
    from kegan.model import KEGANConfig

    cfg = KEGANConfig()
    assert (cfg.lambda_gp, cfg.n_critic, cfg.batch_size, cfg.lr, tuple(cfg.betas)) == (10.0, 5, 64, 1e-4, (0.5, 0.9))
    assert cfg.B == 10 and cfg.attention and cfg.use_knowledge and not cfg.critic_knowledge


def test_category_generator_is_a_sigmoid_per_category_not_a_softmax():
    torch.manual_seed(0)
    g = Generator(k_dim=5, n_categories=4, M_max=12, config=tiny_config())
    k, z = torch.randn(64, 5), torch.randn(64, g.noise_dims[0])
    c = g.category_generator(k, z)
    assert torch.allclose(c, torch.sigmoid(g.category_generator.net(torch.cat([k, z], 1))))
    assert ((c > 0) & (c < 1)).all() and not torch.allclose(c.sum(1), torch.ones(64))


def test_series_generator_is_conditioned_on_the_length_fraction():
    cfg = tiny_config()
    torch.manual_seed(0)
    g = Generator(k_dim=5, n_categories=3, M_max=12, config=cfg)
    sg = g.series_generator
    assert sg.lstm.input_size == 5 + 3 + 1 + cfg.noise_series  # [K, C^, M^/M_max, z_k]
    k, c = torch.randn(2, 5), torch.rand(2, 3)
    z = torch.randn(2, 3, cfg.noise_series)
    steps = torch.tensor([3, 3])
    short, long = sg(k, c, torch.full((2, 1), 0.25), z, steps), sg(k, c, torch.ones(2, 1), z, steps)
    assert not torch.allclose(short, long)  # the same noise, another length: another series


def test_attention_head_is_equation_3():
    from kegan.model.modules import SelfAttentionHead

    torch.manual_seed(0)
    head = SelfAttentionHead(hidden=6, B=4, token_dim=5, attention_dim=3)
    h = torch.randn(7, 6)
    tok = head.to_tokens(h).view(7, 4, 5)
    r_k = torch.relu(tok @ head.W_K.weight.T)
    r_q = torch.relu(tok @ head.W_Q.weight.T)
    r_v = torch.relu(tok @ head.W_V.weight.T)
    w = torch.softmax(r_q @ r_k.transpose(1, 2) / math.sqrt(3), dim=-1)
    expected = w @ r_v @ head.W_S.weight.T + head.W_S.bias
    assert torch.allclose(head(h), expected, atol=1e-6)


def test_critic_sees_the_continuous_length_so_the_length_generator_learns():
    """The critic gets G^M's s, not the integer length (whose gradient is 0): one step moves G^M."""
    from model_helpers import toy

    from kegan.model import KEGAN

    ds, emb = toy(n_objects=16, n_categories=3, max_len=20)
    untrained = KEGAN(tiny_config(iterations=0)).fit(ds, emb, progress=False)
    trained = KEGAN(tiny_config(iterations=1, category_loss_weight=0.0)).fit(ds, emb, progress=False)
    before = untrained.generator_.length_generator.state_dict()
    after = trained.generator_.length_generator.state_dict()
    assert any(not torch.equal(before[name], after[name]) for name in before)
