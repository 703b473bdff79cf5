"""`kegan ingest`: captures and packet tables plus a device table -> a kegan dataset."""

from __future__ import annotations

from pathlib import Path

import typer

from ..errors import ParameterError
from ..ingest.api import ingest as run_ingest
from ..ingest.tables import TableOptions

HELP = """Read captures (pcap, pcapng, gzipped) and packet tables (CSV, Parquet) into a dataset.

\b
Examples:
  kegan ingest ../shared/data/iot-sentinel/captures --devices ../shared/data/iot-sentinel/devices.csv --out runs/sentinel
  kegan ingest captures/ --devices devices.csv --out runs/by-device --object device
  kegan ingest home.pcapng --devices devices.csv --manifest manifest.csv --gap 0.5 --out runs/home
  kegan ingest flows.parquet --devices devices.csv --device-column mac --time-unit ns --length-column ip_len --out runs/t

\b
How each capture's device is found (first that applies):
  1. --manifest: a CSV/Parquet with columns file,device (file relative to the input folder);
  2. the folder: the nearest folder above the file whose name is a `device` in the table
     (captures/<device>/<setup>.pcap, the IoT Sentinel layout);
  3. the table's key columns `mac` / `ip`: the device whose key is in the most packets.
  A MAC shared by two devices (IoT Sentinel's hub-paired sensors) cannot decide: use folders or a manifest.
  Packet tables with --device-column name a device (or its MAC/IP) on each row.
Folders are walked; only .pcap/.pcapng/.cap(.gz) and .csv/.parquet files are read, others are counted.
Records: 1 s windows from each object's first packet (--window), or a new record after an idle --gap.
"""


def ingest(
    inputs: list[Path] = typer.Argument(..., help="Capture files, packet tables or folders to walk."),
    devices: Path = typer.Option(None, "--devices", help="Device table (CSV/Parquet): device, category, "
                                 "optional mac/ip keys, other columns become attributes."),
    out: Path = typer.Option(..., "--out", help="Dataset directory to write (replaced whole, atomically)."),
    window: float = typer.Option(None, "--window", help="Record window in seconds (default 1)."),
    gap: float = typer.Option(None, "--gap", help="Cut records at idle gaps longer than this many seconds."),
    object_mode: str = typer.Option("capture", "--object", help="capture: one object per file; "
                                    "device: one per device, its files merged in time order."),
    manifest: Path = typer.Option(None, "--manifest", help="CSV/Parquet mapping file -> device."),
    unknown_device: str = typer.Option("error", "--unknown-device", help="A file whose device is not in the "
                                       "table: error, skip (counted), or unknown (category 'unknown')."),
    strict: bool = typer.Option(False, "--strict", help="A truncated or damaged capture is an error, not a warning."),
    time_column: str = typer.Option("time", "--time-column", help="Packet tables: time column."),
    time_unit: str = typer.Option("s", "--time-unit", help="Packet tables: unit of the time column (s, ms, us, ns)."),
    length_column: str = typer.Option("length", "--length-column",
                                      help="Packet tables: packet length column (prefer IP-layer lengths)."),
    device_column: str = typer.Option(None, "--device-column", help="Packet tables: device name, MAC or IP per row."),
    remote_ip_column: str = typer.Option(None, "--remote-ip-column", help="Packet tables: remote IP column."),
    remote_port_column: str = typer.Option(None, "--remote-port-column", help="Packet tables: remote port column."),
    protocol_column: str = typer.Option(None, "--protocol-column", help="Packet tables: tcp/udp or number."),
    quiet: bool = typer.Option(False, "--quiet", help="No progress bars or stage lines."),
) -> None:
    if window is not None and gap is not None:
        raise ParameterError("--window and --gap exclude each other: records are cut one way or the other")
    table = TableOptions(time=time_column, time_unit=time_unit, length=length_column, device=device_column,
                         remote_ip=remote_ip_column, remote_port=remote_port_column, protocol=protocol_column)
    report = run_ingest(inputs, devices, out, window=1.0 if window is None else window, gap=gap,
                        object_mode=object_mode, manifest=manifest, unknown_device=unknown_device, strict=strict,
                        table=table, progress=not quiet)
    skipped = sum(report.files_skipped.values())
    typer.echo(f"files: {report.files_read} read ({report.captures} captures, {report.tables} tables), {skipped} skipped")
    typer.echo(f"packets: {report.packets} IPv4/IPv6 of {report.frames} frames/rows, "
               f"{report.non_ip_skipped} non-IP frames skipped, {report.duplicates_dropped} duplicates dropped")
    typer.echo(f"objects: {report.objects} in {report.categories} categories, {report.records} records"
               + (f"; {report.unknown_skipped} unknown-device inputs skipped" if report.unknown_skipped else ""))
    if report.devices_without_traffic:
        typer.echo(f"devices in the table without traffic: {len(report.devices_without_traffic)} "
                   f"({', '.join(report.devices_without_traffic[:5])}{' ...' if len(report.devices_without_traffic) > 5 else ''})")
    if report.warnings:
        typer.echo(f"damaged captures (complete packets kept): {len(report.warnings)}")
    typer.echo(f"wrote {out}/")


def register(app: typer.Typer) -> None:
    app.command("ingest", help=HELP)(ingest)
