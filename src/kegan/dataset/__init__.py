"""The dataset format every stage after ingest reads and writes (see docs/format.md)."""

from .format import FORMAT_VERSION, Dataset
from .io import content_fingerprint, read_dataset, write_dataset
from .split import split_objects

__all__ = ["FORMAT_VERSION", "Dataset", "content_fingerprint", "read_dataset", "write_dataset", "split_objects"]
