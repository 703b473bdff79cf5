"""Model stage: the knowledge-enhanced GAN (paper section 3, Appendix B); see docs/model.md."""

from .config import KEGANConfig
from .kegan import KEGAN

__all__ = ["KEGAN", "KEGANConfig"]
