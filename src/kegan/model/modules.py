"""The networks of KE-GAN (paper section 3.2-3.3, Figure 3): pure tensors, no I/O.

Generator = category_generator G^C, length_generator G^M and series_generator G^T chained by the
condition mechanism of Eq. 2; critic D is an MLP on the object O = [C, M/M_max, masked series].
Shapes use b = batch, k = embedding size (0 without knowledge), n_c = categories, Q = LSTM steps,
B = records per step, M_max = longest series.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import Tensor, nn

from .config import KEGANConfig


def mlp(in_dim: int, hidden: int, out_dim: int, layers: int = 2, slope: float = 0.0) -> nn.Sequential:
    """``layers`` hidden Linear+ReLU (LeakyReLU when slope > 0) blocks, then a Linear to ``out_dim``."""
    mods: list[nn.Module] = []
    d = in_dim
    for _ in range(layers):
        mods += [nn.Linear(d, hidden), nn.LeakyReLU(slope) if slope > 0 else nn.ReLU()]
        d = hidden
    mods.append(nn.Linear(d, out_dim))
    return nn.Sequential(*mods)


class CategoryGenerator(nn.Module):
    """G^C: [K, z_C] -> one sigmoid value per category, (b, n_c); the largest is the category."""

    def __init__(self, k_dim: int, noise_dim: int, n_categories: int, hidden: int):
        super().__init__()
        self.net = mlp(k_dim + noise_dim, hidden, n_categories)

    def forward(self, k: Tensor, z: Tensor) -> Tensor:
        return torch.sigmoid(self.net(torch.cat([k, z], dim=1)))


class LengthGenerator(nn.Module):
    """G^M: [K, C^, z_M] -> s in (0, 1), (b, 1); the length is clamp(ceil(s * M_max), 1, M_max)."""

    def __init__(self, k_dim: int, noise_dim: int, n_categories: int, hidden: int):
        super().__init__()
        self.net = mlp(k_dim + n_categories + noise_dim, hidden, 1)

    def forward(self, k: Tensor, c: Tensor, z: Tensor) -> Tensor:
        return torch.sigmoid(self.net(torch.cat([k, c, z], dim=1)))


class SelfAttentionHead(nn.Module):
    """Eq. 3: h_k -> B tokens; R_K, R_Q, R_V = ReLU(tokens W); softmax(R_Q R_K^T / sqrt(d)) R_V W_S -> (B, 3)."""

    def __init__(self, hidden: int, B: int, token_dim: int, attention_dim: int):
        super().__init__()
        self.B, self.token_dim, self.d = B, token_dim, attention_dim
        self.to_tokens = nn.Linear(hidden, B * token_dim)
        self.W_K = nn.Linear(token_dim, attention_dim, bias=False)
        self.W_Q = nn.Linear(token_dim, attention_dim, bias=False)
        self.W_V = nn.Linear(token_dim, attention_dim, bias=False)
        self.W_S = nn.Linear(attention_dim, 3)

    def forward(self, h: Tensor) -> Tensor:
        # h: (n, H) hidden states of n (object, step) pairs -> (n, B, 3); every step's B records
        # attend only among themselves, so all steps of all objects go through at once.
        tokens = self.to_tokens(h).view(h.shape[0], self.B, self.token_dim)
        r_k, r_q, r_v = torch.relu(self.W_K(tokens)), torch.relu(self.W_Q(tokens)), torch.relu(self.W_V(tokens))
        weights = torch.softmax(r_q @ r_k.transpose(1, 2) / math.sqrt(self.d), dim=-1)  # (n, B, B)
        return self.W_S(weights @ r_v)


class LinearHead(nn.Module):
    """Non-attention ablation: h_k -> B records by one linear layer."""

    def __init__(self, hidden: int, B: int):
        super().__init__()
        self.B = B
        self.out = nn.Linear(hidden, B * 3)

    def forward(self, h: Tensor) -> Tensor:
        return self.out(h).view(h.shape[0], self.B, 3)  # (n, H) -> (n, B, 3)


class SeriesGenerator(nn.Module):
    """G^T: one LSTM cell run for Q = ceil(M^/B) steps on [K, C^, M^/M_max, z_k]; each h_k becomes B records.

    A single-layer ``nn.LSTM`` is exactly one LSTM cell unrolled over the steps (its fused C++ loop
    runs the batch's longest Q for every object; the LSTM is causal, so extra steps never change an
    object's own ones). The records head only sees each object's own Q_i steps: on real data most
    series are far shorter than the batch's longest, so this skips most of the head's work. (Packing
    the LSTM input by length measured slower on CPU: it loses the fused loop.)
    """

    def __init__(self, k_dim: int, noise_dim: int, n_categories: int, config: KEGANConfig):
        super().__init__()
        self.B = config.B
        self.lstm = nn.LSTM(k_dim + n_categories + 1 + noise_dim, config.lstm_hidden, batch_first=True)
        if config.attention:
            self.head: nn.Module = SelfAttentionHead(config.lstm_hidden, config.B, config.token_dim,
                                                     config.attention_dim)
        else:
            self.head = LinearHead(config.lstm_hidden, config.B)

    def forward(self, k: Tensor, c: Tensor, m_frac: Tensor, z: Tensor, steps: Tensor) -> Tensor:
        """k (b, k), c (b, n_c), m_frac (b, 1), z (b, Q, z), steps (b,) each object's Q_i <= Q
        -> scaled records (b, Q*B, 3): in (0, 1) for the first Q_i*B records, 0 after."""
        b, q = z.shape[0], z.shape[1]
        cond = torch.cat([k, c, m_frac], dim=1).unsqueeze(1).expand(-1, q, -1)  # (b, Q, k+n_c+1)
        h, _ = self.lstm(torch.cat([cond, z], dim=2))  # (b, Q, H)
        valid = torch.arange(q, device=z.device).unsqueeze(0) < steps.unsqueeze(1)  # (b, Q)
        records = h.new_zeros(b, q, self.B, 3)
        records[valid] = torch.sigmoid(self.head(h[valid]))  # (n_valid, B, 3)
        return records.flatten(1, 2)


@dataclass
class Noise:
    """Gaussian noise of one batch: z_C (b, zc), z_M (b, zm), z_T (b, Q_max, zt)."""

    category: Tensor
    length: Tensor
    series: Tensor

    def to(self, device: torch.device) -> Noise:
        return Noise(self.category.to(device), self.length.to(device), self.series.to(device))

    def __getitem__(self, idx) -> Noise:
        return Noise(self.category[idx], self.length[idx], self.series[idx])


@dataclass
class Generated:
    """Generator output: continuous category c (b, n_c), length fraction s (b, 1), integer lengths
    (b,), masked scaled series (b, M_max, 3)."""

    c: Tensor
    s: Tensor
    lengths: Tensor
    series: Tensor


class Generator(nn.Module):
    """The three sub-generators chained as in Eq. 2: C^ | K, M^ | C^, K, T^ | M^, C^, K."""

    def __init__(self, k_dim: int, n_categories: int, M_max: int, config: KEGANConfig):
        super().__init__()
        self.k_dim, self.n_categories, self.M_max, self.B = k_dim, n_categories, M_max, config.B
        self.q_max = math.ceil(M_max / config.B)
        self.noise_dims = (config.noise_category, config.noise_length, config.noise_series)
        self.category_generator = CategoryGenerator(k_dim, config.noise_category, n_categories, config.mlp_hidden)
        self.length_generator = LengthGenerator(k_dim, config.noise_length, n_categories, config.mlp_hidden)
        self.series_generator = SeriesGenerator(k_dim, config.noise_series, n_categories, config)

    def draw_noise(self, b: int, rng: torch.Generator) -> Noise:
        """Standard normal noise for ``b`` objects from ``rng`` (a CPU generator: same draws on any device)."""
        zc, zm, zt = self.noise_dims
        return Noise(torch.randn(b, zc, generator=rng), torch.randn(b, zm, generator=rng),
                     torch.randn(b, self.q_max, zt, generator=rng))

    def forward(self, k: Tensor, noise: Noise) -> Generated:
        c = self.category_generator(k, noise.category)
        s = self.length_generator(k, c, noise.length)
        lengths = torch.clamp(torch.ceil(s.detach().squeeze(1) * self.M_max), 1, self.M_max).long()  # (b,)
        m_frac = lengths.unsqueeze(1).to(s.dtype) / self.M_max
        # Only the batch's longest series needs steps; shorter ones are masked below.
        steps = (lengths + self.B - 1) // self.B  # (b,) Q_i = ceil(M^_i / B)
        q = int(steps.max())
        records = self.series_generator(k, c, m_frac, noise.series[:, :q], steps)  # (b, q*B, 3)
        series = records.new_zeros(records.shape[0], self.M_max, 3)
        n = min(q * self.B, self.M_max)
        mask = (torch.arange(n, device=records.device).unsqueeze(0) < lengths.unsqueeze(1)).unsqueeze(2)
        series = torch.cat([records[:, :n] * mask, series[:, n:]], dim=1)  # (b, M_max, 3), zero past M^
        return Generated(c=c, s=s, lengths=lengths, series=series)


def object_vector(c: Tensor, s: Tensor, series: Tensor) -> Tensor:
    """The object O the critic sees: [C (b, n_c), M/M_max (b, 1), series flattened (b, 3*M_max)]."""
    return torch.cat([c, s, series.flatten(1)], dim=1)


class Critic(nn.Module):
    """D: MLP on O (and K when ``critic_knowledge``) -> one unbounded score per object (Wasserstein)."""

    def __init__(self, object_dim: int, k_dim: int, hidden: int):
        super().__init__()
        self.k_dim = k_dim
        self.net = mlp(object_dim + k_dim, hidden, 1, slope=0.2)

    def forward(self, obj: Tensor, k: Tensor | None = None) -> Tensor:
        if self.k_dim:
            obj = torch.cat([obj, k], dim=1)
        return self.net(obj).squeeze(1)
