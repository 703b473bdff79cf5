"""The network structure an object shows: remote IPs, DNS names, remote ports, its MAC and vendor.

Which end of a packet is "remote" is decided per capture file without looking at MACs, so raw-IP and
loopback captures give the same observations as Ethernet ones: the object's own address is, per IP
version, the unicast address found in the most packets; the other end of each packet is remote (for a
packet touching neither own address, its destination; ties between addresses seen equally often go to a
link-local, then a private one). DNS queries are the names in UDP/53 questions;
DNS answers pair the question's name with every A/AAAA address in the reply ("name=ip").
"""

from __future__ import annotations

import functools
import ipaddress
import socket
from collections import Counter
from dataclasses import dataclass, field
from struct import error as struct_error

import dpkt
import numpy as np
import pandas as pd
from netaddr import EUI, NotRegisteredError

from ..dataset.format import (
    OBS_DNS_ANSWER,
    OBS_DNS_QUERY,
    OBS_MAC,
    OBS_MAC_VENDOR,
    OBS_REMOTE_IP,
    OBS_REMOTE_PORT,
    OBSERVATION_COLUMNS,
)
from .devices import format_mac
from .packets import Packets, address_words, unique_rows

PROTOCOL_NAMES = {6: "tcp", 17: "udp", 132: "sctp"}
ALL_ONES = np.uint64(0xFFFFFFFFFFFFFFFF)  # ff..ff: a multicast address, never an object's own


# Address predicates on (hi, lo): the two big-endian 64-bit words of (n, 16) addresses (address_words).
# IPv4 is ::ffff:a.b.c.d, i.e. hi == 0 and lo == 0000ffff_aabbccdd.
def _v4(hi: np.ndarray, lo: np.ndarray) -> np.ndarray:
    return (hi == 0) & ((lo >> np.uint64(32)) == 0xFFFF)


def _unspecified(hi: np.ndarray, lo: np.ndarray) -> np.ndarray:
    """(n,) bool: :: or 0.0.0.0."""
    return ((hi == 0) & (lo == 0)) | (_v4(hi, lo) & ((lo & np.uint64(0xFFFFFFFF)) == 0))


def _special(hi: np.ndarray, lo: np.ndarray) -> np.ndarray:
    """(n,) bool: unspecified, multicast or broadcast addresses (never an object's own address)."""
    v4 = _v4(hi, lo)
    v4_group = v4 & ((((lo >> np.uint64(24)) & np.uint64(0xFF)) >= 224) | ((lo & np.uint64(0xFFFFFFFF)) == 0xFFFFFFFF))
    return _unspecified(hi, lo) | v4_group | (~v4 & ((hi >> np.uint64(56)) == 0xFF))


def _local_rank(hi: np.ndarray, lo: np.ndarray) -> np.ndarray:
    """(n,) 2 link-local, 1 private (RFC 1918, ULA), 0 other."""
    v4 = _v4(hi, lo)
    a, b = (lo >> np.uint64(24)) & np.uint64(0xFF), (lo >> np.uint64(16)) & np.uint64(0xFF)
    link4 = v4 & (a == 169) & (b == 254)
    priv4 = v4 & ((a == 10) | ((a == 172) & (b >= 16) & (b < 32)) | ((a == 192) & (b == 168)))
    top = hi >> np.uint64(48)  # first two bytes
    link6 = ~v4 & ((top & np.uint64(0xFFC0)) == 0xFE80)
    priv6 = ~v4 & ((top & np.uint64(0xFE00)) == 0xFC00)
    return np.where(link4 | link6, 2, np.where(priv4 | priv6, 1, 0))


