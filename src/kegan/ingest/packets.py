"""IP packets decoded in bulk from a capture buffer: one numpy array per header field.

Lengths are the IP layer's own (IPv4 Total Length, IPv6 40 + Payload Length), so the same packets give
the same lengths whatever the link type, and snaplen-trimmed frames still give their true length.
When a header states an impossible length (IPv4 Total Length below 20, as captures taken before TCP
segmentation offload show, or an IPv6 jumbogram's 0) the frame's original length minus the link header
is used instead.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .frames import Frames, gather
from .linktypes import decode_link

HEAD = 48  # IP header bytes kept per packet: addresses, and the start of the transport header (dedup key)
PAD = 128  # zero bytes appended to the buffer so that header reads past a short last frame stay inside
V4_MAPPED = np.array([0] * 10 + [0xFF, 0xFF], dtype=np.uint8)


@dataclass
class Packets:
    """IPv4/IPv6 packets, arrays of shape (n,) unless noted.

    ``time_ns`` int64; ``length`` int64 bytes at the IP layer; ``version`` 4/6; ``proto`` transport
    protocol number, -1 when not captured; ``src``/``dst`` (n, 16) uint8 addresses (IPv4 as
    ::ffff:a.b.c.d), ``has_addr`` whether they were captured; ``sport``/``dport`` int64, -1 when absent;
    ``src_mac``/``dst_mac`` int64 48-bit MACs, -1 when the link layer has none; ``head`` (n, 48) uint8
    first IP bytes, zero past the captured ones (the identity of a packet, for dropping duplicates);
    ``ip_start`` absolute offset of the IP header in the buffer, ``ip_captured`` bytes captured from
    it on, ``transport`` offset of the transport header from the IP header (-1 when absent) -- these
    three only mean something together with the buffer they were decoded from.
    """

    time_ns: np.ndarray
    length: np.ndarray
    version: np.ndarray
    proto: np.ndarray
    src: np.ndarray
    dst: np.ndarray
    has_addr: np.ndarray
    sport: np.ndarray
    dport: np.ndarray
    src_mac: np.ndarray
    dst_mac: np.ndarray
    head: np.ndarray
    ip_start: np.ndarray
    ip_captured: np.ndarray
    transport: np.ndarray
    # Filled by observations.assign_remote/assign_dns: the far end of each packet as the object sees it.
    remote: np.ndarray | None = None  # (n, 16) uint8
    has_remote: np.ndarray | None = None  # (n,) bool
    remote_port: np.ndarray | None = None  # (n,) int64, -1 when absent
    dns: np.ndarray | None = None  # (n,) object: tuple of (kind, value) pairs, or None
    source: np.ndarray | None = None  # (n,) int64: index of the capture (in its batch) the packet came from

    def __len__(self) -> int:
        return len(self.time_ns)

    def take(self, index: np.ndarray) -> Packets:
        """The packets at ``index`` (indices or boolean mask), as a new Packets."""
        return Packets(**{k: None if v is None else v[index] for k, v in vars(self).items()})

    @staticmethod
    def concat(parts: list[Packets], only: tuple[str, ...] | None = None) -> Packets:
        """``parts`` one after the other; with ``only``, just those fields are joined and the others are
        None (copying the twenty fields of every packet costs more than the work that needs a few)."""
        fields = {}
        for k in vars(parts[0]):
            values = [getattr(p, k) for p in parts]
            skip = (only is not None and k not in only) or any(v is None for v in values)
            fields[k] = None if skip else np.concatenate(values)
        return Packets(**fields)

    @staticmethod
    def from_columns(time_ns: np.ndarray, length: np.ndarray, **columns: np.ndarray) -> Packets:
        """Packets with only times and lengths known (packet tables); other fields absent unless given."""
        n = len(time_ns)
        minus = np.full(n, -1, dtype=np.int64)
        fields = dict(
            time_ns=time_ns.astype(np.int64), length=length.astype(np.int64), version=np.zeros(n, np.int64),
            proto=minus.copy(), src=np.zeros((n, 16), np.uint8), dst=np.zeros((n, 16), np.uint8),
            has_addr=np.zeros(n, bool), sport=minus.copy(), dport=minus.copy(), src_mac=minus.copy(),
            dst_mac=minus.copy(), head=np.zeros((n, HEAD), np.uint8), ip_start=minus.copy(),
            ip_captured=np.zeros(n, np.int64), transport=minus.copy(), dns=np.full(n, None, dtype=object),
            source=np.zeros(n, np.int64),
        )
        fields.update(columns)
        return Packets(**fields)


def unique_rows(*keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct rows of the integer columns ``keys`` (each (n,)), sorted by the first key, then the next...

    Returns (index of the first member of each distinct row, its count). Faster than np.unique on
    structured or axis=0 input, which sorts with a generic comparison; neighbouring keys whose value
    ranges fit in 63 bits together are sorted as one (e.g. object index and MAC address).
    """
    n = len(keys[0])
    if n == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    fused = _fuse(keys)
    order = np.argsort(fused[0], kind="stable") if len(fused) == 1 else np.lexsort(fused[::-1])
    change = np.zeros(n - 1, dtype=bool)
    for k in fused:
        ks = k[order]
        change |= ks[1:] != ks[:-1]
    starts = np.flatnonzero(np.r_[True, change])
    return order[starts], np.diff(np.r_[starts, n])


