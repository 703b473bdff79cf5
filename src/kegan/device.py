"""Choosing the torch device from the ``--device auto|cpu|cuda`` option."""

from __future__ import annotations

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
