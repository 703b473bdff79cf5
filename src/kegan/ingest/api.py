"""`ingest`: captures and packet tables plus a device table -> a kegan dataset (docs/ingest.md).

Stages: find the input files (walk.py), read each into IP packets (capture.py + packets.py, or
tables.py), decide its device (devices.py), form objects (one per capture, or one per device), cut each
object's packets into records (records.py), collect its observations (observations.py), and write the
dataset atomically (dataset/io.py). Nothing is written until everything has been read.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .. import __version__
from ..dataset.format import Dataset
from ..dataset.io import write_dataset
from ..errors import DataError, ParameterError
from ..progress import say, track
from .capture import read_batch
from .devices import DeviceTable, Manifest, folder_device
from .observations import DnsCache, assign_dns, assign_remote, observation_frame, summarize
from .packets import Packets, decode, unique_rows
from .records import cut_all, seconds_to_ns
from .tables import TableOptions, read_table
from .walk import InputFile, discover

OBJECT_MODES = ("capture", "device")
UNKNOWN_POLICIES = ("error", "skip", "unknown")
UNKNOWN_CATEGORY = "unknown"


@dataclass
class IngestReport:
    """What ingest read, skipped and built; ``dataset`` is the result (also written when ``out`` was given)."""

    dataset: Dataset
    out: Path | None
    files_read: int = 0
    captures: int = 0
    tables: int = 0
    files_skipped: dict[str, int] = field(default_factory=dict)
    frames: int = 0  # capture frames plus table rows
    packets: int = 0  # IPv4/IPv6 packets that count
    non_ip_skipped: int = 0
    duplicates_dropped: int = 0
    unknown_skipped: int = 0  # files (or table groups) dropped by unknown_device="skip"
    unknown_skipped_inputs: list[str] = field(default_factory=list)  # which ones
    found_by: dict[str, int] = field(default_factory=dict)  # manifest / folder / key / table column / unknown
    objects: int = 0
    records: int = 0
    categories: int = 0
    devices_without_traffic: list[str] = field(default_factory=list)
    dns_unparsed: int = 0
    warnings: list[str] = field(default_factory=list)

    def counts(self) -> dict:
        return {
            "files_read": self.files_read, "captures": self.captures, "tables": self.tables,
            "files_skipped": sum(self.files_skipped.values()), "frames": self.frames, "packets": self.packets,
            "non_ip_skipped": self.non_ip_skipped, "duplicates_dropped": self.duplicates_dropped,
            "unknown_device_skipped": self.unknown_skipped, "devices_without_traffic": len(self.devices_without_traffic),
            "damaged_files": len(self.warnings),
        }


@dataclass
class _Unit:
    """The packets of one capture, or of one device's rows in one table."""

    object_id: str
    device: str
    known: bool
    packets: Packets
    source: str


