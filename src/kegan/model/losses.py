"""WGAN-GP losses of Eq. 4 and Algorithm 1 (lines 9, 10 and 19)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn


def gradient_penalty(critic: nn.Module, real: Tensor, fake: Tensor, eps: Tensor, k: Tensor | None = None) -> Tensor:
    """Mean of (||grad_O~ D(O~)||_2 - 1)^2 over O~ = eps * real + (1 - eps) * fake (Algorithm 1, line 9).

    real, fake: objects (b, d); eps: (b, 1) uniform in [0, 1]; k: (b, k_dim) knowledge shared by both
    sides when the critic takes K: it is not interpolated and the gradient is taken w.r.t. O~ only.
    Returns a scalar that keeps the graph (create_graph) so that it can be minimised. Any critic taking
    (b, d) objects works (the naive-GAN baseline uses it too).
    """
    mixed = (eps * real + (1 - eps) * fake).detach().requires_grad_(True)
    scores = critic(mixed) if k is None else critic(mixed, k)
    (grad,) = torch.autograd.grad(scores.sum(), mixed, create_graph=True)
    return ((grad.norm(2, dim=1) - 1) ** 2).mean()


def critic_loss(real_scores: Tensor, fake_scores: Tensor, penalty: Tensor, lambda_gp: float) -> Tensor:
    """E[D(fake)] - E[D(real)] + lambda * GP: what the critic minimises (maximising Eq. 4's distance)."""
    return fake_scores.mean() - real_scores.mean() + lambda_gp * penalty


def generator_loss(fake_scores: Tensor) -> Tensor:
    """-E[D(fake)] (Algorithm 1, line 19)."""
    return -fake_scores.mean()


def category_loss(c: Tensor, onehot: Tensor) -> Tensor:
    """Mean binary cross-entropy between G^C's sigmoid output c (b, n_c) and the one-hot category (b, n_c)
    of each conditioning object. Not in Algorithm 1: the ``category_loss_weight`` term."""
    return F.binary_cross_entropy(c, onehot)
