"""Small pieces the baselines share: a wall-clock budget, setting parsing, sample checks, padding."""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from ..errors import ParameterError


class Budget:
    """Wall-clock budget in minutes (None: unlimited); ``spent()`` is True once it has run out."""

    def __init__(self, max_minutes: float | None):
        if max_minutes is not None and max_minutes <= 0:
            raise ParameterError(f"max_minutes={max_minutes}, expected a positive number of minutes")
        self.limit_s = None if max_minutes is None else 60.0 * float(max_minutes)
        self.start = time.monotonic()

    def elapsed(self) -> float:
        return time.monotonic() - self.start

    def spent(self) -> bool:
        return self.limit_s is not None and self.elapsed() >= self.limit_s


def parse_settings(generator: str, given: dict[str, Any], defaults: dict[str, Any]) -> dict[str, Any]:
    """Defaults overridden by ``given``, each converted to its default's type.

    Raises ParameterError for an unknown name, a value of the wrong kind, or a value that is not
    positive (``num_threads`` may be 0, meaning "choose for me").
    """
    unknown = set(given) - set(defaults)
    if unknown:
        raise ParameterError(
            f"{generator}: unknown setting(s) {sorted(unknown)}; expected: {', '.join(defaults)}"
        )
    out = {}
    for key, default in defaults.items():
        kind = type(default)
        raw = given.get(key, default)
        try:
            value = kind(raw)
        except (TypeError, ValueError):
            value = None
        if value is None or isinstance(raw, bool) or (kind is int and value != raw):
            raise ParameterError(f"{generator}: {key}={raw!r}, expected a {kind.__name__}")
        if value < 0 or (value == 0 and key != "num_threads"):
            raise ParameterError(f"{generator}: {key}={raw!r}, expected a positive {kind.__name__}")
        out[key] = value
    return out


def pad(seqs: list[np.ndarray], length: int) -> np.ndarray:
    """Zero-pad a list of (M_i, w) arrays to (n, length, w) float32 (longer ones are cut)."""
    w = seqs[0].shape[1]
    out = np.zeros((len(seqs), length, w), dtype=np.float32)
    for i, s in enumerate(seqs):
        m = min(len(s), length)
        out[i, :m] = s[:m]
    return out


def check_sample(generator: Any, n: int, fitted_attr: str = "data_") -> None:
    """Raise ParameterError unless ``generator`` has been fitted and ``n`` is an integer >= 1."""
    if not hasattr(generator, fitted_attr):
        raise ParameterError(f"{generator.name}: sample() called before fit(); fit the generator first")
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ParameterError(f"{generator.name}: n={n!r}, expected a whole number of objects >= 1")
