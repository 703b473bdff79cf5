"""The bench: every generator on one dataset under one protocol, printed as the paper's tables."""

from .api import run_bench

__all__ = ["run_bench"]