def ingest(
    inputs: list[Path],
    devices: Path | None = None,
    out: Path | None = None,
    *,
    window: float | None = 1.0,
    gap: float | None = None,
    object_mode: str = "capture",
    manifest: Path | None = None,
    unknown_device: str = "error",
    strict: bool = False,
    table: TableOptions | None = None,
    progress: bool = True,
) -> IngestReport:
    """Read captures/packet tables into a dataset; write it to ``out`` (atomically) when given.

    ``inputs``: files or folders. ``devices``: the device table (CSV/Parquet, columns ``device``,
    ``category``, optional keys ``mac``/``ip``, other columns are attributes); without one every device
    is unknown. Records are cut by ``window`` seconds, or by idle ``gap`` seconds when ``gap`` is given.
    ``object_mode``: "capture" (one object per file) or "device" (one per device, files merged).
    ``unknown_device``: "error", "skip" or "unknown" (category "unknown").
    Raises DataError for bad input (naming file and offset/row), ParameterError for bad settings.
    """
    if object_mode not in OBJECT_MODES:
        raise ParameterError(f"--object {object_mode!r}: expected one of {', '.join(OBJECT_MODES)}")
    if unknown_device not in UNKNOWN_POLICIES:
        raise ParameterError(f"--unknown-device {unknown_device!r}: expected one of {', '.join(UNKNOWN_POLICIES)}")
    if gap is not None:
        window_ns, gap_ns, sampling = None, seconds_to_ns(gap, "--gap"), {"mode": "gap", "window": None, "gap": gap}
    elif window is not None:
        window_ns, gap_ns, sampling = seconds_to_ns(window, "--window"), None, {"mode": "window", "window": window, "gap": None}
    else:
        raise ParameterError("give --window or --gap")
    if not inputs:
        raise ParameterError("no input: name capture files, packet tables or folders")
    table = table or TableOptions()
    dev_table = DeviceTable.load(Path(devices)) if devices is not None else None
    if dev_table is None and unknown_device != "unknown":
        raise ParameterError("no --devices table: give one, or --unknown-device unknown to ingest without categories")
    man = Manifest.load(Path(manifest), dev_table) if manifest is not None and dev_table is not None else None
    if manifest is not None and dev_table is None:
        raise ParameterError("--manifest needs a --devices table to check its device names against")

    exclude = {Path(p).resolve() for p in (devices, manifest) if p is not None}
    walk = discover([Path(p) for p in inputs], exclude)
    report = IngestReport(dataset=None, out=Path(out) if out is not None else None)  # type: ignore[arg-type]
    report.files_skipped = dict(walk.skipped)
    if not walk.files:
        raise DataError(f"{', '.join(map(str, inputs))}: no capture or packet table found "
                        f"(skipped {sum(walk.skipped.values())} other files)")
    if progress:
        n_caps = sum(f.kind == "capture" for f in walk.files)
        why = ", ".join(f"{v} {k}" for k, v in sorted(walk.skipped.items()))
        say(f"inputs: {n_caps} captures, {len(walk.files) - n_caps} packet tables; "
            f"skipped {sum(walk.skipped.values())} files" + (f" ({why})" if why else ""))

    units: list[_Unit] = []
    found = Counter()
    dns_cache = DnsCache()  # one run's DNS results: setups repeat their lookups
    for batch in _batches(walk.files, progress):
        for unit, how in _read(batch, dev_table, man, table, unknown_device, strict, report, dns_cache):
            found[how] += 1
            if unit is not None:
                units.append(unit)
    report.files_read = len(walk.files)
    report.found_by = dict(found)
    if progress:
        say(f"packets: {report.frames} frames/rows, {report.packets} IPv4/IPv6 packets, "
            f"{report.non_ip_skipped} non-IP frames skipped; devices found by "
            + ", ".join(f"{k} {v}" for k, v in sorted(found.items()) if k != "skipped (unknown)"))
        if report.unknown_skipped:
            shown = ", ".join(report.unknown_skipped_inputs[:5])
            more = f" and {report.unknown_skipped - 5} more" if report.unknown_skipped > 5 else ""
            say(f"skipped {report.unknown_skipped} inputs of devices the table does not know: {shown}{more} "
                "(listed in dataset.json)")
    if not units:
        raise DataError("every input was skipped as an unknown device; nothing to ingest")

    ds = _build(units, dev_table, object_mode, window_ns, gap_ns, report, progress)
    seen = set(ds.devices["device"])
    report.devices_without_traffic = [d for d in (dev_table.names if dev_table else []) if d not in seen]
    report.objects, report.records, report.categories = len(ds), len(ds.records), len(ds.category_names)
    ds.meta = {
        "created_by": f"kegan {__version__} ingest",
        "sources": [str(Path(p).resolve()) for p in inputs],
        "device_table": str(Path(devices).resolve()) if devices is not None else None,
        "manifest": str(Path(manifest).resolve()) if manifest is not None else None,
        "key_columns": dev_table.key_columns if dev_table else ["device"],
        "sampling": {**sampling, "object": object_mode, "time_unit": "s", "length": "IP layer bytes"},
        "unknown_device": unknown_device,
        "table_columns": table.as_dict() if report.tables else None,
        "counts": report.counts(),
        "devices_without_traffic": report.devices_without_traffic,
        "unknown_device_skipped": report.unknown_skipped_inputs,
        "warnings": report.warnings,
    }
    report.dataset = ds
    if progress:
        say(f"dataset: {report.objects} objects, {report.records} records, {report.categories} categories; "
            f"{len(report.devices_without_traffic)} devices in the table without traffic")
    if out is not None:
        write_dataset(ds, out)
    return report


