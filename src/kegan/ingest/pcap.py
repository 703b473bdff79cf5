"""Classic libpcap files: micro- or nanosecond timestamps, either byte order.

The only per-packet Python work is following the chain of record lengths (each record header says
where the next one starts); the 16-byte record headers are then read in bulk with numpy.
"""

from __future__ import annotations

import struct

import numpy as np

from ..errors import DataError
from .frames import Frames, damaged, empty_frames, gather
from .linktypes import check_linktype

# magic as read little-endian -> (byte order, nanosecond timestamps)
PCAP_MAGICS = {
    0xA1B2C3D4: ("<", False),
    0xD4C3B2A1: (">", False),
    0xA1B23C4D: ("<", True),
    0x4D3CB2A1: (">", True),
}
FILE_HEADER = 24
RECORD_HEADER = 16
# A record longer than this is taken for garbage, not a packet (libpcap's own sanity bound is 256 KiB).
MAX_RECORD = 1 << 18


def is_pcap(head: bytes) -> bool:
    return len(head) >= 4 and struct.unpack("<I", head[:4])[0] in PCAP_MAGICS


def read_pcap(buf: bytes, name: str, strict: bool = False) -> Frames:
    """Record headers of the classic pcap in ``buf``.

    Raises DataError for a cut file header or an unsupported link type; a truncated last record or
    trailing garbage (from the first record that cannot be a packet: original length 0, more bytes
    captured than original, or more captured than both 256 KiB and the snaplen) keeps the complete
    records before it and warns with the byte offset (DataError when ``strict``).
    """
    order, nano = PCAP_MAGICS[struct.unpack("<I", buf[:4])[0]]
    sink: list[str] = []
    if len(buf) < FILE_HEADER:
        raise DataError(f"{name}: byte offset 0: pcap file header is cut short ({len(buf)} of {FILE_HEADER} bytes)")
    snaplen, network = struct.unpack_from(order + "II", buf, 16)
    linktype = network & 0xFFFF  # the upper bits may carry FCS flags
    check_linktype(linktype, f"{name}: byte offset 20")
    max_record = max(MAX_RECORD, min(snaplen, 1 << 26))

    # Follow the length chain; checks are done afterwards in bulk, so the loop stays minimal.
    offsets: list[int] = []
    append = offsets.append
    read_len = struct.Struct(order + "I").unpack_from
    n = len(buf)
    off = FILE_HEADER
    last = n - RECORD_HEADER
    while off <= last:
        append(off)
        off += RECORD_HEADER + read_len(buf, off + 8)[0]
    offs = np.asarray(offsets, dtype=np.int64)
    arr = np.frombuffer(buf, dtype=np.uint8)
    # (k, 4) record header words: ts_sec, ts_frac, incl_len, orig_len
    words = gather(arr, offs, RECORD_HEADER).view(order + "u4").astype(np.int64)
    incl, orig = words[:, 2], words[:, 3]
    # No real packet has original length 0 or more bytes captured than it had; without these checks a
    # zero-filled tail reads as a chain of empty records and passes for non-IP frames.
    garbage = np.flatnonzero((incl > max_record) | (incl > orig) | (orig == 0))
    if len(garbage):
        g = int(garbage[0])
        if incl[g] > max_record:
            what = f"record claims {int(incl[g])} captured bytes (more than {max_record})"
        elif orig[g] == 0:
            what = "record has original length 0"
        else:
            what = f"record claims {int(incl[g])} captured bytes of a {int(orig[g])}-byte packet"
        damaged(name, int(offs[g]), f"{what}: garbage, not a packet", strict, sink)
        offs, words = offs[:g], words[:g]
    elif len(offs) and offs[-1] + RECORD_HEADER + words[-1, 2] > n:
        off = int(offs[-1])
        damaged(name, off, f"last packet is truncated (record needs {RECORD_HEADER + int(words[-1, 2])} bytes, "
                f"{n - off} left)", strict, sink)
        offs, words = offs[:-1], words[:-1]
    elif off < n:
        damaged(name, off, f"{n - off} trailing bytes are too few for a record header", strict, sink)
    offsets = offs
    if not len(offsets):
        frames = empty_frames("pcap-ns" if nano else "pcap")
        frames.warnings = sink
        return frames

    frac_ns = words[:, 1] if nano else words[:, 1] * 1000
    return Frames(
        time_ns=words[:, 0] * 1_000_000_000 + frac_ns,
        data_offset=offs + RECORD_HEADER,
        captured=words[:, 2],
        original=words[:, 3],
        linktype=np.full(len(offs), linktype, dtype=np.int32),
        container="pcap-ns" if nano else "pcap",
        warnings=sink,
    )
