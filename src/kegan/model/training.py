"""The training loop of Algorithm 1: n_D critic steps (WGAN-GP) per generator step.

The loop is resumable bit for bit: every random draw comes from the trainer's own generators (a CPU
torch.Generator for noise and interpolation weights, a numpy Generator for batches), whose states are
part of the checkpoint together with both Adam states.
"""

from __future__ import annotations

import math
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from rich.progress import Progress
from torch import Tensor

from ..errors import TrainingError
from ..progress import make_progress
from .config import KEGANConfig
from .losses import category_loss, critic_loss, generator_loss, gradient_penalty
from .modules import Critic, Generator, object_vector


@dataclass
class TrainingTensors:
    """The real training objects on the training device.

    k: (N, k_dim) knowledge (k_dim 0 without it); objects: (N, n_c + 1 + 3*M_max) = [one-hot C, M/M_max,
    scaled series zero-padded to M_max].
    """

    k: Tensor
    objects: Tensor

    def __len__(self) -> int:
        return self.objects.shape[0]


class BatchStream:
    """Batches of object indices from shuffled passes over N objects (the last of a pass may be smaller)."""

    def __init__(self, n: int, batch_size: int, seed: int):
        self.n, self.batch_size = n, min(batch_size, n)
        self.rng = np.random.default_rng(seed)
        self.perm = self.rng.permutation(n)
        self.pos = 0

    def next(self) -> np.ndarray:
        if self.pos >= self.n:
            self.perm, self.pos = self.rng.permutation(self.n), 0
        idx = self.perm[self.pos : self.pos + self.batch_size]
        self.pos += len(idx)
        return idx

    def draw(self) -> np.ndarray:
        """An independent batch of distinct objects (the generator step's K, Algorithm 1 line 14)."""
        return self.rng.choice(self.n, size=self.batch_size, replace=False)

    def state_dict(self) -> dict[str, Any]:
        return {"rng": self.rng.bit_generator.state, "perm": self.perm.tolist(), "pos": self.pos}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.rng.bit_generator.state = state["rng"]
        self.perm, self.pos = np.asarray(state["perm"], dtype=np.int64), int(state["pos"])


@contextmanager
def deferred_interrupts() -> Iterator[Callable[[], bool]]:
    """While training, Ctrl-C (SIGINT) or SIGTERM only asks to stop: the current iteration finishes, so
    the checkpoint written then is exact (a resume stays bit-identical) and no iteration is lost. A second
    signal acts at once. Yields a function telling whether a stop was asked. Outside the main thread
    (where signals cannot be caught) it changes nothing."""
    if threading.current_thread() is not threading.main_thread():
        yield lambda: False
        return
    asked: list[int] = []
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}

    def ask(signum: int, frame: object) -> None:
        asked.append(signum)
        signal.signal(signum, previous[signum])

    for sig in previous:
        signal.signal(sig, ask)
    try:
        yield lambda: bool(asked)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


