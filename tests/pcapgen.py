"""Tiny captures written byte by byte, for the ingest tests: IP packets, every supported link layer,
and every container (classic pcap in both byte orders with micro- or nanosecond stamps, pcapng with
several interfaces and link types, gzip). Nothing here uses kegan or dpkt, so the tests check kegan's
readers against an independent writer.
"""

from __future__ import annotations

import gzip
import ipaddress
import struct
from dataclasses import dataclass

DEV_MAC = bytes.fromhex("aabbcc000001")
GW_MAC = bytes.fromhex("aabbcc0000fe")
BROADCAST_MAC = b"\xff" * 6
T0 = 1_600_000_000 * 10**9  # ns; every test time is a whole microsecond so usec pcaps keep it exactly

LINKTYPE = {"ethernet": 1, "vlan": 1, "qinq": 1, "raw": 101, "raw12": 12, "raw14": 14, "ipv4": 228, "ipv6": 229,
            "sll": 113, "sll2": 276, "null_le": 0, "null_be": 0, "loop": 108}


# -- IP and transport ----------------------------------------------------------------------------
def _checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    s = (s >> 16) + (s & 0xFFFF)
    return ~(s + (s >> 16)) & 0xFFFF


def ipv4(src: str, dst: str, proto: int, payload: bytes, ident: int = 1, ttl: int = 64) -> bytes:
    header = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), ident, 0x4000, ttl, proto, 0,
                         ipaddress.IPv4Address(src).packed, ipaddress.IPv4Address(dst).packed)
    header = header[:10] + struct.pack("!H", _checksum(header)) + header[12:]
    return header + payload


def ipv6(src: str, dst: str, next_header: int, payload: bytes) -> bytes:
    return struct.pack("!IHBB16s16s", 6 << 28, len(payload), next_header, 64,
                       ipaddress.IPv6Address(src).packed, ipaddress.IPv6Address(dst).packed) + payload


def udp(sport: int, dport: int, payload: bytes = b"") -> bytes:
    return struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload


def tcp(sport: int, dport: int, payload: bytes = b"", seq: int = 1) -> bytes:
    return struct.pack("!HHIIBBHHH", sport, dport, seq, 0, 5 << 4, 0x18, 65535, 0, 0) + payload


def _qname(name: str) -> bytes:
    return b"".join(bytes([len(p)]) + p.encode() for p in name.split(".")) + b"\0"


def dns_query(name: str, ident: int = 0x1234) -> bytes:
    return struct.pack("!HHHHHH", ident, 0x0100, 1, 0, 0, 0) + _qname(name) + struct.pack("!HH", 1, 1)


def dns_answer(name: str, addresses: list[str], ident: int = 0x1234) -> bytes:
    out = struct.pack("!HHHHHH", ident, 0x8180, 1, len(addresses), 0, 0) + _qname(name) + struct.pack("!HH", 1, 1)
    for a in addresses:
        ip = ipaddress.ip_address(a)
        out += struct.pack("!HHHIH", 0xC00C, 1 if ip.version == 4 else 28, 1, 60, len(ip.packed)) + ip.packed
    return out


# -- link layers ---------------------------------------------------------------------------------
@dataclass
class Packet:
    """One IP packet at ``t_ns`` with the MACs an Ethernet frame would carry."""

    t_ns: int
    ip: bytes
    src_mac: bytes = DEV_MAC
    dst_mac: bytes = GW_MAC


def frame(link: str, p: Packet) -> bytes:
    """The packet wrapped in link layer ``link`` (a key of LINKTYPE)."""
    version = p.ip[0] >> 4
    ethertype = 0x0800 if version == 4 else 0x86DD
    if link == "ethernet":
        return p.dst_mac + p.src_mac + struct.pack("!H", ethertype) + p.ip
    if link == "vlan":
        return p.dst_mac + p.src_mac + struct.pack("!HHH", 0x8100, 42, ethertype) + p.ip
    if link == "qinq":
        return p.dst_mac + p.src_mac + struct.pack("!HHHHH", 0x88A8, 7, 0x8100, 42, ethertype) + p.ip
    if link in ("raw", "raw12", "raw14", "ipv4", "ipv6"):
        return p.ip
    if link == "sll":  # sent by us (packet type 4), ARPHRD_ETHER, 6-byte address
        return struct.pack("!HHH", 4, 1, 6) + p.src_mac + b"\0\0" + struct.pack("!H", ethertype) + p.ip
    if link == "sll2":
        return struct.pack("!HHIHBB", ethertype, 0, 3, 1, 4, 6) + p.src_mac + b"\0\0" + p.ip
    if link in ("null_le", "null_be", "loop"):
        family = 2 if version == 4 else 30
        order = "<" if link == "null_le" else ">"
        return struct.pack(order + "I", family) + p.ip
    raise ValueError(link)


def arp_frame() -> bytes:
    """An Ethernet ARP request: a frame that carries no IP packet."""
    body = struct.pack("!HHBBH", 1, 0x0800, 6, 4, 1) + DEV_MAC + bytes([192, 168, 1, 10]) + bytes(6) + bytes([192, 168, 1, 1])
    return BROADCAST_MAC + DEV_MAC + struct.pack("!H", 0x0806) + body


# -- containers ----------------------------------------------------------------------------------
Record = tuple[int, bytes, int]  # (t_ns, frame bytes as captured, original length)