BATCH_BYTES = 256 << 20  # captures decoded together: one numpy pass per batch instead of one per file


def _batches(files: list[InputFile], progress: bool):
    """Tables one by one, captures in batches of about BATCH_BYTES (file sizes, before gunzip)."""
    batch, size = [], 0
    items = track(files, "reading") if progress else files
    for item in items:
        if item.kind == "table":
            yield [item]
            continue
        batch.append(item)
        size += item.path.stat().st_size
        if size >= BATCH_BYTES:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch


def _read(items: list[InputFile], dev_table: DeviceTable | None, man: Manifest | None, opts: TableOptions,
          policy: str, strict: bool, report: IngestReport, dns_cache: DnsCache):
    """Yield (unit or None when skipped, how its device was found) for each input in ``items``."""
    if items[0].kind == "table":
        item = items[0]
        report.tables += 1
        for key, packets in read_table(item.path, opts):
            report.frames += len(packets)
            report.packets += len(packets)
            if key is not None:
                devs = dev_table.by_key(key) if dev_table else []
                if len(set(devs)) > 1:
                    raise DataError(f"{item.path}: device key {key!r} (column {opts.device!r}) is shared by devices "
                                    f"{', '.join(sorted(set(devs)))} in {dev_table.path}; use a key that tells them apart")
                device, how = (devs[0], "table column") if devs else (None, None)
                object_id = f"{item.relative}#{devs[0] if devs else key}"
            else:
                device, how = _by_name(item, dev_table, man)
                object_id = item.relative
            yield _unit(item, object_id, device, how, packets, policy, report, key)
        return
    report.captures += len(items)
    batch = read_batch([item.path for item in items], strict)
    report.warnings += batch.warnings
    packets, skipped = decode(batch.data, batch.frames, batch.source)
    report.frames += len(batch.frames)
    report.non_ip_skipped += skipped
    per_file = np.bincount(packets.source, minlength=len(items))
    if (per_file == 0).any():
        i = int(np.flatnonzero(per_file == 0)[0])
        raise DataError(f"{items[i].path}: no IPv4/IPv6 packet among its {int(batch.frame_counts[i])} frames "
                        "(expected at least one)")
    report.packets += len(packets)
    assign_remote(packets)
    report.dns_unparsed += assign_dns(batch.data, packets, dns_cache)
    ends = np.cumsum(per_file)
    for i, item in enumerate(items):
        view = packets.take(slice(int(ends[i] - per_file[i]), int(ends[i])))
        device, how = _by_name(item, dev_table, man)
        if device is None and dev_table is not None:
            device = dev_table.by_traffic(view, str(item.path))
            how = "key" if device else None
        yield _unit(item, item.relative, device, how, view, policy, report, None)


def _by_name(item: InputFile, dev_table: DeviceTable | None, man: Manifest | None) -> tuple[str | None, str | None]:
    if man is not None:
        device = man.lookup(item.path, item.relative)
        if device:
            return device, "manifest"
    if dev_table is not None:
        device = folder_device(Path(item.relative), item.root, dev_table)
        if device:
            return device, "folder"
    return None, None


def _unit(item: InputFile, object_id: str, device: str | None, how: str | None, packets: Packets, policy: str,
          report: IngestReport, key: str | None):
    if device is not None:
        return _Unit(object_id, device, True, packets, str(item.path)), how
    if policy == "error":
        what = f"device key {key!r}" if key is not None else "its folder names, the manifest and the MAC/IP keys"
        raise DataError(f"{item.path}: no device in the device table matches ({what}); add the device to the "
                        "table or use --unknown-device skip|unknown")
    if policy == "skip":
        report.unknown_skipped += 1
        report.unknown_skipped_inputs.append(object_id)
        return None, "skipped (unknown)"
    parts = Path(item.relative).parts
    name = key if key is not None else (parts[-2] if len(parts) > 1 else item.root.name or Path(parts[-1]).stem)
    return _Unit(object_id, name, False, packets, str(item.path)), "unknown"


