"""Knowledge stage: the IoT knowledge graph of a dataset and its TransE embeddings (paper 3.1)."""
