"""Registered domains and the platforms they point to (the table kegan ships, docs/knowledge.md).

``data/platforms.csv`` maps a registered domain (``mydlink.com``) to a platform (``D-Link mydlink``)
and the platform's kind (``iot_cloud``, ``cloud_hosting``, ``time``, ``analytics``, ...). Domains not in
the table get no platform: a guess would put false facts into the graph.
"""

from __future__ import annotations

import csv
import functools
import io
import os
from importlib import resources
from pathlib import Path

from ..errors import DataError

PLATFORM_COLUMNS = ("registered_domain", "platform", "kind")


@functools.lru_cache(maxsize=1)
def _extractor():
    import tldextract

    # No suffix-list URLs and no cache: the public suffix list bundled with tldextract is used,
    # so nothing is downloaded or written at run time.
    return tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)


@functools.lru_cache(maxsize=65536)
def registered_domain(name: str) -> str | None:
    """The registered domain of a DNS name (``api.dch.dlink.com`` -> ``dlink.com``), or None.

    None for names without a public suffix (``gw``, ``printer.local``, ``x.com.belkin``) and for IPs.
    """
    parts = _extractor()(name.strip().lower().rstrip("."))
    if not parts.suffix or not parts.domain or parts.ipv4 or parts.ipv6:
        return None
    return f"{parts.domain}.{parts.suffix}"


def load_platforms(path: str | os.PathLike | None = None) -> dict[str, tuple[str, str]]:
    """Read a platform table: registered domain -> (platform, kind).

    ``path`` None reads the table shipped in ``kegan/knowledge/data/platforms.csv``. Raises DataError
    naming the file and row when a column is missing or a domain appears twice.
    """
    if path is None:
        text = resources.files("kegan.knowledge").joinpath("data/platforms.csv").read_text(encoding="utf-8")
        where = "kegan/knowledge/data/platforms.csv"
    else:
        text = Path(path).read_text(encoding="utf-8")
        where = str(path)
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in PLATFORM_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise DataError(f"{where}: missing column {missing[0]!r} (expected {', '.join(PLATFORM_COLUMNS)})")
    table: dict[str, tuple[str, str]] = {}
    for row_no, row in enumerate(reader, start=2):
        domain = (row["registered_domain"] or "").strip().lower()
        platform = (row["platform"] or "").strip()
        if not domain or not platform:
            raise DataError(f"{where} line {row_no}: registered_domain and platform must not be empty")
        if domain in table:
            raise DataError(f"{where} line {row_no}: registered domain {domain!r} appears twice")
        table[domain] = (platform, (row["kind"] or "").strip())
    return table