def records(link: str, packets: list[Packet], snaplen: int | None = None) -> list[Record]:
    out = []
    for p in packets:
        data = frame(link, p)
        out.append((p.t_ns, data[:snaplen] if snaplen else data, len(data)))
    return out


def pcap(recs: list[Record], linktype: int, nano: bool = False, big: bool = False, snaplen: int = 65535) -> bytes:
    o = ">" if big else "<"
    magic = 0xA1B23C4D if nano else 0xA1B2C3D4
    out = [struct.pack(o + "IHHiIII", magic, 2, 4, 0, 0, snaplen, linktype)]
    for t, data, orig in recs:
        sec, ns = divmod(t, 10**9)
        out.append(struct.pack(o + "IIII", sec, ns if nano else ns // 1000, len(data), orig) + data)
    return b"".join(out)


def _block(o: str, btype: int, body: bytes) -> bytes:
    body += b"\0" * (-len(body) % 4)
    n = len(body) + 12
    return struct.pack(o + "II", btype, n) + body + struct.pack(o + "I", n)


def pcapng(recs: list[tuple[int, int, bytes, int]], linktypes: list[int], tsresol: list[int] | None = None,
           big: bool = False, tsoffset: list[int] | None = None, blocks: list[str] | None = None) -> bytes:
    """One pcapng section (concatenate several for a multi-section file). ``recs``: (interface, t_ns,
    data, original length); interface i has ``linktypes[i]``, the if_tsresol byte ``tsresol[i]``
    (default 6: 10**-6 s; with the high bit set, 2**-(low 7 bits) s) and if_tsoffset ``tsoffset[i]``
    seconds (default none). ``blocks[j]`` is recs[j]'s block type: "epb" (default), "opb" (obsolete
    Packet Block) or "spb" (Simple Packet Block: no interface, no timestamp)."""
    o = ">" if big else "<"
    tsresol = tsresol or [6] * len(linktypes)
    tsoffset = tsoffset or [0] * len(linktypes)
    out = [_block(o, 0x0A0D0D0A, struct.pack(o + "IHHq", 0x1A2B3C4D, 1, 0, -1))]
    for lt, res, offset in zip(linktypes, tsresol, tsoffset, strict=True):
        options = struct.pack(o + "HH", 9, 1) + bytes([res]) + b"\0\0\0"
        if offset:
            options += struct.pack(o + "HHq", 14, 8, offset)
        out.append(_block(o, 1, struct.pack(o + "HHI", lt, 0, 65535) + options + struct.pack(o + "HH", 0, 0)))
    for (iface, t, data, orig), kind in zip(recs, blocks or ["epb"] * len(recs), strict=True):
        ticks = _ticks(t - tsoffset[iface] * 10**9, tsresol[iface])
        high, low = ticks >> 32, ticks & 0xFFFFFFFF
        if kind == "epb":
            out.append(_block(o, 6, struct.pack(o + "IIIII", iface, high, low, len(data), orig) + data))
        elif kind == "opb":  # interface id and drops count are 16 bits each
            out.append(_block(o, 2, struct.pack(o + "HHIIII", iface, 0, high, low, len(data), orig) + data))
        elif kind == "spb":
            out.append(_block(o, 3, struct.pack(o + "I", orig) + data))
        else:
            raise ValueError(kind)
    return b"".join(out)


def _ticks(t_ns: int, tsresol: int) -> int:
    """``t_ns`` in units of the if_tsresol byte, rounded to the nearest unit."""
    if tsresol & 0x80:
        per_second = 2 ** (tsresol & 0x7F)
    else:
        per_second = 10**tsresol
    return (t_ns * per_second + 10**9 // 2) // 10**9


def gz(data: bytes) -> bytes:
    return gzip.compress(data, mtime=0)


# -- a small device's traffic --------------------------------------------------------------------
DEV_IP, GW_IP, CLOUD_IP = "192.168.1.10", "192.168.1.1", "203.0.113.5"
DEV_IP6, CLOUD_IP6 = "fe80::1", "2001:db8::5"


def device_traffic(n_extra: int = 12) -> list[Packet]:
    """DNS lookup, a TCP exchange with the cloud, NTP, IPv6, over ~4.6 s (one device's capture)."""
    ms = 1_000_000
    pk = [
        Packet(T0, ipv4(DEV_IP, GW_IP, 17, udp(40000, 53, dns_query("api.example.com")))),
        Packet(T0 + 20 * ms, ipv4(GW_IP, DEV_IP, 17, udp(53, 40000, dns_answer("api.example.com", [CLOUD_IP]))),
               GW_MAC, DEV_MAC),
        Packet(T0 + 300 * ms, ipv4(DEV_IP, "203.0.113.9", 17, udp(123, 123, bytes(48)))),
        Packet(T0 + 2_500 * ms, ipv6(DEV_IP6, CLOUD_IP6, 6, tcp(50000, 443, b"x" * 20))),
    ]
    for i in range(n_extra):
        t = T0 + 1_000 * ms + i * 250 * ms + 7_000 * (i % 3)
        if i % 2 == 0:
            pk.append(Packet(t, ipv4(DEV_IP, CLOUD_IP, 6, tcp(50001, 443, b"y" * (10 * i), seq=i), ident=i)))
        else:
            pk.append(Packet(t, ipv4(CLOUD_IP, DEV_IP, 6, tcp(443, 50001, b"z" * 300, seq=i), ident=i), GW_MAC, DEV_MAC))
    return sorted(pk, key=lambda p: p.t_ns)
