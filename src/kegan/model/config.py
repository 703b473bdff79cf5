"""Every setting of the KE-GAN model, with the defaults of the paper's Algorithm 1.

The config is plain data: it is stored as JSON inside every model directory and checkpoint, and the
model is rebuilt from it plus the tensor weights. Where the paper is silent (layer sizes, noise
sizes, the training budget) the choice and its reason are in ``docs/model.md``.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields
from typing import Any

from ..errors import ParameterError

#: Default number of generator steps. Measured on the IoT Sentinel data on 2 shared cores so that
#: training stays under ~8 minutes and samples every category (docs/model.md, "Training budget").
DEFAULT_ITERATIONS = 6000

#: Weight of the category term when the config leaves it open and knowledge is used (docs/model.md).
DEFAULT_CATEGORY_LOSS_WEIGHT = 1.0


@dataclass
class KEGANConfig:
    """Settings of the knowledge-enhanced GAN (paper sections 3.2-3.4 and Algorithm 1).

    Ablations: ``use_knowledge=False`` is the paper's Non-KGE (no K anywhere), ``attention=False`` its
    Non-attention (h_k mapped to the B records by one linear layer). ``critic_knowledge=True`` also
    feeds K to the critic, as the authors' released code does (K shared by real, generated and
    interpolated objects; the gradient penalty is taken with respect to the object only).
    """

    # -- architecture --------------------------------------------------------------------------
    use_knowledge: bool = True
    attention: bool = True
    critic_knowledge: bool = False
    B: int = 10  # records produced per LSTM step
    M_max: int | None = None  # None: the longest training series
    noise_category: int = 16  # size of z_C
    noise_length: int = 16  # size of z_M
    noise_series: int = 16  # size of each z_k
    mlp_hidden: int = 128  # width of G^C and G^M (two hidden layers each)
    lstm_hidden: int = 128  # LSTM cell state size of G^T
    token_dim: int = 32  # size of each of the B tokens h_k is projected to (Eq. 3)
    attention_dim: int = 32  # size d of keys, queries and values (Eq. 3)
    critic_hidden: int = 256  # width of the critic MLP (two hidden layers)
    # kegan's one deviation from Algorithm 1: weight of an auxiliary binary cross-entropy between
    # G^C's sigmoid output and the one-hot category of the object whose K conditioned it, added to the
    # generator loss, so that C^ follows P(C | K) as the paper's Eq. 2 states. None: 1.0 with knowledge,
    # 0 without (no K, nothing to tie C^ to). 0.0 is Algorithm 1 exactly. Why: docs/model.md
    # ("Rare categories"): without it the rarest category vanished on the demo split at any budget.
    category_loss_weight: float | None = None
    # -- Algorithm 1 ---------------------------------------------------------------------------
    lambda_gp: float = 10.0
    n_critic: int = 5
    batch_size: int = 64
    lr: float = 1e-4
    betas: tuple[float, float] = (0.5, 0.9)
    # -- budget and bookkeeping ----------------------------------------------------------------
    iterations: int = DEFAULT_ITERATIONS  # generator steps; an epoch is set with ``epochs`` instead
    epochs: float | None = None  # when set, overrides ``iterations`` (see iterations_for)
    log_every: int = 10  # history_ entry every this many iterations
    checkpoint_every: int = 200  # iterations between checkpoints (when a checkpoint dir is given)
    seed: int | None = 0  # None: drawn and recorded in the model
    device: str = "auto"  # auto | cpu | cuda
    num_threads: int | None = None  # torch CPU threads; None: 1 (measured fastest, docs/model.md)

    def validate(self) -> KEGANConfig:
        """Raise ParameterError naming the first invalid setting; returns self."""
        positive_ints = ["B", "noise_category", "noise_length", "noise_series", "mlp_hidden", "lstm_hidden",
                         "token_dim", "attention_dim", "critic_hidden", "n_critic", "batch_size", "log_every",
                         "checkpoint_every"]
        for name in positive_ints:
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ParameterError(f"KEGANConfig.{name}={value!r}: expected an integer >= 1")
        if self.M_max is not None and (not isinstance(self.M_max, int) or self.M_max < 1):
            raise ParameterError(f"KEGANConfig.M_max={self.M_max!r}: expected None or an integer >= 1")
        if not isinstance(self.iterations, int) or self.iterations < 0:
            raise ParameterError(f"KEGANConfig.iterations={self.iterations!r}: expected an integer >= 0")
        if self.epochs is not None and not (isinstance(self.epochs, (int, float)) and self.epochs > 0):
            raise ParameterError(f"KEGANConfig.epochs={self.epochs!r}: expected None or a number > 0")
        if not (self.lr > 0 and math.isfinite(self.lr)):
            raise ParameterError(f"KEGANConfig.lr={self.lr!r}: expected a finite number > 0")
        if self.lambda_gp < 0 or not math.isfinite(self.lambda_gp):
            raise ParameterError(f"KEGANConfig.lambda_gp={self.lambda_gp!r}: expected a finite number >= 0")
        w = self.category_loss_weight
        if w is not None and not (isinstance(w, (int, float)) and w >= 0 and math.isfinite(w)):
            raise ParameterError(f"KEGANConfig.category_loss_weight={self.category_loss_weight!r}: expected a "
                                 "finite number >= 0 (0 follows the paper)")
        if w is not None and w > 0 and not self.use_knowledge:
            raise ParameterError("KEGANConfig.category_loss_weight > 0 needs use_knowledge=True (without K the "
                                 "conditioning object carries no category to tie G^C to)")
        if len(tuple(self.betas)) != 2 or not all(0 <= b < 1 for b in self.betas):
            raise ParameterError(f"KEGANConfig.betas={self.betas!r}: expected two numbers in [0, 1)")
        if self.num_threads is not None and self.num_threads < 1:
            raise ParameterError(f"KEGANConfig.num_threads={self.num_threads!r}: expected None or >= 1")
        if self.critic_knowledge and not self.use_knowledge:
            raise ParameterError("KEGANConfig.critic_knowledge=True needs use_knowledge=True (no K to feed)")
        if str(self.device).lower() not in ("auto", "cpu") and not str(self.device).lower().startswith("cuda"):
            raise ParameterError(f"KEGANConfig.device={self.device!r}: expected auto, cpu or cuda")
        return self

    @property
    def effective_category_loss_weight(self) -> float:
        """The weight actually used: ``category_loss_weight``, or its default when None."""
        if self.category_loss_weight is not None:
            return float(self.category_loss_weight)
        return DEFAULT_CATEGORY_LOSS_WEIGHT if self.use_knowledge else 0.0

    def iterations_for(self, n_objects: int) -> int:
        """Generator steps to run on ``n_objects`` training objects.

        Each critic step takes the next batch of a shuffled pass over the objects, so one epoch is
        ceil(N / batch_size) critic steps = ceil(N / batch_size) / n_critic iterations.
        """
        if self.epochs is None:
            return self.iterations
        batches = math.ceil(n_objects / min(self.batch_size, max(n_objects, 1)))
        return max(1, math.ceil(self.epochs * batches / self.n_critic))

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["betas"] = list(self.betas)
        return d

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> KEGANConfig:
        """Rebuild from ``to_dict`` output; unknown keys are a ParameterError (a newer kegan wrote it)."""
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ParameterError(f"model config has unknown settings {sorted(unknown)}; written by a newer kegan?")
        data = dict(data)
        if "betas" in data:
            data["betas"] = tuple(float(b) for b in data["betas"])
        return cls(**data)
