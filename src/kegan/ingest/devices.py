"""Which device a capture (or a table row) belongs to, and what the device table says about it.

A device is found, in this order, by
1. the manifest (a CSV/Parquet with columns ``file`` and ``device``),
2. the folder: the nearest folder above the file, up to and including the input root, whose name is a
   ``device`` in the device table (the IoT Sentinel layout ``captures/<device>/<setup>.pcap``),
3. key columns of the device table: ``mac`` and/or ``ip`` (several values as ``a|b``); the device whose
   key appears in the most packets of the capture wins.
A MAC or IP shared by several devices (IoT Sentinel: a sensor paired through its hub) cannot decide
between them: when key matching ends in such a tie it is an error that asks for a folder or manifest.
"""

from __future__ import annotations

import functools
import ipaddress
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import DataError
from .packets import Packets

KEY_COLUMNS = ("mac", "ip")  # device-table columns that identify a device in traffic, besides ``device``


def read_frame(path: Path, what: str) -> pd.DataFrame:
    """A CSV or Parquet file as a DataFrame of strings ('' for missing); DataError when unreadable."""
    if not path.is_file():
        raise DataError(f"{path}: {what} not found")
    try:
        if path.suffix.lower() == ".parquet":
            frame = pd.read_parquet(path)
            return frame.astype(object).where(frame.notna(), "").astype(str)
        return pd.read_csv(path, dtype=str, keep_default_na=False)
    except DataError:
        raise
    except Exception as e:  # noqa: BLE001 - any parser failure is a bad file to the user
        raise DataError(f"{path}: cannot be read as a {what} (CSV or Parquet): {e}") from e


def _row(path: Path, i: int) -> str:
    return f"{path} row {i}" + (f" (line {i + 2})" if path.suffix.lower() != ".parquet" else "")


def parse_mac(text: str, where: str) -> int:
    """'b0:c5:54:25:5b:0e' (or with '-', '.', no separators) -> 48-bit integer."""
    digits = re.sub(r"[:\-.\s]", "", text)
    if not re.fullmatch(r"[0-9A-Fa-f]{12}", digits):
        raise DataError(f"{where}: {text!r} is not a MAC address (expected six hex bytes like b0:c5:54:25:5b:0e)")
    return int(digits, 16)


def format_mac(value: int) -> str:
    return ":".join(f"{(value >> s) & 0xFF:02x}" for s in range(40, -8, -8))


def ip_key(text: str, where: str) -> bytes:
    """An IP address as its 16-byte form (IPv4 as ::ffff:a.b.c.d), the form ``Packets`` holds."""
    try:
        addr = ipaddress.ip_address(text.strip())
    except ValueError as e:
        raise DataError(f"{where}: {text!r} is not an IP address") from e
    if addr.version == 4:
        return bytes(10) + b"\xff\xff" + addr.packed
    return addr.packed


