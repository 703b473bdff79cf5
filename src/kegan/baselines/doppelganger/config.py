"""Settings of the DoppelGANger baseline (Lin et al., IMC 2020), with the paper's defaults.

Defaults follow the released DoppelGANger configuration (``example_training/config.py`` of the
authors' repository): attribute generators of 3 layers x 100 units, a 1-layer LSTM of 100 units,
critic and auxiliary critic of 5 layers x 200 units, noise of 5 dimensions, batch 100, Adam with
learning rate 1e-3 and beta1 0.5, one critic step per generator step, gradient-penalty weight 10 and
auxiliary-critic weight 1. ``docs/doppelganger.md`` explains each choice and where kegan departs.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields
from typing import Any

from ...errors import ParameterError


@dataclass(frozen=True)
class DoppelGANgerConfig:
    """Every setting of the model and its training; built from ``Generator`` settings."""

    # -- data layout ----------------------------------------------------------------------------
    #: S, records emitted per LSTM step ("batch generation"); None: ceil(max_length / target_steps).
    sample_len: int | None = None
    #: Number of LSTM steps aimed at when sample_len is None (the paper keeps T/S near 50).
    target_steps: int = 50
    #: Longest series the model can emit (M_max); None: the longest real series. Longer series are cut.
    max_length: int | None = None
    #: Apply log1p to A, P, L before normalization (their distributions span orders of magnitude).
    log_transform: bool = True
    # -- networks -------------------------------------------------------------------------------
    attribute_noise_dim: int = 5
    feature_noise_dim: int = 5
    attribute_layers: int = 3
    attribute_units: int = 100
    feature_layers: int = 1
    feature_units: int = 100
    critic_layers: int = 5
    critic_units: int = 200
    aux_critic_layers: int = 5
    aux_critic_units: int = 200
    # -- training -------------------------------------------------------------------------------
    use_aux_critic: bool = True
    aux_critic_weight: float = 1.0  # alpha in the generator loss
    gp_weight: float = 10.0  # lambda of WGAN-GP, for the critic
    aux_gp_weight: float = 10.0  # lambda for the auxiliary critic
    n_critic: int = 1  # critic steps per generator step
    batch_size: int = 100
    lr: float = 1e-3  # generator, critic and auxiliary critic
    beta1: float = 0.5
    beta2: float = 0.999
    #: Passes over the data when no wall-clock budget stops training first (paper: 400).
    epochs: float = 400.0
    #: Hard cap on generator steps (tests, quick runs); None: no cap beyond epochs and the budget.
    max_steps: int | None = None
    #: Show a progress bar on stderr while training.
    progress: bool = False
    #: torch intra-op threads while fitting/sampling on the CPU (restored afterwards); None: torch's
    #: default. 1 by default: these small networks gain little from threads, and on a shared 2-core
    #: machine two spinning threads per process made training ~60x slower (docs/doppelganger.md).
    cpu_threads: int | None = 1

    @classmethod
    def from_settings(cls, settings: dict[str, Any]) -> DoppelGANgerConfig:
        """Build from ``Generator(**settings)``; raises ParameterError naming an unknown or bad setting."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(settings) - known)
        if unknown:
            raise ParameterError(
                f"doppelganger: unknown setting(s) {', '.join(unknown)}; "
                f"expected some of {', '.join(sorted(known))}"
            )
        cfg = cls(**settings)
        cfg.validate()
        return cfg

    def validate(self) -> None:
        """Raise ParameterError for a setting outside its range."""
        positive_ints = (
            "target_steps",
            "attribute_noise_dim",
            "feature_noise_dim",
            "attribute_layers",
            "attribute_units",
            "feature_layers",
            "feature_units",
            "critic_layers",
            "critic_units",
            "aux_critic_layers",
            "aux_critic_units",
            "n_critic",
            "batch_size",
        )
        for name in positive_ints:
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ParameterError(f"doppelganger setting {name}={value!r}: expected an integer >= 1")
        for name in ("sample_len", "max_length", "max_steps", "cpu_threads"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 1):
                raise ParameterError(
                    f"doppelganger setting {name}={value!r}: expected None or an integer >= 1"
                )
        for name in ("aux_critic_weight", "gp_weight", "aux_gp_weight"):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
                raise ParameterError(f"doppelganger setting {name}={value!r}: expected a number >= 0")
        if not (isinstance(self.lr, (int, float)) and self.lr > 0 and math.isfinite(self.lr)):
            raise ParameterError(f"doppelganger setting lr={self.lr!r}: expected a number > 0")
        for name in ("beta1", "beta2"):
            value = getattr(self, name)
            if not (isinstance(value, (int, float)) and 0 <= value < 1):
                raise ParameterError(f"doppelganger setting {name}={value!r}: expected a number in [0, 1)")
        if not (isinstance(self.epochs, (int, float)) and self.epochs > 0 and math.isfinite(self.epochs)):
            raise ParameterError(f"doppelganger setting epochs={self.epochs!r}: expected a number > 0")

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able settings, for dataset metadata and bench.json."""
        return asdict(self)


def choose_sample_len(max_length: int, config: DoppelGANgerConfig) -> int:
    """S: the configured value, else the smallest S giving at most ``target_steps`` LSTM steps."""
    if config.sample_len is not None:
        return config.sample_len
    return max(1, math.ceil(max_length / config.target_steps))
