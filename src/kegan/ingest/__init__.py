"""Ingest: pcap/pcapng captures and packet tables plus a device table -> a kegan dataset.

Public entry point: :func:`kegan.ingest.api.ingest` (also ``kegan ingest``); see docs/ingest.md.
"""

from .api import IngestReport, ingest
from .frames import IngestWarning
from .tables import TableOptions

__all__ = ["IngestReport", "IngestWarning", "TableOptions", "ingest"]