def assign_remote(p: Packets) -> None:
    """Fill ``p.remote``, ``p.has_remote`` and ``p.remote_port``, each capture (``p.source``) on its own."""
    n = len(p)
    source = p.source if p.source is not None else np.zeros(n, dtype=np.int64)
    src_hi, src_lo = address_words(p.src)
    dst_hi, dst_lo = address_words(p.dst)
    src_own = np.zeros(n, dtype=bool)
    dst_own = np.zeros(n, dtype=bool)
    for version in (4, 6):
        sel = p.has_addr & (p.version == version)
        if not sel.any():
            continue
        hi, lo = np.r_[src_hi[sel], dst_hi[sel]], np.r_[src_lo[sel], dst_lo[sel]]
        files = np.r_[source[sel], source[sel]]
        keep = ~_special(hi, lo)
        hi, lo, files = hi[keep], lo[keep], files[keep]
        if not len(files):
            continue
        first, counts = unique_rows(files, hi, lo)
        rank = _local_rank(hi[first], lo[first])
        f = files[first]
        # per capture: most packets, then link-local, then private, then the lowest address
        order = np.lexsort((np.arange(len(first)), -rank, -counts, f))
        best = order[np.r_[True, f[order][1:] != f[order][:-1]]]
        own_hi = np.full(source.max() + 1, ALL_ONES)
        own_lo = np.full(source.max() + 1, ALL_ONES)
        own_hi[f[best]], own_lo[f[best]] = hi[first[best]], lo[first[best]]
        src_own |= sel & (src_hi == own_hi[source]) & (src_lo == own_lo[source])
        dst_own |= sel & (dst_hi == own_hi[source]) & (dst_lo == own_lo[source])
    far_is_dst = src_own | ~dst_own
    p.remote = np.where(far_is_dst[:, None], p.dst, p.src)
    unspecified = _unspecified(np.where(far_is_dst, dst_hi, src_hi), np.where(far_is_dst, dst_lo, src_lo))
    p.has_remote = p.has_addr & ~(src_own & dst_own) & ~unspecified
    p.remote_port = np.where(far_is_dst, p.dport, p.sport)


@dataclass
class DnsCache:
    """One run's DNS results, so that dpkt parses each distinct message once.

    ``by_payload``: payload less its 2-byte id -> result (setups repeat the same lookups);
    ``by_message``: :func:`dns_key` -> result, for replies that differ only in their TTLs or in what
    follows the answers (IoT Sentinel: 8,513 UDP/53 payloads, 3,324 distinct, 925 distinct messages).
    A result is a tuple of (kind, value) pairs, or False when dpkt could not parse the message.
    """

    by_payload: dict[bytes, tuple | bool] = field(default_factory=dict)
    by_message: dict[bytes, tuple | bool] = field(default_factory=dict)

    def lookup(self, payload: memoryview) -> tuple | bool:
        """The result for the DNS message in ``payload``, parsed only if no equivalent one was."""
        less_id = payload[2:].tobytes()
        found = self.by_payload.get(less_id)
        if found is None:
            message = payload.tobytes()
            key = dns_key(message)
            found = self.by_message.get(key) if key is not None else None
            if found is None:
                found = _parse_dns(message)
                if key is not None:
                    self.by_message[key] = found
            self.by_payload[less_id] = found
        return found


def dns_key(payload: bytes) -> bytes | None:
    """What of a DNS message decides what :func:`_parse_dns` yields: its bytes from the flags to the end of
    the answer section, with each answer's TTL zeroed; None when the message ends before that.

    _parse_dns reads the questions and the answers' types and data only (it zeroes the authority and
    additional counts), so two messages with the same key give the same result. The walk follows the
    label lengths without decoding names; a compression pointer is 2 bytes. This relies on pointers
    pointing at a prior name, as RFC 1035 4.1.4 requires, not forward past the answers or into a TTL.
    """
    if len(payload) < 12:
        return None
    questions, answers = payload[4] << 8 | payload[5], payload[6] << 8 | payload[7]
    off = 12
    try:
        for _ in range(questions):
            off = _skip_name(payload, off) + 4  # type, class
        if not answers:
            return payload[2:off]
        key = bytearray(payload[:off])
        for _ in range(answers):
            name_end = _skip_name(payload, off)
            rdlen = payload[name_end + 8] << 8 | payload[name_end + 9]
            end = name_end + 10 + rdlen
            key += payload[off:name_end + 4]  # name, type, class
            key += bytes(4)  # TTL
            key += payload[name_end + 8:end]  # data length, data
            off = end
    except IndexError:
        return None
    return bytes(key[2:])


