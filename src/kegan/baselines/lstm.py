"""The paper's LSTM baseline (section 4.2.1, "LSTM"): next-record prediction with teacher forcing.

Per object the LSTM reads (shapes per step, K categories)::

    step 0:     [z, 0_K]          -> category_head -> category logits (K,)
    step 1:     [z, onehot(C)]    -> record_head   -> x_0
    step j + 1: [x_{j-1}, onehot(C)] -> record_head -> x_j        (j = 1 .. M-1)

with z ~ N(0, I_4) the random start and x_j the extended record (A, P, L in [0, 1], F). The record head
predicts a Gaussian (mean, std) for A, P, L and a Bernoulli logit for F. Generation draws z, samples the
category from the category head, then rolls out, sampling each record and its flag, until F = 0 (the
sampled flag falls below 0.5) or ``m_max`` records.

The paper puts the category head "after all steps", but the category is also an input of every step
(as for AR and HMM), so generation must know it before the roll-out: the head reads the state after the
noise step instead (docs/baselines.md).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..dataset.format import Dataset
from ..device import resolve_device, torch_threads
from ..seeding import seed_everything
from .base import Generator, synthetic_dataset
from .common import Budget, check_sample, pad, parse_settings
from .extended import EXTENDED_WIDTH, TrainingData, length_from_flags

_DEFAULTS: dict[str, Any] = {"hidden": 64, "epochs": 200, "batch_size": 32, "lr": 1e-3, "num_threads": 0}


def _build(n_categories: int, hidden: int):
    import torch
    from torch import nn

    class LSTMBaseline(nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm = nn.LSTM(EXTENDED_WIDTH + n_categories, hidden, batch_first=True)
            self.category_head = nn.Sequential(
                nn.Linear(hidden, hidden), nn.ReLU(), nn.Linear(hidden, n_categories)
            )
            # mean (3), log-std (3), flag logit (1)
            self.record_head = nn.Linear(hidden, 7)

        def forward(self, inputs, state=None):
            out, state = self.lstm(inputs, state)  # (batch, steps, hidden)
            return out, state

        def records(self, out):
            raw = self.record_head(out)
            mean = torch.sigmoid(raw[..., :3])
            std = torch.exp(raw[..., 3:6].clamp(-7.0, 2.0))
            return mean, std, raw[..., 6]

    return LSTMBaseline()


class LSTMGenerator(Generator):
    """Teacher-forced LSTM. Settings: ``hidden`` (64), ``epochs`` (200), ``batch_size`` (32), ``lr`` (1e-3),
    ``num_threads`` (0: kegan's default, 1)."""

    name = "lstm"
    neural = True

    def __init__(
        self, max_minutes: float | None = None, seed: int = 0, device: str = "auto", **settings: Any
    ):
        super().__init__(max_minutes=max_minutes, seed=seed, device=device, **settings)
        self.options = parse_settings(self.name, settings, _DEFAULTS)
        Budget(max_minutes)  # validates max_minutes now, before any training

    @classmethod
    def quick_settings(cls) -> dict[str, Any]:
        return {"hidden": 16, "epochs": 3, "batch_size": 16, "num_threads": 1}

    def _batch(self, data: TrainingData, rows: np.ndarray, torch, device):
        """Inputs (b, T+1, 4+K), targets (b, T, 4), mask (b, T), categories (b,) for objects ``rows``."""
        seqs = [data.extended[i] for i in rows]
        steps = max(len(s) for s in seqs)
        x = torch.from_numpy(pad(seqs, steps)).to(device)  # (b, T, 4)
        mask = torch.from_numpy(pad([np.ones((len(s), 1)) for s in seqs], steps)[..., 0]).to(device)
        cats = torch.from_numpy(data.category_index[rows]).to(device)
        onehot = torch.nn.functional.one_hot(cats, data.n_categories).float()  # (b, K)
        z = torch.randn(len(rows), 1, EXTENDED_WIDTH, device=device)
        prev = torch.cat([z, z, x[:, :-1]], dim=1)  # (b, T+1, 4): z, z, x_0 .. x_{T-2}
        cond = onehot[:, None].expand(-1, steps + 1, -1).clone()
        cond[:, 0] = 0.0  # the category is not known at the noise step
        return torch.cat([prev, cond], dim=2), x, mask, cats

    @classmethod
    def budget_settings(cls) -> dict[str, Any]:
        return {"epochs": 10**9}

    def fit(self, dataset: Dataset, embeddings: np.ndarray | None = None) -> LSTMGenerator:
        """Train on ``dataset`` (embeddings are ignored) for ``epochs`` or ``max_minutes``. Returns self."""
        with torch_threads(self.options["num_threads"]):
            return self._fit(dataset)

    def _fit(self, dataset: Dataset) -> LSTMGenerator:
        import torch
        from torch.nn import functional as fn

        budget = Budget(self.max_minutes)
        seed_everything(self.seed)
        data = TrainingData.from_dataset(dataset, self.name)
        opt = self.options
        device = resolve_device(self.device)
        model = _build(data.n_categories, opt["hidden"]).to(device)
        optim = torch.optim.Adam(model.parameters(), lr=opt["lr"])
        rng = np.random.default_rng(self.seed)
        n = len(data.extended)
        epochs, losses = 0, []
        while epochs < opt["epochs"] and not budget.spent():
            order = rng.permutation(n)
            for start in range(0, n, opt["batch_size"]):
                inputs, x, mask, cats = self._batch(
                    data, order[start : start + opt["batch_size"]], torch, device
                )
                out, _ = model(inputs)
                mean, std, flag = model.records(out[:, 1:])
                nll = fn.gaussian_nll_loss(mean, x[..., :3], std**2, reduction="none", full=False).sum(-1)
                bce = fn.binary_cross_entropy_with_logits(flag, x[..., 3], reduction="none")
                rec_loss = ((nll + bce) * mask).sum() / mask.sum()
                cat_loss = fn.cross_entropy(model.category_head(out[:, 0]), cats)
                loss = rec_loss + cat_loss
                optim.zero_grad()
                loss.backward()
                optim.step()
                losses.append(loss.item())
                if budget.spent():
                    break
            epochs += 1
        self.model_, self.data_, self.device_ = model.eval(), data, device
        self.fit_report_ = {
            "epochs": epochs,
            "seconds": round(budget.elapsed(), 3),
            "stopped_by_budget": epochs < opt["epochs"],
            "final_loss": losses[-1] if losses else None,
        }
        return self

    def sample(self, n: int, seed: int = 0) -> Dataset:
        """``n`` synthetic objects; the same ``seed`` gives the same objects."""
        check_sample(self, n)
        with torch_threads(self.options["num_threads"]):
            return self._sample(n, seed)

    def _sample(self, n: int, seed: int) -> Dataset:
        import torch

        data, model, device = self.data_, self.model_, self.device_
        k, m_max = data.n_categories, data.m_max
        gen = torch.Generator().manual_seed(int(seed))  # CPU draws, moved to the device: same on any device
        out = np.zeros((n, m_max, EXTENDED_WIDTH))
        with torch.no_grad():
            z = torch.randn(n, 1, EXTENDED_WIDTH, generator=gen).to(device)
            h, state = model(torch.cat([z, torch.zeros(n, 1, k, device=device)], dim=2))
            probs = torch.softmax(model.category_head(h[:, 0]), dim=1).cpu()
            cats = torch.multinomial(probs, 1, generator=gen)[:, 0]
            onehot = torch.nn.functional.one_hot(cats, k).float().to(device)[:, None]  # (n, 1, K)
            prev, alive = z, np.ones(n, dtype=bool)
            for j in range(m_max):
                h, state = model(torch.cat([prev, onehot], dim=2), state)
                mean, std, flag = model.records(h)  # (n, 1, 3), (n, 1, 3), (n, 1)
                eps = torch.randn(n, 1, 3, generator=gen).to(device)
                values = (mean + std * eps).clamp(0.0, 1.0)
                keep = (torch.rand(n, 1, generator=gen).to(device) < torch.sigmoid(flag)).float()
                prev = torch.cat([values, keep[..., None]], dim=2)  # (n, 1, 4)
                out[:, j] = prev[:, 0].cpu().numpy()
                alive &= out[:, j, 3] >= 0.5
                if not alive.any():
                    break
        lengths = length_from_flags(out[:, :, 3], m_max)
        series = [data.to_raw(out[i], lengths[i]) for i in range(n)]
        names = [data.category_names[c] for c in cats.tolist()]
        return synthetic_dataset(names, series, self.name, meta={"seed": int(seed)})
