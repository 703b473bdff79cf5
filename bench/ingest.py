"""Packets per second of kegan's ingest vs a per-packet dpkt reference loop, on the real captures.

usage: python bench/ingest.py [CAPTURES_DIR] [DEVICES_CSV] [--repeats 3]

Both sides read every capture, decode Ethernet and IP and cut 1 s windows into (A, P, L) records; kegan
also finds devices and collects observations (DNS included). Both are timed the same way: each runs once
to warm the page cache, imports and lazy registries (netaddr's OUI index), then the two take turns
``repeats`` times, and the medians of wall time and of CPU time (``time.process_time``) are reported.
On a shared machine compare CPU times: wall time also counts the time other processes hold the cores
(the load average is printed for that reason). The two must agree on the number of records, or the
comparison would be meaningless.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

import dpkt

from kegan.ingest.api import ingest

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "iot-sentinel"


def reference(captures: Path, window: float = 1.0) -> tuple[int, int]:
    """dpkt.pcap.Reader + dpkt Ethernet/IP decoding + the same windowing; returns (frames, records)."""
    frames = n_records = 0
    for path in sorted(captures.rglob("*.pcap")):
        if any(part.startswith(".") for part in path.relative_to(captures).parts):
            continue
        times, lengths = [], []
        with open(path, "rb") as f:
            for ts, buf in dpkt.pcap.Reader(f):
                frames += 1
                eth = dpkt.ethernet.Ethernet(buf)
                ip = eth.data
                if isinstance(ip, dpkt.ip.IP):
                    times.append(ts)
                    lengths.append(ip.len)
                elif isinstance(ip, dpkt.ip6.IP6):
                    times.append(ts)
                    lengths.append(40 + ip.plen)
        if not times:
            continue
        order = sorted(range(len(times)), key=times.__getitem__)
        t0 = times[order[0]]
        records = []  # [start, count, length sum]
        last_k = None
        for i in order:
            k = int((times[i] - t0) // window)
            if k != last_k:
                records.append([times[i], 0, 0])
                last_k = k
            records[-1][1] += 1
            records[-1][2] += lengths[i]
        series = [(0.0 if j == 0 else r[0] - records[j - 1][0], r[1], r[2] / r[1]) for j, r in enumerate(records)]
        n_records += len(series)
    return frames, n_records


def interleaved(fns: dict, repeats: int) -> dict:
    """{name: (median wall s, median CPU s, last result)}; each fn runs once to warm up, then the fns
    take turns ``repeats`` times, so load from other processes hits both sides alike."""
    results = {name: fn() for name, fn in fns.items()}  # warm: page cache, imports, netaddr's registry
    walls: dict = {name: [] for name in fns}
    cpus: dict = {name: [] for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            w, c = time.perf_counter(), time.process_time()
            results[name] = fn()
            walls[name].append(time.perf_counter() - w)
            cpus[name].append(time.process_time() - c)
    return {name: (statistics.median(walls[name]), statistics.median(cpus[name]), results[name]) for name in fns}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("captures", nargs="?", type=Path, default=DATA / "captures")
    ap.add_argument("devices", nargs="?", type=Path, default=DATA / "devices.csv")
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()

    res = interleaved({"kegan": lambda: ingest([args.captures], args.devices, None, progress=False),
                       "dpkt": lambda: reference(args.captures)}, args.repeats)
    kegan_s, kegan_cpu, report = res["kegan"]
    ref_s, ref_cpu, (ref_frames, ref_records) = res["dpkt"]
    if (ref_frames, ref_records) != (report.frames, report.records):
        raise SystemExit(f"mismatch: reference read {ref_frames} frames into {ref_records} records, "
                         f"kegan {report.frames} frames into {report.records} records")
    n = report.frames
    print(f"captures: {report.captures} files, {n} frames, {report.records} records (1 s windows); "
          f"median of {args.repeats} interleaved runs after a warm-up")
    print(f"kegan ingest : wall {kegan_s:6.3f} s {n / kegan_s:10,.0f} packets/s | CPU {kegan_cpu:6.3f} s "
          f"{n / kegan_cpu:10,.0f} packets/s")
    print(f"dpkt loop    : wall {ref_s:6.3f} s {n / ref_s:10,.0f} packets/s | CPU {ref_cpu:6.3f} s "
          f"{n / ref_cpu:10,.0f} packets/s")
    print(f"speed-up     : wall {ref_s / kegan_s:.1f}x | CPU {ref_cpu / kegan_cpu:.1f}x (target >= 5x, on CPU time); "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
