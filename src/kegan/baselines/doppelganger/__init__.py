"""DoppelGANger (Lin et al., IMC 2020) as a kegan baseline: see ``docs/doppelganger.md``.

Files by responsibility: ``config`` (settings), ``transforms`` (log1p, auto-normalization, generation
flags), ``networks`` (generators and critics), ``training`` (WGAN-GP loop), ``generator`` (fit/sample).
"""

from .config import DoppelGANgerConfig
from .generator import DoppelGANger

__all__ = ["DoppelGANger", "DoppelGANgerConfig"]