@dataclass
class DeviceTable:
    """The device table: one row per device, string columns, ``device`` and ``category`` required."""

    path: Path
    frame: pd.DataFrame
    key_columns: list[str]
    macs: dict[int, list[str]] = field(default_factory=dict)
    ips: dict[bytes, list[str]] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path) -> DeviceTable:
        """Read and check the table; DataError names the row and column at fault."""
        path = Path(path)
        frame = read_frame(path, "device table")
        frame.columns = [str(c).strip() for c in frame.columns]
        missing = [c for c in ("device", "category") if c not in frame.columns]
        if missing:
            raise DataError(f"{path}: device table lacks column(s) {', '.join(map(repr, missing))} "
                            f"(has {', '.join(map(repr, frame.columns))})")
        frame = frame.apply(lambda col: col.str.strip())
        for col in ("device", "category"):
            empty = np.flatnonzero((frame[col] == "").to_numpy())
            if len(empty):
                raise DataError(f"{_row(path, int(empty[0]))}: {col} is empty")
        dup = frame["device"].duplicated(keep="first").to_numpy()
        if dup.any():
            i = int(np.flatnonzero(dup)[0])
            raise DataError(f"{_row(path, i)}: device {frame['device'].iloc[i]!r} appears twice in the device table")
        keys = [c for c in KEY_COLUMNS if c in frame.columns]
        table = cls(path=path, frame=frame.reset_index(drop=True), key_columns=["device", *keys])
        for i, row in frame.iterrows():
            for col in keys:
                for value in filter(None, (v.strip() for v in row[col].split("|"))):
                    where = f"{_row(path, int(i))} column {col!r}"
                    if col == "mac":
                        table.macs.setdefault(parse_mac(value, where), []).append(row["device"])
                    else:
                        table.ips.setdefault(ip_key(value, where), []).append(row["device"])
        return table

    @functools.cached_property
    def names(self) -> list[str]:
        return self.frame["device"].tolist()

    @functools.cached_property
    def name_set(self) -> frozenset[str]:
        return frozenset(self.names)

    def row(self, device: str) -> dict[str, str]:
        """The table's columns for ``device`` (all strings)."""
        return self.frame.loc[self.frame["device"] == device].iloc[0].to_dict()

    def by_key(self, value: str) -> list[str]:
        """Devices a key value names: a device name, or a MAC or IP in a key column."""
        if value in self.name_set:
            return [value]
        try:
            return list(self.macs.get(parse_mac(value, ""), []))
        except DataError:
            pass
        try:
            return list(self.ips.get(ip_key(value, ""), []))
        except DataError:
            return []

    def by_traffic(self, packets: Packets, name: str) -> str | None:
        """The device whose MAC/IP key appears in the most packets; None when no key appears.

        Raises DataError when the best key is shared by several devices (it cannot tell them apart).
        """
        best: tuple[int, list[str], str] = (0, [], "")
        if self.macs:
            macs, counts = np.unique(np.r_[packets.src_mac, packets.dst_mac], return_counts=True)
            for mac, count in zip(macs.tolist(), counts.tolist(), strict=True):
                if mac in self.macs and count > best[0]:
                    best = (count, self.macs[mac], f"MAC {format_mac(mac)}")
        if self.ips and len(packets):
            addrs = np.r_[packets.src[packets.has_addr], packets.dst[packets.has_addr]]
            if len(addrs):
                uniq, counts = np.unique(addrs, axis=0, return_counts=True)
                for addr, count in zip(uniq, counts.tolist(), strict=True):
                    devs = self.ips.get(addr.tobytes())
                    if devs and count > best[0]:
                        best = (count, devs, f"IP {ipaddress.ip_address(addr.tobytes()).ipv4_mapped or ipaddress.ip_address(addr.tobytes())}")
        count, devs, key = best
        if not devs:
            return None
        if len(set(devs)) > 1:
            raise DataError(
                f"{name}: its traffic matches {key}, which the device table {self.path} gives to several devices "
                f"({', '.join(sorted(set(devs)))}); the key cannot tell them apart -- put the capture in a folder "
                f"named after its device or name the device in a --manifest"
            )
        return devs[0]


@dataclass
class Manifest:
    """File -> device assignments from a CSV/Parquet with columns ``file`` and ``device``.

    ``file`` is a path relative to the input root (as in ``device_id``), or a path relative to the
    manifest's folder, or an absolute path.
    """

    path: Path
    relative: dict[str, str]
    absolute: dict[str, str]

    @classmethod
    def load(cls, path: Path, table: DeviceTable) -> Manifest:
        path = Path(path)
        frame = read_frame(path, "manifest")
        missing = [c for c in ("file", "device") if c not in frame.columns]
        if missing:
            raise DataError(f"{path}: manifest lacks column(s) {', '.join(map(repr, missing))} "
                            f"(has {', '.join(map(repr, frame.columns))})")
        known = set(table.names)
        relative: dict[str, str] = {}
        absolute: dict[str, str] = {}
        for i, (file, device) in enumerate(zip(frame["file"], frame["device"], strict=True)):
            device = device.strip()
            if device not in known:
                raise DataError(f"{_row(path, i)}: device {device!r} is not in the device table {table.path}")
            relative[Path(file.strip()).as_posix()] = device
            absolute[str((path.parent / file.strip()).resolve())] = device
        return cls(path, relative, absolute)

    def lookup(self, path: Path, relative: str) -> str | None:
        """The device for a file given by its ``path`` and its path ``relative`` to the input root."""
        return self.relative.get(relative) or self.absolute.get(str(Path(path).resolve()))


def folder_device(relative: Path, root: Path, table: DeviceTable) -> str | None:
    """The nearest folder name from the file up to the input root (included) that names a device."""
    known = table.name_set
    for part in reversed(relative.parts[:-1]):
        if part in known:
            return part
    return root.name if root.name in known else None
