"""DoppelGANger's training loop: WGAN-GP for the critic and the auxiliary critic, then the generator.

Per step (as the released DG code): draw one real batch and one noise batch; update the critic and
the auxiliary critic ``n_critic`` times on that same batch, each with a gradient penalty (weights
``gp_weight``/``aux_gp_weight``); then update the generator on
``-E[critic(fake)] - alpha * E[aux_critic(fake attributes)]``. Training stops at the deadline (the
wall-clock budget), after ``epochs`` passes or after ``max_steps`` steps, whichever comes first; at
least one step always runs.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import torch
from torch import nn

from ...errors import TrainingError
from ...progress import make_progress
from .config import DoppelGANgerConfig
from .networks import AuxCritic, Critic, DoppelGANgerNetwork, draw_noise


@dataclass
class TrainingData:
    """Real training tensors on the training device."""

    records: torch.Tensor  # (N, T, 5): per-series normalized (A, P, L) + generation flags
    attributes: torch.Tensor  # (N, C + 6): category one-hot + min/max attributes

    def __len__(self) -> int:
        return self.records.shape[0]


@dataclass
class TrainingLog:
    """What training did: steps taken, seconds spent, why it stopped, the last losses."""

    steps: int = 0
    seconds: float = 0.0
    stopped_by: str = ""  # "budget", "epochs" or "max_steps"
    losses: dict[str, float] = field(default_factory=dict)

    @property
    def steps_per_second(self) -> float:
        return self.steps / self.seconds if self.seconds > 0 else 0.0


def gradient_penalty(
    critic: Callable[..., torch.Tensor],
    real: Sequence[torch.Tensor],
    fake: Sequence[torch.Tensor],
    generator: torch.Generator,
) -> torch.Tensor:
    """WGAN-GP term E[(||grad critic(x_hat)|| - 1)^2] with one interpolation weight per object,
    shared by all of the critic's inputs (the norm is taken over all of them together, as DG)."""
    b = real[0].shape[0]
    alpha = torch.rand(b, generator=generator).to(real[0].device)
    mixed = []
    for r, f in zip(real, fake, strict=True):
        a = alpha.view(b, *([1] * (r.dim() - 1)))
        mixed.append((r + a * (f - r)).requires_grad_(True))
    score = critic(*mixed)
    grads = torch.autograd.grad(score.sum(), mixed, create_graph=True)
    squared = sum(g.pow(2).flatten(1).sum(dim=1) for g in grads)
    return ((torch.sqrt(squared + 1e-8) - 1.0) ** 2).mean()


def _set_trainable(module: nn.Module, flag: bool) -> None:
    for p in module.parameters():
        p.requires_grad_(flag)


def planned_steps(n_objects: int, config: DoppelGANgerConfig) -> int:
    """Generator steps for ``epochs`` passes over ``n_objects`` (capped by ``max_steps``)."""
    steps = max(1, math.ceil(config.epochs * n_objects / config.batch_size))
    return min(steps, config.max_steps) if config.max_steps is not None else steps


def train_doppelganger(
    net: DoppelGANgerNetwork,
    critic: Critic,
    aux_critic: AuxCritic | None,
    data: TrainingData,
    config: DoppelGANgerConfig,
    generator: torch.Generator,
    deadline: float | None = None,
) -> TrainingLog:
    """Train in place until ``deadline`` (a ``time.perf_counter()`` value), the epochs or max_steps.

    ``generator`` (CPU) draws batches, noise and penalty weights, so a seeded run repeats exactly on
    the same machine. Raises TrainingError when a loss becomes NaN or infinite.
    """
    device = data.records.device
    betas = (config.beta1, config.beta2)
    opt_g = torch.optim.Adam(net.parameters(), lr=config.lr, betas=betas, foreach=True)
    opt_d = torch.optim.Adam(critic.parameters(), lr=config.lr, betas=betas, foreach=True)
    opt_a = (
        torch.optim.Adam(aux_critic.parameters(), lr=config.lr, betas=betas, foreach=True)
        if aux_critic is not None
        else None
    )
    total = planned_steps(len(data), config)
    log = TrainingLog(
        stopped_by="max_steps" if config.max_steps is not None and total == config.max_steps else "epochs"
    )
    net.train()
    start = time.perf_counter()
    progress = make_progress(transient=True) if config.progress else None
    task = progress.add_task("doppelganger", total=total, info="") if progress is not None else None
    if progress is not None:
        progress.start()
    try:
        for step in range(total):
            if deadline is not None and step > 0 and time.perf_counter() >= deadline:
                log.stopped_by = "budget"
                break
            idx = torch.randint(len(data), (config.batch_size,), generator=generator).to(device)
            real_records, real_attributes = data.records[idx], data.attributes[idx]
            fake = net(draw_noise(config.batch_size, net.steps, config, generator, device))
            fake_records, fake_attributes = fake.records.detach(), fake.attributes.detach()

            _set_trainable(critic, True)
            for _ in range(config.n_critic):
                d_loss = (
                    critic(fake_records, fake_attributes).mean()
                    - critic(real_records, real_attributes).mean()
                    + config.gp_weight
                    * gradient_penalty(
                        critic, (real_records, real_attributes), (fake_records, fake_attributes), generator
                    )
                )
                opt_d.zero_grad(set_to_none=True)
                d_loss.backward()
                opt_d.step()
                if aux_critic is not None and opt_a is not None:
                    a_loss = (
                        aux_critic(fake_attributes).mean()
                        - aux_critic(real_attributes).mean()
                        + config.aux_gp_weight
                        * gradient_penalty(aux_critic, (real_attributes,), (fake_attributes,), generator)
                    )
                    opt_a.zero_grad(set_to_none=True)
                    a_loss.backward()
                    opt_a.step()

            # Generator step on the same fake batch (DG feeds the same noise to both updates).
            _set_trainable(critic, False)
            g_loss = -critic(fake.records, fake.attributes).mean()
            if aux_critic is not None:
                _set_trainable(aux_critic, False)
                g_loss = g_loss - config.aux_critic_weight * aux_critic(fake.attributes).mean()
            opt_g.zero_grad(set_to_none=True)
            g_loss.backward()
            opt_g.step()
            if aux_critic is not None:
                _set_trainable(aux_critic, True)

            log.steps = step + 1
            log.losses = {"critic": d_loss.item(), "generator": g_loss.item()}
            if aux_critic is not None:
                log.losses["aux_critic"] = a_loss.item()
            if not all(math.isfinite(v) for v in log.losses.values()):
                raise TrainingError(
                    f"doppelganger: a loss became non-finite at step {log.steps}: {log.losses}"
                )
            if progress is not None and task is not None:
                progress.update(task, completed=log.steps, info=f"critic {log.losses['critic']:.3f}")
    finally:
        if progress is not None:
            progress.stop()
        _set_trainable(critic, True)
        net.eval()
    log.seconds = time.perf_counter() - start
    return log
