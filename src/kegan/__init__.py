"""kegan: knowledge-enhanced GAN for IoT traffic generation (Hui et al., WWW 2022).

Pipeline stages, one subpackage each, in the order data flows:
ingest -> dataset -> knowledge -> model -> evaluate; baselines and bench sit beside the model.
"""

__version__ = "0.1.0"