class Trainer:
    """Owns the optimisers and random streams; ``run`` advances ``step`` (generator steps done)."""

    def __init__(self, generator: Generator, critic: Critic, data: TrainingTensors, config: KEGANConfig,
                 seed: int, device: torch.device):
        self.generator, self.critic, self.data, self.config = generator, critic, data, config
        self.device = device
        betas = tuple(config.betas)
        self.opt_g = torch.optim.Adam(generator.parameters(), lr=config.lr, betas=betas)
        self.opt_d = torch.optim.Adam(critic.parameters(), lr=config.lr, betas=betas)
        self.noise_rng = torch.Generator().manual_seed(seed)
        self.batches = BatchStream(len(data), config.batch_size, seed)
        self.step = 0
        self.elapsed_before = 0.0  # seconds spent in earlier (interrupted) runs
        self.history: list[dict[str, float]] = []

    # -- one iteration ---------------------------------------------------------------------------
    def _check(self, value: float, what: str) -> float:
        if not math.isfinite(value):
            raise TrainingError(
                f"training step {self.step + 1}: the {what} became {value} (not finite); lower lr "
                f"(now {self.config.lr}) or check the data and embeddings; the last checkpoint is intact"
            )
        return value

    def train_step(self) -> dict[str, float]:
        """One generator step with its n_D critic steps; returns this step's losses."""
        cfg, g, d, data = self.config, self.generator, self.critic, self.data
        use_k = cfg.critic_knowledge
        idxs = [torch.as_tensor(self.batches.next(), device=self.device) for _ in range(cfg.n_critic)]
        sizes = [len(i) for i in idxs]
        all_idx = torch.cat(idxs)
        # The generator does not change during the n_D critic steps, so their generated objects are
        # drawn in one batched forward pass: (n_D * q, object_dim).
        with torch.no_grad():
            noise = g.draw_noise(len(all_idx), self.noise_rng).to(self.device)
            fake = g(data.k[all_idx], noise)
            fake_all = object_vector(fake.c, fake.s, fake.series)
        eps_all = torch.rand(len(all_idx), 1, generator=self.noise_rng).to(self.device)
        for p in d.parameters():
            p.requires_grad_(True)
        d_losses, gps, w_est = [], [], []
        for t, (idx, fake_obj, eps) in enumerate(zip(idxs, fake_all.split(sizes), eps_all.split(sizes), strict=True)):
            real_obj = data.objects[idx]
            k = data.k[idx] if use_k else None
            real_scores, fake_scores = d(real_obj, k), d(fake_obj, k)
            gp = gradient_penalty(d, real_obj, fake_obj, eps, k)
            loss = critic_loss(real_scores, fake_scores, gp, cfg.lambda_gp)
            d_losses.append(self._check(loss.item(), f"critic loss (critic step {t + 1} of {cfg.n_critic})"))
            self.opt_d.zero_grad(set_to_none=True)
            loss.backward()
            self.opt_d.step()
            gps.append(gp.item())
            w_est.append((real_scores.mean() - fake_scores.mean()).item())
        # Generator step: the critic is fixed, so skip its weight gradients.
        for p in d.parameters():
            p.requires_grad_(False)
        g_idx = torch.as_tensor(self.batches.draw(), device=self.device)
        noise = g.draw_noise(len(g_idx), self.noise_rng).to(self.device)
        k = data.k[g_idx]
        fake = g(k, noise)
        g_loss = generator_loss(d(object_vector(fake.c, fake.s, fake.series), k if use_k else None))
        g_value = self._check(g_loss.item(), "generator loss")
        extra: dict[str, float] = {}
        w_cat = cfg.effective_category_loss_weight
        if w_cat > 0:
            # kegan's deviation from Algorithm 1 (0 turns it off): tie C^ to the conditioning object's category,
            # the one-hot block that opens each real object vector: (q, n_c).
            c_loss = category_loss(fake.c, data.objects[g_idx, : fake.c.shape[1]])
            extra["category_loss"] = self._check(c_loss.item(), "category loss")
            g_loss = g_loss + w_cat * c_loss
        self.opt_g.zero_grad(set_to_none=True)
        g_loss.backward()
        self.opt_g.step()
        self.step += 1
        return {"critic_loss": float(np.mean(d_losses)), "generator_loss": g_value,
                "wasserstein": float(np.mean(w_est)), "gradient_penalty": float(np.mean(gps)), **extra}

    # -- the loop ---------------------------------------------------------------------------------
    def run(self, total_steps: int, max_minutes: float | None = None, progress: bool = True,
            on_checkpoint: Callable[[Trainer], None] | None = None) -> bool:
        """Train until ``step == total_steps`` or ``max_minutes`` of wall clock; True when stopped by time.

        Calls ``on_checkpoint(self)`` every ``checkpoint_every`` steps and when stopping. Raises
        TrainingError naming the step when a loss is NaN or infinite, and KeyboardInterrupt after
        checkpointing the last whole iteration when SIGINT or SIGTERM arrives (``deferred_interrupts``).
        """
        cfg = self.config
        start = run_start = time.perf_counter()
        limit = None if max_minutes is None else max_minutes * 60.0
        stopped_by_time = False
        with make_progress() if progress else Progress(disable=True) as prog, deferred_interrupts() as asked:
            task = prog.add_task("train KE-GAN", total=total_steps, completed=self.step, info="")
            while self.step < total_steps:
                if limit is not None and time.perf_counter() - run_start >= limit:
                    stopped_by_time = True
                    break
                if asked():
                    self.elapsed_before += time.perf_counter() - start
                    if on_checkpoint is not None:
                        on_checkpoint(self)
                    raise KeyboardInterrupt(f"stopped after iteration {self.step}")
                losses = self.train_step()
                if self.step % cfg.log_every == 0 or self.step == total_steps:
                    entry = {"step": self.step, **losses,
                             "elapsed_s": round(self.elapsed_before + time.perf_counter() - start, 3)}
                    self.history.append(entry)
                    prog.update(task, info=f"D {losses['critic_loss']:+.3f}  G {losses['generator_loss']:+.3f}  "
                                           f"W {losses['wasserstein']:.3f}")
                prog.update(task, completed=self.step)
                if on_checkpoint is not None and self.step % cfg.checkpoint_every == 0:
                    self.elapsed_before += time.perf_counter() - start
                    start = time.perf_counter()
                    on_checkpoint(self)
        self.elapsed_before += time.perf_counter() - start
        if on_checkpoint is not None and self.step % cfg.checkpoint_every != 0:
            on_checkpoint(self)
        return stopped_by_time

    # -- state for checkpoints --------------------------------------------------------------------
    def state(self) -> tuple[dict[str, Any], dict[str, Any]]:
        """(tensors for ``torch.save``, JSON-able dict): everything needed to continue bit for bit."""
        tensors = {"opt_g": self.opt_g.state_dict(), "opt_d": self.opt_d.state_dict(),
                   "noise_rng": self.noise_rng.get_state()}
        info = {"step": self.step, "elapsed_s": self.elapsed_before, "batches": self.batches.state_dict(),
                "history": self.history}
        return tensors, info

    def load_state(self, tensors: dict[str, Any], info: dict[str, Any]) -> None:
        self.opt_g.load_state_dict(tensors["opt_g"])
        self.opt_d.load_state_dict(tensors["opt_d"])
        self.noise_rng.set_state(tensors["noise_rng"])
        self.batches.load_state_dict(info["batches"])
        self.step, self.elapsed_before = int(info["step"]), float(info["elapsed_s"])
        self.history = list(info["history"])
