"""Opening one capture: container by magic (classic pcap or pcapng, gzipped or not)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import DataError
from .frames import Frames
from .packets import PAD
from .pcap import is_pcap, read_pcap
from .pcapng import is_pcapng, read_pcapng
from .walk import read_bytes

EXPECTED = ("a pcap magic (d4 c3 b2 a1, a1 b2 c3 d4, 4d 3c b2 a1, a1 b2 3c 4d) "
            "or a pcapng section header (0a 0d 0d 0a)")


def open_capture(path: Path, strict: bool = False) -> tuple[bytes, Frames]:
    """(buffer, frames) of the capture at ``path``.

    Raises DataError for an empty file, an unknown magic (showing the first bytes), or a capture
    without any packet; damaged tails follow the rules of the readers (warn, or error if ``strict``).
    """
    buf = read_bytes(path)
    name = str(path)
    if not buf:
        raise DataError(f"{name}: byte offset 0: empty file, expected a capture")
    if is_pcap(buf):
        frames = read_pcap(buf, name, strict)
    elif is_pcapng(buf):
        frames = read_pcapng(buf, name, strict)
    else:
        head = buf[:16]
        text = "".join(chr(b) if 32 <= b < 127 else "." for b in head)
        raise DataError(f"{name}: byte offset 0: unknown capture format, first bytes {head.hex(' ')} "
                        f"({text!r}); expected {EXPECTED}")
    if len(frames) == 0:
        raise DataError(f"{name}: empty capture: no packet after the {frames.container} header")
    return buf, frames


@dataclass
class Batch:
    """Several captures joined so that their headers are decoded in one pass.

    ``data`` holds each capture followed by PAD zero bytes; ``frames`` has absolute offsets into it;
    ``source`` (n,) is each frame's capture index; ``frame_counts`` frames per capture.
    """

    data: bytes
    frames: Frames
    source: np.ndarray
    frame_counts: np.ndarray
    warnings: list[str]


def read_batch(paths: list[Path], strict: bool = False) -> Batch:
    """Open every capture in ``paths`` (errors as in :func:`open_capture`) and join them."""
    parts, bufs, warnings = [], [], []
    base = 0
    for path in paths:
        buf, frames = open_capture(path, strict)
        frames.data_offset = frames.data_offset + base
        parts.append(frames)
        bufs.append(buf)
        warnings += frames.warnings
        base += len(buf) + PAD
    counts = np.array([len(f) for f in parts], dtype=np.int64)
    joined = Frames(*(np.concatenate([getattr(f, k) for f in parts])
                      for k in ("time_ns", "data_offset", "captured", "original", "linktype")), container="batch")
    pad = bytes(PAD)
    data = b"".join(part for b in bufs for part in (b, pad))
    return Batch(data, joined, np.repeat(np.arange(len(paths), dtype=np.int64), counts), counts, warnings)