def _skip_name(payload: bytes, off: int) -> int:
    """Offset just past the (possibly compressed) name at ``off``; IndexError past the end."""
    while True:
        n = payload[off]
        if n >= 0xC0:
            return off + 2
        if n == 0:
            return off + 1
        off += n + 1


def assign_dns(buf: bytes | np.ndarray, p: Packets, cache: DnsCache | None = None) -> int:
    """Parse UDP/53 payloads with dpkt; fills ``p.dns``; returns how many could not be parsed.

    ``buf`` is the capture buffer ``p`` was decoded from (bytes or uint8 array); ``cache`` the run's
    :class:`DnsCache`. A payload ends at the packet's IP length or its last captured byte.
    """
    p.dns = np.full(len(p), None, dtype=object)
    cache = DnsCache() if cache is None else cache
    idx = np.flatnonzero((p.proto == 17) & (p.transport >= 0) & ((p.sport == 53) | (p.dport == 53)))
    starts = (p.ip_start[idx] + p.transport[idx] + 8).tolist()
    ends = (p.ip_start[idx] + np.minimum(p.ip_captured[idx], p.length[idx])).tolist()
    view = memoryview(buf).cast("B")  # slicing a memoryview is cheaper than slicing an array
    results = [cache.lookup(view[start:end]) for start, end in zip(starts, ends, strict=True)]
    failed = sum(found is False for found in results)
    useful = [i for i, found in enumerate(results) if found]
    if useful:
        p.dns[idx[useful]] = np.fromiter((results[i] for i in useful), dtype=object, count=len(useful))
    return failed


def _parse_dns(payload: bytes) -> tuple | bool:
    """((kind, value), ...) of one DNS message; False when dpkt cannot parse it."""
    # Only questions and answers matter: zeroing the authority/additional counts spares dpkt those records.
    payload = payload[:8] + b"\0\0\0\0" + payload[12:] if len(payload) >= 12 else payload
    try:
        msg = dpkt.dns.DNS(payload)
    except (dpkt.UnpackError, IndexError, ValueError, struct_error):  # dpkt lets struct.error escape
        return False
    found: list[tuple[str, str]] = []
    if msg.qr == dpkt.dns.DNS_Q:
        found += [(OBS_DNS_QUERY, _name(q.name)) for q in msg.qd if q.name]
    elif msg.qd:
        qname = _name(msg.qd[0].name)
        for rr in msg.an:
            if rr.type == dpkt.dns.DNS_A and len(rr.rdata) == 4:
                found.append((OBS_DNS_ANSWER, f"{qname}={socket.inet_ntop(socket.AF_INET, rr.rdata)}"))
            elif rr.type == dpkt.dns.DNS_AAAA and len(rr.rdata) == 16:
                found.append((OBS_DNS_ANSWER, f"{qname}={socket.inet_ntop(socket.AF_INET6, rr.rdata)}"))
    return tuple(found)


def _name(name: str) -> str:
    return name.lower().rstrip(".")


@functools.lru_cache(maxsize=65536)
def format_ip(addr: bytes) -> str:
    ip = ipaddress.IPv6Address(addr)
    return str(ip.ipv4_mapped or ip)


@functools.lru_cache(maxsize=4096)
def vendor(mac: int) -> str | None:
    """The MAC's OUI registrant from netaddr's bundled registry; None when unregistered."""
    try:
        return str(EUI(mac).oui.registration().org)
    except (NotRegisteredError, IndexError, ValueError):
        return None


