"""Link layers: where the IP header starts in each frame, and the MAC addresses the frame carries.

Supported LINKTYPE_* values: Ethernet (1, with one or two 802.1Q/802.1ad VLAN tags), raw IP (101, and
the DLT values 12 and 14 some systems write; 228 IPv4, 229 IPv6), Linux cooked SLL (113) and SLL2
(276), BSD loopback (0 NULL in the capturing host's byte order, 108 LOOP in network order).
Everything here works on all frames of one link type at once.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import DataError
from .frames import gather

ETHERNET, NULL, LOOP, SLL, SLL2 = 1, 0, 108, 113, 276
RAW = (12, 14, 101)
IPV4_ONLY, IPV6_ONLY = 228, 229
SUPPORTED = {ETHERNET, NULL, LOOP, SLL, SLL2, *RAW, IPV4_ONLY, IPV6_ONLY}

# Names for error messages (tcpdump.org/linktypes.html); not exhaustive.
LINKTYPE_NAMES = {
    0: "NULL", 1: "ETHERNET", 3: "AX25", 6: "IEEE802_5", 7: "ARCNET_BSD", 8: "SLIP", 9: "PPP", 10: "FDDI",
    12: "RAW (DLT 12)", 14: "RAW (DLT 14)", 50: "PPP_HDLC", 51: "PPP_ETHER", 100: "ATM_RFC1483", 101: "RAW",
    104: "C_HDLC", 105: "IEEE802_11", 107: "FRELAY", 108: "LOOP", 113: "LINUX_SLL", 114: "LTALK",
    117: "PFLOG", 119: "IEEE802_11_PRISM", 122: "IP_OVER_FC", 127: "IEEE802_11_RADIOTAP", 143: "DOCSIS",
    147: "USER0", 163: "IEEE802_11_AVS", 187: "BLUETOOTH_HCI_H4", 189: "USB_LINUX", 192: "PPI",
    195: "IEEE802_15_4_WITHFCS", 201: "BLUETOOTH_HCI_H4_WITH_PHDR", 215: "IEEE802_15_4_NONASK_PHY",
    220: "USB_LINUX_MMAPPED", 228: "IPV4", 229: "IPV6", 230: "IEEE802_15_4_NOFCS", 231: "DBUS",
    239: "NFLOG", 249: "USBPCAP", 251: "BLUETOOTH_LE_LL", 253: "NETLINK", 256: "BLUETOOTH_LE_LL_WITH_PHDR",
    276: "LINUX_SLL2", 283: "IEEE802_15_4_TAP", 294: "ZWAVE_R1_R2", 295: "ZWAVE_R3",
}

ETH_IPV4, ETH_IPV6 = 0x0800, 0x86DD
VLAN_TPIDS = (0x8100, 0x88A8, 0x9100)
# Address family numbers for IPv6 differ between BSDs (24 NetBSD/OpenBSD, 28 FreeBSD, 30 Darwin) and Linux (10).
AF_INET = (2,)
AF_INET6 = (10, 24, 28, 30)


def linktype_name(number: int) -> str:
    return LINKTYPE_NAMES.get(int(number), "unknown")


def check_linktype(number: int, where: str) -> None:
    """Raise DataError naming the link type when kegan cannot find IP headers in its frames."""
    if int(number) not in SUPPORTED:
        supported = "Ethernet (1), raw IP (101/12/14/228/229), Linux SLL (113), SLL2 (276), BSD loopback (0/108)"
        raise DataError(
            f"{where}: unsupported link type {int(number)} ({linktype_name(number)}); expected one of {supported}"
        )


@dataclass
class LinkInfo:
    """Per-frame link decoding; arrays of shape (n,), int64.

    ``ip_offset`` counts from the frame's first byte, -1 for frames that carry no IPv4/IPv6;
    ``version`` is the IP version the link layer announces (4, 6, or 0 = look at the IP header);
    ``src_mac``/``dst_mac`` are 48-bit MACs as integers, -1 when the link layer has none.
    """

    ip_offset: np.ndarray
    version: np.ndarray
    src_mac: np.ndarray
    dst_mac: np.ndarray


def _be16(arr: np.ndarray, pos: np.ndarray) -> np.ndarray:
    return gather(arr, pos, 2).view(">u2")[:, 0].astype(np.int64)


def _be32(arr: np.ndarray, pos: np.ndarray) -> np.ndarray:
    return gather(arr, pos, 4).view(">u4")[:, 0].astype(np.int64)


def _le32(arr: np.ndarray, pos: np.ndarray) -> np.ndarray:
    return gather(arr, pos, 4).view("<u4")[:, 0].astype(np.int64)


def _mac(arr: np.ndarray, pos: np.ndarray) -> np.ndarray:
    # 8 bytes ending at the MAC's last byte, read as one big-endian word, keep the low 48 bits.
    # pos - 2 is never before the buffer: every frame follows a file or record header.
    words = gather(arr, pos - 2, 8).view(">u8")[:, 0]
    return (words & np.uint64(0xFFFFFFFFFFFF)).astype(np.int64)


def _from_ethertype(ethertype: np.ndarray, offset: np.ndarray | int, n: int) -> tuple[np.ndarray, np.ndarray]:
    ip = (ethertype == ETH_IPV4) | (ethertype == ETH_IPV6)
    version = np.where(ethertype == ETH_IPV4, 4, np.where(ethertype == ETH_IPV6, 6, 0))
    return np.where(ip, np.broadcast_to(offset, (n,)), -1), version


def decode_link(arr: np.ndarray, start: np.ndarray, captured: np.ndarray, linktype: int) -> LinkInfo:
    """Link decoding of frames that all have ``linktype``.

    ``arr`` is the capture buffer as uint8, padded with at least 64 zero bytes so that reading a
    header past a short frame's end stays inside it; ``start`` (n,) frame offsets in ``arr``;
    ``captured`` (n,) captured bytes per frame (header fields beyond them count as absent).
    """
    n = len(start)
    none = np.full(n, -1, dtype=np.int64)
    if linktype == ETHERNET:
        # bytes -2..14 of each frame as two big-endian words: (2 bytes before it, destination MAC),
        # (source MAC, EtherType). pos - 2 is never before the buffer: a frame follows a file or record header.
        words = gather(arr, start - 2, 16).view(">u8")  # (n, 2)
        has_mac = captured >= 12
        dst_mac = np.where(has_mac, (words[:, 0] & np.uint64(0xFFFFFFFFFFFF)).astype(np.int64), -1)
        src_mac = np.where(has_mac, (words[:, 1] >> np.uint64(16)).astype(np.int64), -1)
        ethertype = (words[:, 1] & np.uint64(0xFFFF)).astype(np.int64)
        offset = np.full(n, 14, dtype=np.int64)
        for _ in range(2):  # 802.1Q, or 802.1ad outer + 802.1Q inner tag (QinQ); tags are rare: read only those
            tagged = np.flatnonzero(np.isin(ethertype, VLAN_TPIDS))
            if not len(tagged):
                break
            ethertype[tagged] = _be16(arr, start[tagged] + offset[tagged] + 2)
            offset[tagged] += 4
        ip_offset, version = _from_ethertype(ethertype, offset, n)
        ip_offset = np.where(captured >= offset, ip_offset, -1)
        return LinkInfo(ip_offset, version, src_mac, dst_mac)
    if linktype in RAW or linktype in (IPV4_ONLY, IPV6_ONLY):
        version = np.full(n, {IPV4_ONLY: 4, IPV6_ONLY: 6}.get(linktype, 0), dtype=np.int64)
        return LinkInfo(np.zeros(n, dtype=np.int64), version, none, none)
    if linktype == SLL:
        # 16 bytes: packet type, ARPHRD type, address length, 8 address bytes, protocol
        ip_offset, version = _from_ethertype(_be16(arr, start + 14), 16, n)
        ether_addr = (_be16(arr, start + 2) == 1) & (_be16(arr, start + 4) == 6) & (captured >= 12)
        return LinkInfo(np.where(captured >= 16, ip_offset, -1), version,
                        np.where(ether_addr, _mac(arr, start + 6), -1), none)
    if linktype == SLL2:
        # 20 bytes: protocol, reserved, interface index, ARPHRD type, packet type, address length, 8 address bytes
        ip_offset, version = _from_ethertype(_be16(arr, start), 20, n)
        ether_addr = (_be16(arr, start + 8) == 1) & (arr[start + 11] == 6) & (captured >= 18)
        return LinkInfo(np.where(captured >= 20, ip_offset, -1), version,
                        np.where(ether_addr, _mac(arr, start + 12), -1), none)
    if linktype in (NULL, LOOP):
        family = _be32(arr, start)
        if linktype == NULL:  # host byte order of the capturing machine: take the reading that is small
            little = _le32(arr, start)
            family = np.where(little < 256, little, family)
        version = np.where(np.isin(family, AF_INET), 4, np.where(np.isin(family, AF_INET6), 6, 0))
        ip_offset = np.where((version > 0) & (captured >= 4), 4, -1)
        return LinkInfo(ip_offset, version, none, none)
    check_linktype(linktype, "frame")
    raise AssertionError("unreachable")  # check_linktype raised for anything not handled above
