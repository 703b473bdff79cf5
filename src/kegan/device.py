"""Choosing the torch device from the ``--device auto|cpu|cuda`` option."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from .errors import ParameterError


def resolve_device(name: str = "auto"):
    """Return a ``torch.device``: ``auto`` takes CUDA when present, else the CPU."""
    import torch

    name = (name or "auto").lower()
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda"):
        if not torch.cuda.is_available():
            raise ParameterError(f"--device {name}: CUDA is not available on this machine (use cpu or auto)")
        return torch.device(name)
    if name == "cpu":
        return torch.device("cpu")
    raise ParameterError(f"--device {name!r}: expected auto, cpu or cuda")


#: torch CPU threads when a setting leaves it open. One thread: kegan's networks are small, and on a
#: 2-core machine two intra-op threads were measured 6-60x slower as soon as anything else ran
#: (docs/model.md, docs/knowledge.md, docs/doppelganger.md); on idle cores the difference is small.
DEFAULT_TORCH_THREADS = 1


@contextlib.contextmanager
def torch_threads(n: int | None = None) -> Iterator[None]:
    """Run the block with ``n`` torch CPU intra-op threads (None or 0: DEFAULT_TORCH_THREADS), then
    restore the previous count. Every torch stage (TransE, KE-GAN, the neural baselines) uses this, so
    that the bench's equal wall-clock budgets mean equal compute."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(int(n) if n else DEFAULT_TORCH_THREADS)
    try:
        yield
    finally:
        torch.set_num_threads(before)