def summarize(obj: np.ndarray, p: Packets, ids: list[str], prefer: list[set[int]]) -> dict[str, list]:
    """Observation rows of all objects at once, as columns (device_id, kind, value, count) sorted by
    device_id, kind, value.

    ``obj`` (n,) object index of each packet into ``ids``; ``prefer[i]`` the MACs the device table gives
    object i's device (the MAC row is one of them when seen, else the most frequent unicast MAC).
    Rows are kept as four lists, not one tuple each: ~20,000 live tuples made the garbage collector
    run full collections during ingest.
    """
    dev: list[str] = []
    kinds: list[str] = []
    values: list[str] = []
    counts_: list[int] = []

    def add(owners: list[int], kind: str, vals, counts: list[int]) -> None:
        dev.extend([ids[o] for o in owners])
        kinds.extend([kind] * len(owners))
        values.extend(vals)
        counts_.extend(counts)

    if p.has_remote is not None and p.has_remote.any():
        sel = p.has_remote
        remote, owner = p.remote[sel], obj[sel]
        first, counts = unique_rows(owner, *address_words(remote))
        add(owner[first].tolist(), OBS_REMOTE_IP, [format_ip(remote[i].tobytes()) for i in first.tolist()],
            counts.tolist())
    if p.remote_port is not None:
        sel = (p.remote_port >= 0) & np.isin(p.proto, list(PROTOCOL_NAMES))
        if sel.any():
            o_, proto_, port_ = obj[sel], p.proto[sel], p.remote_port[sel]
            first, counts = unique_rows(o_, proto_, port_)
            add(o_[first].tolist(), OBS_REMOTE_PORT,
                [f"{PROTOCOL_NAMES[proto]}/{port}" for proto, port in zip(proto_[first].tolist(), port_[first].tolist(),
                                                                           strict=True)],
                counts.tolist())
    if p.dns is not None:
        with_dns = np.flatnonzero(p.dns)  # entries are None or non-empty tuples
        # Packets of one object repeat the same few results (shared tuples): count those pairs first.
        names = Counter()
        for (o, found), c in Counter(zip(obj[with_dns].tolist(), p.dns[with_dns].tolist(), strict=True)).items():
            for kind, value in found:
                names[(o, kind, value)] += c
        for (o, kind, value), c in names.items():
            dev.append(ids[o])
            kinds.append(kind)
            values.append(value)
            counts_.append(c)
    macs = np.r_[p.src_mac, p.dst_mac]
    owner = np.r_[obj, obj]
    valid = (macs >= 0) & ((macs >> 40) & 1 == 0)  # drop absent and group (multicast/broadcast) MACs
    if valid.any():
        owner, macs = owner[valid], macs[valid]
        first, counts = unique_rows(owner, macs)
        best: dict[int, tuple[bool, int, int]] = {}  # object -> (preferred, count, -mac) of the best MAC
        for o, mac, c in zip(owner[first].tolist(), macs[first].tolist(), counts.tolist(), strict=True):
            score = (mac in prefer[o], c, -mac)
            if o not in best or score > best[o]:
                best[o] = score
        for o, (_, c, neg_mac) in best.items():
            add([o], OBS_MAC, [format_mac(-neg_mac)], [c])
            org = vendor(-neg_mac)
            if org:
                add([o], OBS_MAC_VENDOR, [org], [c])
    # (device_id, kind, value) is unique, so stable sorts by value, then kind, then device_id give the
    # order of sorting whole rows.
    order = list(range(len(dev)))
    for column in (values, kinds, dev):
        order.sort(key=column.__getitem__)
    return {name: [col[i] for i in order]
            for name, col in zip(OBSERVATION_COLUMNS, (dev, kinds, values, counts_), strict=True)}


def observation_frame(columns: dict[str, list]) -> pd.DataFrame:
    """The observations table from :func:`summarize`'s columns."""
    return pd.DataFrame({name: columns[name] for name in OBSERVATION_COLUMNS}, columns=list(OBSERVATION_COLUMNS)).astype(
        {"device_id": str, "kind": str, "value": str, "count": "int64"})
