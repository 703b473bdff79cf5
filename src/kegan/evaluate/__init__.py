"""Evaluate a synthetic dataset against the real one: fidelity (JSD, categorized JSD, floor),
usefulness (train on synthetic, test on real), privacy (copying), plots and a report.

The functions the bench and demo call are re-exported here; ``kegan.evaluate.api.evaluate`` runs
everything and writes the report.
"""

from .binning import BinEdges
from .floor import floor
from .jsd import categorized, category_jsd, fidelity, jsd
from .privacy import privacy
from .tstr import tstr

__all__ = ["BinEdges", "categorized", "category_jsd", "fidelity", "floor", "jsd", "privacy", "tstr"]
