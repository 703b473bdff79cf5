"""DoppelGANger's networks in PyTorch: tensors in, tensors out, no file I/O.

Generator (DG section 4): an attribute generator (MLP, category one-hot), a min/max generator (MLP
conditioned on the category, emitting the 6 auto-normalization attributes) and a feature generator
(LSTM emitting S records per step, each with a 2-value generation flag). Critic: MLP on
[attributes, min/max, flattened records]; auxiliary critic: MLP on [attributes, min/max].
Shapes use B = batch, C = categories, K = LSTM steps, S = records per step, T = K * S.
"""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch import nn

from .config import DoppelGANgerConfig
from .transforms import N_FEATURES, N_FLAGS, N_MINMAX

RECORD_DIM = N_FEATURES + N_FLAGS  # (A, P, L, continue, end)


class Noise(NamedTuple):
    """Every random input of one generator pass (DG feeds noise only, no feedback of outputs)."""

    attribute: torch.Tensor  # (B, attribute_noise_dim)
    minmax: torch.Tensor  # (B, attribute_noise_dim)
    feature: torch.Tensor  # (B, K, feature_noise_dim)
    h0: torch.Tensor  # (feature_layers, B, feature_units): DG's "random" initial LSTM state
    c0: torch.Tensor  # (feature_layers, B, feature_units)


class GeneratorOutput(NamedTuple):
    category_probs: torch.Tensor  # (B, C) softmax, what the critics see
    category_onehot: torch.Tensor  # (B, C) argmax one-hot, no gradient, what the later generators see
    minmax: torch.Tensor  # (B, 6) in [0, 1]
    records: torch.Tensor  # (B, T, 5): features in [0, 1] + flag softmax, zero in blocks after the end
    alive: torch.Tensor  # (B, T) 1 for records up to and including the last one
    lengths: torch.Tensor  # (B,) number of records, in [1, T]

    @property
    def attributes(self) -> torch.Tensor:
        """(B, C + 6): the attributes the critics judge."""
        return torch.cat([self.category_probs, self.minmax], dim=1)


def draw_noise(
    batch: int,
    steps: int,
    config: DoppelGANgerConfig,
    generator: torch.Generator | None,
    device: torch.device,
) -> Noise:
    """Standard normal noise drawn on the CPU from ``generator`` (same numbers on every device)."""

    def normal(*shape: int) -> torch.Tensor:
        return torch.randn(*shape, generator=generator).to(device)

    return Noise(
        attribute=normal(batch, config.attribute_noise_dim),
        minmax=normal(batch, config.attribute_noise_dim),
        feature=normal(batch, steps, config.feature_noise_dim),
        h0=normal(config.feature_layers, batch, config.feature_units),
        c0=normal(config.feature_layers, batch, config.feature_units),
    )


