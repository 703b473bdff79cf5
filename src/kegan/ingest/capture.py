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
from .walk import GZIP_MAGIC, read_bytes

EXPECTED = ("a pcap magic (d4 c3 b2 a1, a1 b2 c3 d4, 4d 3c b2 a1, a1 b2 3c 4d) "
            "or a pcapng section header (0a 0d 0d 0a)")


def open_capture(path: Path, strict: bool = False) -> tuple[bytes, Frames]:
    """(buffer, frames) of the capture at ``path``.

    Raises DataError for an empty file, an unknown magic (showing the first bytes), or a capture
    without any packet; damaged tails follow the rules of the readers (warn, or error if ``strict``).
    """
    buf = read_bytes(path)
    return buf, parse_capture(buf, str(path), strict)


def parse_capture(buf: bytes | memoryview, name: str, strict: bool = False) -> Frames:
    """Frames of the capture in ``buf`` (named ``name`` in messages); errors as in :func:`open_capture`."""
    if not len(buf):
        raise DataError(f"{name}: byte offset 0: empty file, expected a capture")
    if is_pcap(buf):
        frames = read_pcap(buf, name, strict)
    elif is_pcapng(buf):
        frames = read_pcapng(buf, name, strict)
    else:
        head = bytes(buf[:16])
        text = "".join(chr(b) if 32 <= b < 127 else "." for b in head)
        raise DataError(f"{name}: byte offset 0: unknown capture format, first bytes {head.hex(' ')} "
                        f"({text!r}); expected {EXPECTED}")
    if len(frames) == 0:
        raise DataError(f"{name}: empty capture: no packet after the {frames.container} header")
    return frames


@dataclass
class Batch:
    """Several captures joined so that their headers are decoded in one pass.

    ``data`` (uint8) holds each capture followed by PAD zero bytes; ``frames`` has absolute offsets into
    it; ``source`` (n,) is each frame's capture index; ``frame_counts`` frames per capture.
    """

    data: np.ndarray
    frames: Frames
    source: np.ndarray
    frame_counts: np.ndarray
    warnings: list[str]


def read_batch(paths: list[Path], strict: bool = False) -> Batch:
    """Open every capture in ``paths`` (errors as in :func:`open_capture`) and join them."""
    data, spans = _read_joined(paths)
    view = memoryview(data)
    parts, warnings = [], []
    for path, (base, size) in zip(paths, spans, strict=True):
        frames = parse_capture(view[base:base + size], str(path), strict)
        frames.data_offset = frames.data_offset + base
        parts.append(frames)
        warnings += frames.warnings
    counts = np.array([len(f) for f in parts], dtype=np.int64)
    joined = Frames(*(np.concatenate([getattr(f, k) for f in parts])
                      for k in ("time_ns", "data_offset", "captured", "original", "linktype")), container="batch")
    return Batch(data, joined, np.repeat(np.arange(len(paths), dtype=np.int64), counts), counts, warnings)


def _read_joined(paths: list[Path]) -> tuple[np.ndarray, list[tuple[int, int]]]:
    """The files' bytes one after the other, each followed by PAD zero bytes, as one uint8 array, and
    each file's (offset, size) in it.

    Plain files are read straight into their place (joining them afterwards would copy the whole
    batch once more); when a file turns out gzipped, the batch is joined from the decompressed parts.
    """
    sizes = []
    for path in paths:
        try:
            sizes.append(path.stat().st_size)
        except OSError as e:
            raise DataError(f"{path}: cannot be read ({e.strerror})") from e
    data = np.zeros(sum(sizes) + PAD * len(paths), dtype=np.uint8)
    view = memoryview(data)
    parts: list[bytes | memoryview] = []
    base, joined = 0, True
    for path, size in zip(paths, sizes, strict=True):
        slot = view[base:base + size]
        try:
            with open(path, "rb") as f:
                got = f.readinto(slot)
        except OSError as e:
            raise DataError(f"{path}: cannot be read ({e.strerror})") from e
        if got != size or slot[:2] == GZIP_MAGIC:  # gzipped, or the file changed size since stat
            parts.append(read_bytes(path))
            joined = False
        else:
            parts.append(slot)
        base += size + PAD
    if not joined:
        data = np.frombuffer(b"".join(piece for part in parts for piece in (part, bytes(PAD))), dtype=np.uint8)
    spans, base = [], 0
    for part in parts:
        spans.append((base, len(part)))
        base += len(part) + PAD
    return data, spans