def _fuse(keys: tuple[np.ndarray, ...]) -> list[np.ndarray]:
    """Integer key columns -> fewer uint64 columns in the same lexicographic order.

    Each key becomes its offset from its minimum, shifted into the previous column while the bits of
    their ranges add up to at most 63; constant keys vanish.
    """
    out: list[np.ndarray] = []
    bits_used = 64
    for k in keys:
        low, high = int(k.min()), int(k.max())
        bits = (high - low).bit_length()
        if bits == 0:
            continue
        offset = (k - np.array(low, dtype=k.dtype)).astype(np.uint64)  # wraps correctly for spans < 2**64
        if out and bits_used + bits <= 63:
            out[-1] = (out[-1] << np.uint64(bits)) | offset
            bits_used += bits
        else:
            out.append(offset)
            bits_used = bits
    return out or [np.zeros(len(keys[0]), dtype=np.uint64)]


def address_words(addrs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(n, 16) uint8 addresses -> two (n,) uint64 columns (high and low 8 bytes, big-endian)."""
    words = np.ascontiguousarray(addrs).view(">u8")
    return words[:, 0].astype(np.uint64), words[:, 1].astype(np.uint64)


def padded(buf: bytes) -> np.ndarray:
    """The capture buffer as uint8 with PAD zero bytes after it."""
    return np.frombuffer(buf + bytes(PAD), dtype=np.uint8)


def _ip_bytes(arr: np.ndarray, ip_start: np.ndarray, avail: np.ndarray, width: int) -> np.ndarray:
    """(n, width) uint8: the first ``width`` IP header bytes, zero past the ``avail`` captured ones
    (the bytes after a short frame belong to the next record)."""
    out = gather(arr, ip_start, width)
    short = np.flatnonzero(avail < width)  # few frames are that short: fix only those rows
    if len(short):
        keep = np.arange(width)[None, :] < avail[short, None]
        out[short] = np.where(keep, out[short], 0)
    return out


def decode(arr: np.ndarray, frames: Frames, source: np.ndarray | None = None) -> tuple[Packets, int]:
    """Decode every frame's link and IP headers; returns (IP packets in file order, frames skipped).

    ``source`` (n,) says which capture each frame came from when ``frames`` joins several captures.
    ``arr`` comes from :func:`padded`. Skipped frames are those without an IPv4/IPv6 packet (ARP,
    EAPOL, 802.3 LLC ...) or whose IP header is cut before its length field.
    """
    n = len(frames)
    start, captured = frames.data_offset, frames.captured
    ip_offset = np.full(n, -1, dtype=np.int64)
    link_version = np.zeros(n, dtype=np.int64)
    src_mac = np.full(n, -1, dtype=np.int64)
    dst_mac = np.full(n, -1, dtype=np.int64)
    linktypes = np.unique(frames.linktype)
    for lt in linktypes:
        sel = slice(None) if len(linktypes) == 1 else frames.linktype == lt
        info = decode_link(arr, start[sel], captured[sel], int(lt))
        ip_offset[sel], link_version[sel] = info.ip_offset, info.version
        src_mac[sel], dst_mac[sel] = info.src_mac, info.dst_mac

    ip_start = start + np.maximum(ip_offset, 0)
    avail = captured - ip_offset
    # Which frames are IP packets, and their lengths, from the first 8 IP bytes; the rest only for those.
    first = _ip_bytes(arr, ip_start, avail, 8)  # (n, 8)
    b0 = first[:, 0].astype(np.int64)
    nibble = b0 >> 4
    version = np.where(link_version > 0, link_version, nibble)
    ok = (ip_offset >= 0) & (nibble == version) & (
        ((version == 4) & (avail >= 4)) | ((version == 6) & (avail >= 6)))
    v4 = version == 4
    fields = first.view(">u2").astype(np.int64)  # (n, 4) big-endian 16-bit words of the IP header
    b6 = first[:, 6].astype(np.int64)
    stated = np.where(v4, fields[:, 1], 40 + fields[:, 2])  # IPv4 Total Length, IPv6 40 + Payload Length
    implausible = np.where(v4, stated < 20, (stated == 40) & (b6 == 0))
    length = np.where(implausible, frames.original - ip_offset, stated)
    ok &= length > 0
    time_ns = frames.time_ns
    source = np.zeros(n, np.int64) if source is None else source
    if not ok.all():  # drop non-IP frames (ARP, EAPOL ...) before the per-packet work below
        keep = np.flatnonzero(ok)
        ip_start, avail, version, length, v4, b0, b6, time_ns, source, src_mac, dst_mac = (
            a[keep] for a in (ip_start, avail, version, length, v4, b0, b6, time_ns, source, src_mac, dst_mac))

    m = len(ip_start)
    head = _ip_bytes(arr, ip_start, avail, HEAD)  # (m, HEAD)
    proto = np.where(v4, np.where(avail >= 10, head[:, 9].astype(np.int64), -1), np.where(avail >= 7, b6, -1))
    has_addr = np.where(v4, avail >= 20, avail >= 40)
    # Addresses as two big-endian 64-bit words each: IPv6 source is header words 1-2, destination 3-4;
    # IPv4 source is the low half of word 1, destination the high half of word 2, written ::ffff:a.b.c.d.
    words = head.view(">u8")  # (m, HEAD / 8)
    low32, mapped = np.uint64(0xFFFFFFFF), np.uint64(0xFFFF << 32)
    src = np.zeros((m, 2), dtype=">u8")
    dst = np.zeros((m, 2), dtype=">u8")
    src[:, 0] = np.where(v4, 0, words[:, 1])
    src[:, 1] = np.where(v4, mapped | (words[:, 1] & low32), words[:, 2])
    dst[:, 0] = np.where(v4, 0, words[:, 3])
    dst[:, 1] = np.where(v4, mapped | (words[:, 2] >> np.uint64(32)), words[:, 4])
    no_addr = np.flatnonzero(~has_addr)
    src[no_addr] = 0
    dst[no_addr] = 0
    src, dst = src.view(np.uint8), dst.view(np.uint8)  # (m, 16)
    later_fragment = v4 & ((((b6 & 0x1F) << 8) | head[:, 7]) != 0)
    transport = np.where(v4, (b0 & 15) * 4, 40)
    has_ports = ((proto == 6) | (proto == 17) | (proto == 132)) & ~later_fragment & (avail >= transport + 4)
    ports = gather(arr, ip_start + transport, 4).view(">u2").astype(np.int64)  # (m, 2) source, destination
    sport = np.where(has_ports, ports[:, 0], -1)
    dport = np.where(has_ports, ports[:, 1], -1)

    packets = Packets(
        time_ns=time_ns, length=length, version=version, proto=proto, src=src, dst=dst,
        has_addr=has_addr, sport=sport, dport=dport, src_mac=src_mac, dst_mac=dst_mac, head=head,
        ip_start=ip_start, ip_captured=avail, transport=np.where(has_ports, transport, -1), source=source,
    )
    return packets, int(n - ok.sum())