def emission_masks(flags: torch.Tensor, sample_len: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Which records a generated series keeps, from its flags (B, T, 2) -> (alive, block_mask), both (B, T).

    A record is emitted while no earlier record said "end" (argmax 1, ties count as "continue" as
    TF's argmax); the "end" record itself is the last one, so ``alive.sum(1)`` is the length, >= 1.
    ``block_mask`` keeps every block of ``sample_len`` records holding an emitted record: DG zeroes
    whole blocks after the end, not the records after the end inside the last block. No gradient.
    """
    b, t, _ = flags.shape
    goes_on = (flags[..., 0] >= flags[..., 1]).to(flags.dtype).detach()  # (B, T)
    alive = torch.cat([torch.ones_like(goes_on[:, :1]), torch.cumprod(goes_on, dim=1)[:, :-1]], dim=1)
    block_alive = alive.reshape(b, t // sample_len, sample_len).amax(dim=2)  # (B, K)
    return alive, block_alive.repeat_interleave(sample_len, dim=1)


def mlp(in_dim: int, units: int, layers: int, out_dim: int, batch_norm: bool) -> nn.Sequential:
    """``layers`` linear layers: (layers - 1) hidden ReLU layers (+ BatchNorm after the ReLU, as DG's
    attribute generators), then a linear output. Weights Glorot-uniform, biases zero (TF's dense)."""
    mods: list[nn.Module] = []
    dim = in_dim
    for _ in range(layers - 1):
        mods += [nn.Linear(dim, units), nn.ReLU()]
        if batch_norm:
            mods.append(nn.BatchNorm1d(units, eps=1e-5, momentum=0.1))  # TF decay 0.9
        dim = units
    mods.append(nn.Linear(dim, out_dim))
    net = nn.Sequential(*mods)
    for m in net:
        if isinstance(m, nn.Linear):
            nn.init.xavier_uniform_(m.weight)
            nn.init.zeros_(m.bias)
    return net


class AttributeGenerator(nn.Module):
    """Noise -> category distribution (the only real attribute here)."""

    def __init__(self, n_categories: int, config: DoppelGANgerConfig):
        super().__init__()
        self.net = mlp(
            config.attribute_noise_dim, config.attribute_units, config.attribute_layers, n_categories, True
        )

    def forward(self, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        probs = torch.softmax(self.net(z), dim=1)  # (B, C)
        onehot = nn.functional.one_hot(probs.argmax(dim=1), probs.shape[1]).to(probs.dtype)
        return probs, onehot.detach()


class MinMaxGenerator(nn.Module):
    """[noise, category one-hot] -> the 6 auto-normalization attributes in [0, 1]."""

    def __init__(self, n_categories: int, config: DoppelGANgerConfig):
        super().__init__()
        in_dim = config.attribute_noise_dim + n_categories
        self.net = mlp(in_dim, config.attribute_units, config.attribute_layers, N_MINMAX, True)

    def forward(self, z: torch.Tensor, category_onehot: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.net(torch.cat([z, category_onehot], dim=1)))  # (B, 6)


class FeatureGenerator(nn.Module):
    """LSTM over K steps; each step emits S records of (A, P, L) in [0, 1] plus a [continue, end] flag.

    The input of every step is the (gradient-stopped) attributes and that step's noise; since nothing
    is fed back, all K steps run in one ``nn.LSTM`` call.
    """

    def __init__(self, n_categories: int, sample_len: int, config: DoppelGANgerConfig):
        super().__init__()
        self.sample_len = sample_len
        in_dim = n_categories + N_MINMAX + config.feature_noise_dim
        self.lstm = nn.LSTM(in_dim, config.feature_units, config.feature_layers, batch_first=True)
        self.head = nn.Linear(config.feature_units, sample_len * RECORD_DIM)
        for name, p in self.lstm.named_parameters():
            if name.startswith("weight"):
                for gate in p.data.chunk(4, dim=0):  # i, f, g, o: Glorot per gate, like TF's LSTMCell
                    nn.init.xavier_uniform_(gate)
            else:
                nn.init.zeros_(p)
                if name.startswith("bias_ih"):
                    p.data[config.feature_units : 2 * config.feature_units] = 1.0  # TF forget_bias=1
        nn.init.xavier_uniform_(self.head.weight)
        nn.init.zeros_(self.head.bias)

    def forward(
        self, condition: torch.Tensor, z: torch.Tensor, h0: torch.Tensor, c0: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """condition (B, C+6), z (B, K, zf) -> records (B, T, 5), alive (B, T), lengths (B,)."""
        b, k, _ = z.shape
        x = torch.cat([condition.unsqueeze(1).expand(b, k, condition.shape[1]), z], dim=2)  # (B, K, C+6+zf)
        out, _ = self.lstm(x, (h0, c0))  # (B, K, H)
        raw = self.head(out).reshape(b, k * self.sample_len, RECORD_DIM)  # (B, T, 5)
        features = torch.sigmoid(raw[..., :N_FEATURES])
        flags = torch.softmax(raw[..., N_FEATURES:], dim=2)  # (B, T, 2)
        alive, block_mask = emission_masks(flags, self.sample_len)
        records = torch.cat([features, flags], dim=2) * block_mask.unsqueeze(2)
        return records, alive, alive.sum(dim=1)


class DoppelGANgerNetwork(nn.Module):
    """The three generators chained: category -> min/max -> series."""

    def __init__(self, n_categories: int, sample_len: int, steps: int, config: DoppelGANgerConfig):
        super().__init__()
        self.n_categories = n_categories
        self.sample_len = sample_len
        self.steps = steps
        self.category_generator = AttributeGenerator(n_categories, config)
        self.minmax_generator = MinMaxGenerator(n_categories, config)
        self.series_generator = FeatureGenerator(n_categories, sample_len, config)

    def forward(self, noise: Noise) -> GeneratorOutput:
        probs, onehot = self.category_generator(noise.attribute)
        minmax = self.minmax_generator(noise.minmax, onehot)
        # DG stops gradients from the feature generator into the attribute generators.
        condition = torch.cat([onehot, minmax.detach()], dim=1)
        records, alive, lengths = self.series_generator(condition, noise.feature, noise.h0, noise.c0)
        return GeneratorOutput(probs, onehot, minmax, records, alive, lengths)


class Critic(nn.Module):
    """MLP on [flattened records (T*5), attributes (C+6)] -> one score per object."""

    def __init__(self, total_len: int, n_categories: int, config: DoppelGANgerConfig):
        super().__init__()
        in_dim = total_len * RECORD_DIM + n_categories + N_MINMAX
        self.net = mlp(in_dim, config.critic_units, config.critic_layers, 1, False)

    def forward(self, records: torch.Tensor, attributes: torch.Tensor) -> torch.Tensor:
        return self.net(torch.cat([records.flatten(1), attributes], dim=1)).squeeze(1)  # (B,)


class AuxCritic(nn.Module):
    """MLP on attributes (C+6) only: DG's auxiliary discriminator for the attribute-feature balance."""

    def __init__(self, n_categories: int, config: DoppelGANgerConfig):
        super().__init__()
        self.net = mlp(n_categories + N_MINMAX, config.aux_critic_units, config.aux_critic_layers, 1, False)

    def forward(self, attributes: torch.Tensor) -> torch.Tensor:
        return self.net(attributes).squeeze(1)  # (B,)
