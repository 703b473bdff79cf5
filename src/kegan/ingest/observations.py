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
from .packets import V4_MAPPED, Packets

PROTOCOL_NAMES = {6: "tcp", 17: "udp", 132: "sctp"}
V16 = np.dtype((np.void, 16))


def as_void(addrs: np.ndarray) -> np.ndarray:
    """(n, 16) uint8 addresses -> (n,) opaque 16-byte scalars, for equality and np.unique."""
    return np.ascontiguousarray(addrs).view(V16).ravel()


def _special(addrs: np.ndarray) -> np.ndarray:
    """(n,) bool: unspecified, multicast or broadcast addresses (never an object's own address)."""
    v4 = (addrs[:, :12] == V4_MAPPED).all(axis=1)
    zero = ~addrs.any(axis=1) | (v4 & ~addrs[:, 12:].any(axis=1))
    v4_group = v4 & ((addrs[:, 12] >= 224) | (addrs[:, 12:] == 255).all(axis=1))
    return zero | v4_group | (~v4 & (addrs[:, 0] == 0xFF))


def _unspecified(addrs: np.ndarray) -> np.ndarray:
    v4 = (addrs[:, :12] == V4_MAPPED).all(axis=1)
    return ~addrs.any(axis=1) | (v4 & ~addrs[:, 12:].any(axis=1))


def _local_rank(addr: bytes) -> int:
    ip = ipaddress.IPv6Address(addr)
    ip = ip.ipv4_mapped or ip
    return 2 if ip.is_link_local else int(ip.is_private)


def assign_remote(p: Packets) -> None:
    """Fill ``p.remote``, ``p.has_remote`` and ``p.remote_port`` for the packets of one capture."""
    n = len(p)
    src, dst = as_void(p.src), as_void(p.dst)
    src_own = np.zeros(n, dtype=bool)
    dst_own = np.zeros(n, dtype=bool)
    for version in (4, 6):
        sel = p.has_addr & (p.version == version)
        if not sel.any():
            continue
        both = np.r_[p.src[sel], p.dst[sel]]
        both = both[~_special(both)]
        if not len(both):
            continue
        uniq, counts = np.unique(as_void(both), return_counts=True)
        top = np.flatnonzero(counts == counts.max())
        # ties (a capture of one packet): prefer a link-local, then a private address, then the lowest
        own = uniq[min(top, key=lambda i: (-_local_rank(uniq[i].tobytes()), i))]
        src_own |= sel & (src == own)
        dst_own |= sel & (dst == own)
    p.remote = np.where((src_own | ~dst_own)[:, None], p.dst, p.src)
    p.has_remote = p.has_addr & ~(src_own & dst_own) & ~_unspecified(p.remote)
    p.remote_port = np.where(src_own | ~dst_own, p.dport, p.sport)


def assign_dns(buf: bytes, p: Packets, cache: dict[bytes, tuple | None] | None = None) -> int:
    """Parse UDP/53 payloads with dpkt; fills ``p.dns``; returns how many could not be parsed.

    ``cache`` maps a payload without its 2-byte transaction id to what it yielded: setups repeat the
    same questions and answers, so most messages are parsed once per run.
    """
    p.dns = np.full(len(p), None, dtype=object)
    cache = {} if cache is None else cache
    idx = np.flatnonzero((p.proto == 17) & (p.transport >= 0) & ((p.sport == 53) | (p.dport == 53)))
    failed = 0
    for i in idx.tolist():
        start = int(p.ip_start[i] + p.transport[i] + 8)
        end = int(p.ip_start[i] + min(p.ip_captured[i], p.length[i]))
        key = buf[start + 2:end]
        if key not in cache:
            cache[key] = _parse_dns(buf[start:end])
        found = cache[key]
        if found is False:
            failed += 1
        elif found:
            p.dns[i] = found
    return failed


def _parse_dns(payload: bytes) -> tuple | bool:
    """((kind, value), ...) of one DNS message; False when dpkt cannot parse it."""
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


def choose_mac(p: Packets, prefer: set[int]) -> tuple[int, int] | None:
    """(MAC, frames) the object shows: a MAC of its device-table row if seen, else the most frequent
    unicast MAC; None when the link layer had no MACs."""
    macs = np.r_[p.src_mac, p.dst_mac]
    macs = macs[(macs >= 0) & ((macs >> 40) & 1 == 0)]  # drop absent and group (multicast/broadcast) MACs
    if not len(macs):
        return None
    uniq, counts = np.unique(macs, return_counts=True)
    preferred = np.isin(uniq, list(prefer)) if prefer else np.zeros(len(uniq), bool)
    pool = np.flatnonzero(preferred) if preferred.any() else np.arange(len(uniq))
    best = pool[np.argmax(counts[pool])]
    return int(uniq[best]), int(counts[best])


@functools.lru_cache(maxsize=4096)
def vendor(mac: int) -> str | None:
    """The MAC's OUI registrant from netaddr's bundled registry; None when unregistered."""
    try:
        return str(EUI(mac).oui.registration().org)
    except (NotRegisteredError, IndexError, ValueError):
        return None


def summarize(device_id: str, p: Packets, prefer_macs: set[int]) -> list[tuple[str, str, str, int]]:
    """Observation rows (device_id, kind, value, count) of one object's packets."""
    rows: list[tuple[str, str, str, int]] = []
    if p.has_remote is not None and p.has_remote.any():
        uniq, counts = np.unique(as_void(p.remote[p.has_remote]), return_counts=True)
        rows += [(device_id, OBS_REMOTE_IP, format_ip(u.tobytes()), int(c)) for u, c in zip(uniq, counts, strict=True)]
    if p.remote_port is not None:
        sel = (p.remote_port >= 0) & np.isin(p.proto, list(PROTOCOL_NAMES))
        if sel.any():
            pairs, counts = np.unique(np.c_[p.proto[sel], p.remote_port[sel]], axis=0, return_counts=True)
            rows += [(device_id, OBS_REMOTE_PORT, f"{PROTOCOL_NAMES[proto]}/{port}", c)
                     for (proto, port), c in zip(pairs.tolist(), counts.tolist(), strict=True)]
    if p.dns is not None:
        names = Counter(pair for found in p.dns if found for pair in found)
        rows += [(device_id, kind, value, c) for (kind, value), c in names.items()]
    mac = choose_mac(p, prefer_macs)
    if mac is not None:
        rows.append((device_id, OBS_MAC, format_mac(mac[0]), mac[1]))
        org = vendor(mac[0])
        if org:
            rows.append((device_id, OBS_MAC_VENDOR, org, mac[1]))
    return sorted(rows)


def observation_frame(rows: list[tuple[str, str, str, int]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=list(OBSERVATION_COLUMNS)).astype(
        {"device_id": str, "kind": str, "value": str, "count": "int64"})
