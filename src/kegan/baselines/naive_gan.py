"""The paper's naive GAN baseline (section 4.2.1, "Naive GAN"): MLPs only, WGAN-GP.

The generator has KE-GAN's three sub-generators as plain MLPs on noise z, with no knowledge, no LSTM and
no attention; the whole series comes out at once::

    category_generator(z)             -> softmax over K categories          (b, K)
    length_generator(z, c)            -> sigmoid, length = ceil(u * m_max)  (b, 1)
    series_generator(z, c, u)         -> sigmoid, (m_max, 3) unit-scale A, P, L, zeroed beyond the length

The critic is an MLP on ``[c, u, series (m_max * 3)]``; real objects enter as one-hot category,
``M / m_max`` and the unit-scale series zero-padded to ``m_max``. Loss: WGAN-GP (paper eq. 4) with
lambda 10, ``n_critic`` 5 critic steps per generator step, Adam 1e-4, betas (0.5, 0.9) (appendix B).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..dataset.format import Dataset
from ..device import resolve_device, torch_threads
from ..seeding import seed_everything
from .base import Generator, synthetic_dataset
from .common import Budget, check_sample, pad, parse_settings
from .extended import TrainingData

_DEFAULTS: dict[str, Any] = {
    "noise_dim": 32,
    "hidden": 128,
    "iterations": 2000,
    "batch_size": 64,
    "n_critic": 5,
    "gp_lambda": 10.0,
    "lr": 1e-4,
    "num_threads": 0,
}


def _mlp(sizes: list[int], final=None):
    from torch import nn

    layers = []
    for i in range(len(sizes) - 1):
        layers.append(nn.Linear(sizes[i], sizes[i + 1]))
        if i < len(sizes) - 2:
            layers.append(nn.LeakyReLU(0.2))
    if final is not None:
        layers.append(final)
    return nn.Sequential(*layers)


def _build(n_categories: int, m_max: int, noise_dim: int, hidden: int):
    import torch
    from torch import nn

    class NaiveGenerator(nn.Module):
        def __init__(self):
            super().__init__()
            self.category_generator = _mlp([noise_dim, hidden, n_categories], nn.Softmax(dim=1))
            self.length_generator = _mlp([noise_dim + n_categories, hidden, 1], nn.Sigmoid())
            self.series_generator = _mlp(
                [noise_dim + n_categories + 1, hidden, hidden, m_max * 3], nn.Sigmoid()
            )

        def forward(self, z):
            c = self.category_generator(z)  # (b, K)
            u = self.length_generator(torch.cat([z, c], dim=1))  # (b, 1)
            series = self.series_generator(torch.cat([z, c, u], dim=1)).view(-1, m_max, 3)
            lengths = torch.clamp(torch.ceil(u.detach() * m_max), 1, m_max)  # (b, 1)
            mask = (torch.arange(m_max, device=z.device)[None] < lengths).float()  # (b, m_max)
            return c, u, series * mask[..., None], lengths[:, 0].long()

    critic = _mlp([n_categories + 1 + m_max * 3, hidden, hidden, 1])
    return NaiveGenerator(), critic


class NaiveGANGenerator(Generator):
    """MLP generator and critic with WGAN-GP. Settings: ``noise_dim``, ``hidden``, ``iterations``,
    ``batch_size``, ``n_critic``, ``gp_lambda``, ``lr``, ``num_threads`` (0: kegan's default, 1)."""

    name = "naive-gan"
    neural = True

    def __init__(
        self, max_minutes: float | None = None, seed: int = 0, device: str = "auto", **settings: Any
    ):
        super().__init__(max_minutes=max_minutes, seed=seed, device=device, **settings)
        self.options = parse_settings(self.name, settings, _DEFAULTS)
        Budget(max_minutes)

    @classmethod
    def quick_settings(cls) -> dict[str, Any]:
        return {"hidden": 32, "noise_dim": 8, "iterations": 10, "batch_size": 16, "num_threads": 1}

    @classmethod
    def budget_settings(cls) -> dict[str, Any]:
        return {"iterations": 10**9}

    def fit(self, dataset: Dataset, embeddings: np.ndarray | None = None) -> NaiveGANGenerator:
        """Train on ``dataset`` (embeddings are ignored) for ``iterations`` or ``max_minutes``. Returns self."""
        with torch_threads(self.options["num_threads"]):
            return self._fit(dataset)

    def _fit(self, dataset: Dataset) -> NaiveGANGenerator:
        import torch

        from ..model.losses import gradient_penalty  # the same WGAN-GP term as KE-GAN

        budget = Budget(self.max_minutes)
        seed_everything(self.seed)
        data = TrainingData.from_dataset(dataset, self.name)
        opt, device, m_max = self.options, resolve_device(self.device), data.m_max
        lengths = np.array([len(s) for s in data.extended])
        # Real objects as the critic sees them: (N, K + 1 + m_max * 3)
        real_all = np.concatenate(
            [
                data.one_hot(data.category_index),
                (lengths / m_max)[:, None],
                pad([s[:, :3] for s in data.extended], m_max).reshape(len(lengths), -1),
            ],
            axis=1,
        )
        real_all = torch.from_numpy(real_all.astype(np.float32)).to(device)
        gen, critic = (
            m.to(device) for m in _build(data.n_categories, m_max, opt["noise_dim"], opt["hidden"])
        )
        opt_g = torch.optim.Adam(gen.parameters(), lr=opt["lr"], betas=(0.5, 0.9))
        opt_d = torch.optim.Adam(critic.parameters(), lr=opt["lr"], betas=(0.5, 0.9))
        rng = np.random.default_rng(self.seed)
        b = opt["batch_size"]

        def fake_batch():
            c, u, series, _ = gen(torch.randn(b, opt["noise_dim"], device=device))
            return torch.cat([c, u, series.reshape(b, -1)], dim=1)

        done, d_loss, g_loss = 0, float("nan"), float("nan")
        while done < opt["iterations"] and not budget.spent():
            for _ in range(opt["n_critic"]):
                real = real_all[torch.from_numpy(rng.integers(0, len(real_all), b)).to(device)]
                fake = fake_batch().detach()
                loss = (
                    critic(fake).mean()
                    - critic(real).mean()
                    + opt["gp_lambda"] * gradient_penalty(critic, real, fake, torch.rand(real.shape[0], 1, device=real.device))
                )
                opt_d.zero_grad()
                loss.backward()
                opt_d.step()
                d_loss = loss.item()
            loss = -critic(fake_batch()).mean()
            opt_g.zero_grad()
            loss.backward()
            opt_g.step()
            g_loss, done = loss.item(), done + 1
        self.generator_, self.data_, self.device_ = gen.eval(), data, device
        self.fit_report_ = {
            "iterations": done,
            "seconds": round(budget.elapsed(), 3),
            "stopped_by_budget": done < opt["iterations"],
            "critic_loss": d_loss,
            "generator_loss": g_loss,
        }
        return self

    def sample(self, n: int, seed: int = 0) -> Dataset:
        """``n`` synthetic objects (category = the largest output, as the paper); same seed, same objects."""
        check_sample(self, n)
        with torch_threads(self.options["num_threads"]):
            return self._sample(n, seed)

    def _sample(self, n: int, seed: int) -> Dataset:
        import torch

        data = self.data_
        noise = torch.randn(n, self.options["noise_dim"], generator=torch.Generator().manual_seed(int(seed)))
        with torch.no_grad():
            c, _, series, lengths = self.generator_(noise.to(self.device_))
        cats, series, lengths = c.argmax(dim=1).cpu().numpy(), series.cpu().numpy(), lengths.cpu().numpy()
        out = [data.to_raw(series[i], int(lengths[i])) for i in range(n)]
        names = [data.category_names[k] for k in cats]
        return synthetic_dataset(names, out, self.name, meta={"seed": int(seed)})