# What _build uses of each packet: records from times and lengths, observations from the rest.
_BUILD_FIELDS = ("time_ns", "length", "proto", "src_mac", "dst_mac", "remote", "has_remote", "remote_port", "dns")


def _time_order(obj: np.ndarray, time_ns: np.ndarray) -> np.ndarray | None:
    """Permutation that sorts packets by object, then time (stable), or None when they already are.

    ``obj`` (n,) and ``time_ns`` (n,). Captures are mostly in time order (IoT Sentinel: 66 of 550 have a
    packet out of place), so when the objects come grouped only the packets of the disordered ones are sorted.
    """
    step_obj = np.diff(obj)
    back = (np.diff(time_ns) < 0) & (step_obj == 0)  # (n - 1,) a packet earlier than the one before it
    if (step_obj < 0).any():
        return np.lexsort((time_ns, obj))
    if not back.any():
        return None
    sub = np.flatnonzero(np.isin(obj, obj[1:][back]))  # the disordered objects' packets (whole runs of obj)
    order = np.arange(len(obj))
    order[sub] = sub[np.lexsort((time_ns[sub], obj[sub]))]
    return order


def _build(units: list[_Unit], dev_table: DeviceTable | None, object_mode: str, window_ns: int | None,
           gap_ns: int | None, report: IngestReport, progress: bool) -> Dataset:
    """Objects from units, all objects' records and observations in single numpy passes."""
    groups: dict[str, list[int]] = {}
    for i, u in enumerate(units):
        groups.setdefault(u.object_id if object_mode == "capture" else u.device, []).append(i)
    ids = sorted(groups)
    unit_obj = np.empty(len(units), dtype=np.int64)
    for o, object_id in enumerate(ids):
        unit_obj[groups[object_id]] = o
    packets = Packets.concat([u.packets for u in units], _BUILD_FIELDS + (("head",) if object_mode == "device" else ()))
    obj = np.repeat(unit_obj, [len(u.packets) for u in units])  # (n,) object index of each packet
    if object_mode == "device":
        # exact duplicates: same object, time, IP length and first IP header bytes (overlapping captures).
        # Table rows have no header bytes (all zero, which no IP header is): two rows with the same time
        # and length are two packets, so each gets a key of its own and is never dropped.
        head = np.ascontiguousarray(packets.head).view("<u8")  # (n, HEAD / 8)
        headerless = np.where(packets.head[:, 0] == 0, np.arange(1, len(packets) + 1), 0)
        keep, _ = unique_rows(obj, packets.time_ns, packets.length, headerless, *head.T)
        report.duplicates_dropped += len(packets) - len(keep)
        keep.sort()
        packets, obj = packets.take(keep), obj[keep]
    order = _time_order(obj, packets.time_ns)
    if order is not None:
        packets, obj = packets.take(order), obj[order]
    record_obj, values = cut_all(obj, packets.time_ns, packets.length, window_ns, gap_ns)

    attr_cols = [c for c in dev_table.frame.columns if c not in ("device", "category")] if dev_table else []
    info_of = {d: r for d, r in zip(dev_table.names, dev_table.frame.to_dict("records"), strict=True)} if dev_table else {}
    rows, prefer = [], []
    for object_id in ids:
        first = units[groups[object_id][0]]
        if first.known:
            info = info_of[first.device]
            prefer.append({m for m, devs in dev_table.macs.items() if first.device in devs})
        else:
            info = {"category": UNKNOWN_CATEGORY, **{c: "" for c in attr_cols}}
            prefer.append(set())
        rows.append({"device_id": object_id, "device": first.device, "category": info["category"],
                     **{c: info[c] for c in attr_cols}})
    devices = pd.DataFrame(rows, columns=["device_id", "device", "category", *attr_cols])
    series = np.split(values, np.flatnonzero(np.diff(record_obj)) + 1)
    ds = Dataset.from_series(devices["device_id"].tolist(), devices["category"].tolist(), series,
                             attributes=devices.drop(columns=["device_id", "category"]))
    ds.devices = ds.devices[["device_id", "device", "category", *attr_cols]]
    ds.observations = observation_frame(summarize(obj, packets, ids, prefer))
    return ds
