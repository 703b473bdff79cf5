"""Frames as the container readers hand them on: one row per captured frame, all numpy arrays.

A container reader (``pcap.py``, ``pcapng.py``) walks the record headers of one in-memory capture and
returns :class:`Frames`; it never copies packet bytes. ``packets.py`` then decodes the link and IP
headers of all frames at once from the same buffer.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np

from ..errors import DataError


class IngestWarning(UserWarning):
    """A capture was damaged but its complete packets were kept (``strict=True`` makes it an error)."""


@dataclass
class Frames:
    """Record headers of one capture; every array has shape (n,) and int64 dtype unless noted.

    ``data_offset`` is the byte offset of each frame's first captured byte in the capture buffer,
    ``captured`` the bytes stored (snaplen-trimmed), ``original`` the length on the wire,
    ``linktype`` the LINKTYPE_* number of the frame's interface (int32).
    """

    time_ns: np.ndarray
    data_offset: np.ndarray
    captured: np.ndarray
    original: np.ndarray
    linktype: np.ndarray
    container: str = "pcap"
    warnings: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.time_ns)


def damaged(name: str, offset: int, what: str, strict: bool, sink: list[str],
            kept: str = "the complete packets before it are kept") -> None:
    """Report a truncated or corrupt tail (or blocks skipped) at byte ``offset``: a warning saying what
    was ``kept``, or DataError when ``strict``."""
    where = f"{name}: byte offset {offset}: {what}"
    if strict:
        raise DataError(f"{where} (--strict)")
    msg = f"{where}; {kept}"
    sink.append(msg)
    warnings.warn(msg, IngestWarning, stacklevel=3)


def gather(arr: np.ndarray, offsets: np.ndarray, width: int) -> np.ndarray:
    """(n, width) uint8 copy of the ``width`` bytes of ``arr`` (uint8, contiguous) at each of ``offsets`` (n,).

    Every offset must leave ``width`` bytes inside ``arr``. ``arr`` is seen as overlapping ``width``-byte
    items one byte apart, so indexing copies each row in one move; the obvious
    ``arr[offsets[:, None] + np.arange(width)]`` builds an (n, width) int64 index array first, 8 times
    the bytes it fetches, and is several times slower on a whole run's headers.
    """
    rows = np.ndarray(shape=(max(len(arr) - width + 1, 0),), dtype=np.dtype((np.void, width)), buffer=arr, strides=(1,))
    return rows[offsets].view(np.uint8).reshape(len(offsets), width)


def empty_frames(container: str) -> Frames:
    z = np.zeros(0, dtype=np.int64)
    return Frames(z, z, z, z, np.zeros(0, dtype=np.int32), container)
