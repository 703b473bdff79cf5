"""pcapng files: several sections and interfaces, each interface with its own link type and timestamp
resolution. Enhanced (EPB) and obsolete (OPB) packet blocks are read; simple packet blocks carry no
timestamp, so they are skipped with a warning; other block types are stepped over.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

import numpy as np

from ..errors import DataError
from .frames import Frames, damaged, empty_frames, gather
from .linktypes import check_linktype

SHB, IDB, OPB, SPB, EPB = 0x0A0D0D0A, 1, 2, 3, 6
BYTE_ORDER_MAGIC = 0x1A2B3C4D
OPT_TSRESOL, OPT_TSOFFSET = 9, 14


def is_pcapng(head: bytes) -> bool:
    return len(head) >= 4 and struct.unpack("<I", head[:4])[0] == SHB


@dataclass
class _Interface:
    linktype: int
    tsresol: int = 6  # exponent; decimal unless ``binary``
    binary: bool = False
    tsoffset: int = 0  # seconds added to every timestamp
    where: int = 0  # byte offset of the interface block, for messages


def _interface(buf: bytes, off: int, blen: int, order: str) -> _Interface:
    linktype = struct.unpack_from(order + "H", buf, off + 8)[0]
    iface = _Interface(linktype=linktype, where=off)
    pos, end = off + 16, off + blen - 4
    while pos + 4 <= end:
        code, length = struct.unpack_from(order + "HH", buf, pos)
        if code == 0:
            break
        if code == OPT_TSRESOL and length >= 1:
            v = buf[pos + 4]
            iface.binary, iface.tsresol = bool(v & 0x80), v & 0x7F
        elif code == OPT_TSOFFSET and length >= 8:
            iface.tsoffset = struct.unpack_from(order + "q", buf, pos + 4)[0]
        pos += 4 + ((length + 3) & ~3)
    return iface


def _to_ns(ticks: np.ndarray, iface: _Interface) -> np.ndarray:
    """Timestamps in the interface's units (uint64 array) -> int64 nanoseconds since the epoch."""
    if iface.binary:
        whole = (ticks >> np.uint64(iface.tsresol)).astype(np.int64)
        frac = (ticks & np.uint64((1 << iface.tsresol) - 1)).astype(np.float64)
        ns = whole * 1_000_000_000 + np.rint(frac * 1e9 / 2.0**iface.tsresol).astype(np.int64)
    elif iface.tsresol <= 9:
        ns = ticks.astype(np.int64) * 10 ** (9 - iface.tsresol)
    else:
        ns = (ticks // np.uint64(10 ** (iface.tsresol - 9))).astype(np.int64)
    return ns + iface.tsoffset * 1_000_000_000


def read_pcapng(buf: bytes, name: str, strict: bool = False) -> Frames:
    """Packet headers of the pcapng in ``buf``.

    Raises DataError for a bad section header, a packet on an undeclared interface or an unsupported
    link type; a truncated or corrupt block keeps the packets before it and warns with its byte offset
    (DataError when ``strict``).
    """
    sink: list[str] = []
    n = len(buf)
    interfaces: list[_Interface] = []
    bases: list[int] = []  # per section: index of its interface 0 in ``interfaces``
    order = "<"
    # packet blocks: (byte order of their section, block offset, section number)
    epb: list[tuple[str, int, int]] = []
    opb: list[tuple[str, int, int]] = []
    simple: list[int] = []  # offsets of simple packet blocks
    off = 0
    while off < n:
        if off + 12 > n:
            damaged(name, off, f"{n - off} trailing bytes are too few for a pcapng block", strict, sink)
            break
        btype = struct.unpack_from("<I", buf, off)[0]
        if btype == SHB:
            bom = struct.unpack_from("<I", buf, off + 8)[0]
            if bom == BYTE_ORDER_MAGIC:
                order = "<"
            elif bom == struct.unpack(">I", struct.pack("<I", BYTE_ORDER_MAGIC))[0]:
                order = ">"
            else:
                raise DataError(f"{name}: byte offset {off + 8}: pcapng section header has byte-order magic "
                                f"{buf[off + 8:off + 12].hex(' ')}, expected 4d 3c 2b 1a or 1a 2b 3c 4d")
            bases.append(len(interfaces))
        else:
            btype = struct.unpack_from(order + "I", buf, off)[0]
        blen = struct.unpack_from(order + "I", buf, off + 4)[0]
        if blen < 12 or blen % 4:
            damaged(name, off, f"pcapng block length {blen} is not a multiple of 4 of at least 12: corrupt",
                    strict, sink)
            break
        if off + blen > n:
            damaged(name, off, f"last pcapng block is truncated (needs {blen} bytes, {n - off} left)", strict, sink)
            break
        if struct.unpack_from(order + "I", buf, off + blen - 4)[0] != blen:
            damaged(name, off, f"pcapng block length {blen} does not match its trailing copy: corrupt", strict, sink)
            break
        if btype == IDB:
            interfaces.append(_interface(buf, off, blen, order))
        elif btype == EPB:
            epb.append((order, off, len(bases) - 1))
        elif btype == OPB:
            opb.append((order, off, len(bases) - 1))
        elif btype == SPB:
            simple.append(off)
        off += blen
    if simple:
        damaged(name, simple[0], f"{len(simple)} simple packet blocks (the first here) have no timestamp and were "
                "skipped", strict, sink, kept="the other packets are kept")

    sections = (np.array(bases, dtype=np.int64), np.diff(np.array(bases + [len(interfaces)], dtype=np.int64)))
    parts = [_packet_blocks(buf, epb, interfaces, sections, name, opb=False),
             _packet_blocks(buf, opb, interfaces, sections, name, opb=True)]
    parts = [p for p in parts if p is not None]
    if not parts:
        frames = empty_frames("pcapng")
        frames.warnings = sink
        return frames
    cat = [np.concatenate(x) for x in zip(*parts, strict=True)]
    order_by_offset = np.argsort(cat[1], kind="stable")  # file order, as classic pcap gives it
    time_ns, data_offset, captured, original, linktype = (c[order_by_offset] for c in cat)
    return Frames(time_ns, data_offset, captured, original, linktype.astype(np.int32), "pcapng", sink)


def _packet_blocks(buf: bytes, blocks: list[tuple[str, int, int]], interfaces: list[_Interface],
                   sections: tuple[np.ndarray, np.ndarray], name: str, opb: bool) -> tuple[np.ndarray, ...] | None:
    """EPB/OPB headers in bulk: (time_ns, data_offset, captured, original, linktype) arrays.
    ``sections``: (index of each section's interface 0 in ``interfaces``, its number of interfaces)."""
    if not blocks:
        return None
    arr = np.frombuffer(buf, dtype=np.uint8)
    out = []
    for order in ("<", ">"):
        sel = [(off, section) for o, off, section in blocks if o == order]
        if not sel:
            continue
        offs = np.array([s[0] for s in sel], dtype=np.int64)
        section = np.array([s[1] for s in sel], dtype=np.int64)
        bases, declared = sections[0][section], sections[1][section]
        # (k, 7) words: type, length, interface (u16 + drops for OPB), ts high, ts low, captured, original
        words = gather(arr, offs, 28).view(order + "u4").astype(np.int64)
        if opb:
            local = gather(arr, offs + 8, 2).view(order + "u2")[:, 0].astype(np.int64)
        else:
            local = words[:, 2]
        # Interface ids count within their section: one past the section's own would silently take the
        # next section's interface, so check against the section's count, not all interfaces.
        bad = local >= declared
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise DataError(f"{name}: byte offset {int(offs[i])}: packet on interface {int(local[i])}, "
                            f"but the section declares only {int(declared[i])} interfaces")
        iface = bases + local
        ticks = (words[:, 3].astype(np.uint64) << np.uint64(32)) | words[:, 4].astype(np.uint64)
        time_ns = np.empty(len(offs), dtype=np.int64)
        linktype = np.empty(len(offs), dtype=np.int64)
        for k in np.unique(iface):
            m = iface == k
            itf = interfaces[int(k)]
            check_linktype(itf.linktype, f"{name}: byte offset {itf.where} (interface block)")
            time_ns[m] = _to_ns(ticks[m], itf)
            linktype[m] = itf.linktype
        blen = words[:, 1]
        captured = np.minimum(words[:, 5], blen - 32)  # a captured length past its block is corrupt: clip
        out.append((time_ns, offs + 28, captured, words[:, 6], linktype))
    return tuple(np.concatenate(x) for x in zip(*out, strict=True))
