"""Finding inputs and devices: folder walking, manifest, folder names, MAC keys, the shared-MAC quirk,
and packet tables in CSV and Parquet."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import check_dataset
from pcapgen import DEV_MAC, device_traffic, gz, pcap, records

from kegan.errors import DataError
from kegan.ingest import TableOptions
from kegan.ingest.api import ingest

# Hub and Sensor share one MAC, as D-LinkHomeHub/D-LinkDoorSensor do in IoT Sentinel.
DEVICES = ("device,mac,category,vendor\nHub,aa:bb:cc:00:00:01,hub_gateway,Acme\n"
           "Sensor,aa:bb:cc:00:00:01,sensor,Acme\nPlug,aa:bb:cc:00:00:02,plug_switch,Other\n"
           "Lamp,aa:bb:cc:00:00:03,light,Other\n")
PLUG_MAC = bytes.fromhex("aabbcc000002")


def _capture(mac: bytes = DEV_MAC) -> bytes:
    return pcap([(t, d.replace(DEV_MAC, mac), o) for t, d, o in records("ethernet", device_traffic())], 1)


@pytest.fixture
def root(tmp_path):
    (tmp_path / "devices.csv").write_text(DEVICES)
    return tmp_path


def test_walk_reads_captures_and_counts_what_it_skips(root):
    d = root / "in"
    for rel, data in [("Hub/a.pcap", _capture()), ("Sensor/b.pcap.gz", gz(_capture())), ("Plug/c.cap", _capture(PLUG_MAC)),
                      ("Plug/.hidden.pcap", b"junk"), (".git/x.pcap", b"junk"), ("Plug/notes.txt", b"hi"),
                      ("Plug/_iotdevice-mac.txt", b"aa"), ("Hub/.DS_Store", b"\0")]:
        (d / rel).parent.mkdir(parents=True, exist_ok=True)
        (d / rel).write_bytes(data)
    report = ingest([d], root / "devices.csv", root / "out", progress=False)
    check_dataset(root / "out")
    assert report.files_skipped == {"dotfile": 3, "not a capture or table": 2}
    assert report.files_read == 3 and report.found_by == {"folder": 3}
    dev = report.dataset.devices.set_index("device_id")
    # the folder decides, although Hub and Sensor share a MAC
    assert dev["device"].to_dict() == {"Hub/a.pcap": "Hub", "Plug/c.cap": "Plug", "Sensor/b.pcap.gz": "Sensor"}
    assert dev.loc["Sensor/b.pcap.gz", "category"] == "sensor" and dev.loc["Sensor/b.pcap.gz", "mac"] == "aa:bb:cc:00:00:01"
    assert report.devices_without_traffic == ["Lamp"]
    assert report.dataset.meta["key_columns"] == ["device", "mac"]
    assert report.dataset.meta["counts"]["devices_without_traffic"] == 1
    assert report.dataset.meta["sources"] == [str(d.resolve())]


def test_shared_mac_cannot_decide_but_a_unique_one_can(root):
    flat = root / "flat"
    flat.mkdir()
    (flat / "p.pcap").write_bytes(_capture(PLUG_MAC))
    report = ingest([flat / "p.pcap"], root / "devices.csv", progress=False)
    assert report.found_by == {"key": 1} and report.dataset.devices["device"].tolist() == ["Plug"]
    (flat / "h.pcap").write_bytes(_capture())
    with pytest.raises(DataError, match=r"h\.pcap: its traffic matches MAC aa:bb:cc:00:00:01, which the device table "
                                        r".* gives to several devices \(Hub, Sensor\).*--manifest"):
        ingest([flat], root / "devices.csv", progress=False)
    (root / "manifest.csv").write_text("file,device\nh.pcap,Sensor\n")
    report = ingest([flat], root / "devices.csv", manifest=root / "manifest.csv", progress=False)
    assert dict(zip(report.dataset.device_ids, report.dataset.devices["device"], strict=True)) == {
        "h.pcap": "Sensor", "p.pcap": "Plug"}
    assert report.found_by == {"manifest": 1, "key": 1}
    (root / "manifest.csv").write_text("file,device\nh.pcap,Fridge\n")
    with pytest.raises(DataError, match=r"manifest\.csv row 0 \(line 2\): device 'Fridge' is not in the device table"):
        ingest([flat], root / "devices.csv", manifest=root / "manifest.csv", progress=False)


def test_device_mode_merges_files_and_drops_exact_duplicates(root):
    d = root / "in" / "Hub"
    d.mkdir(parents=True)
    recs = records("ethernet", device_traffic())
    (d / "a.pcap").write_bytes(pcap(recs[:10], 1))
    (d / "b.pcap").write_bytes(pcap(recs[6:], 1))  # 4 packets in both files
    one = ingest([root / "in" / "Hub"], root / "devices.csv", object_mode="device", progress=False)
    whole = ingest([root / "in" / "Hub" / "a.pcap"], root / "devices.csv", object_mode="device", progress=False)
    assert one.duplicates_dropped == 4 and one.dataset.device_ids == ["Hub"]
    assert one.dataset.records["P"].sum() == len(recs)
    (root / "all").mkdir()
    (root / "all" / "Hub").mkdir()
    (root / "all" / "Hub" / "x.pcap").write_bytes(pcap(recs, 1))
    full = ingest([root / "all"], root / "devices.csv", object_mode="device", progress=False)
    pd.testing.assert_frame_equal(one.dataset.records, full.dataset.records)
    assert whole.dataset.records["P"].sum() == 10


def test_device_mode_keeps_table_rows_with_equal_time_and_length(root):
    # A table has no header bytes to tell two packets apart: equal time and length are two packets
    # (coarse timestamps make this common), never a duplicate to drop.
    (root / "Lamp").mkdir()
    (root / "Lamp" / "t.csv").write_text("time,length\n1.0,100\n1.0,100\n1.5,60\n")
    for mode in ("capture", "device"):
        report = ingest([root / "Lamp"], root / "devices.csv", object_mode=mode, progress=False)
        assert report.duplicates_dropped == 0
        assert report.dataset.records[["P", "L"]].to_numpy().tolist() == [[3, pytest.approx(260 / 3)]]


def _table_rows() -> pd.DataFrame:
    pk = device_traffic()
    return pd.DataFrame({
        "ts": [p.t_ns for p in pk], "ip_len": [len(p.ip) for p in pk],
        "mac": ["aa:bb:cc:00:00:02"] * len(pk), "peer": ["203.0.113.5"] * len(pk),
        "port": [443] * len(pk), "proto": ["tcp"] * len(pk),
    })


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_packet_tables_match_the_capture(root, fmt):
    rows = _table_rows()
    path = root / f"packets.{fmt}"
    rows.to_csv(path, index=False) if fmt == "csv" else rows.to_parquet(path, index=False)
    opts = TableOptions(time="ts", time_unit="ns", length="ip_len", device="mac", remote_ip="peer",
                        remote_port="port", protocol="proto")
    report = ingest([path], root / "devices.csv", root / "out", table=opts, progress=False)
    check_dataset(root / "out")
    ds = report.dataset
    assert ds.device_ids == [f"{root.name}/packets.{fmt}#Plug"]  # a file named alone keeps its folder
    assert ds.categories == ["plug_switch"]
    assert report.found_by == {"table column": 1}
    (root / "Plug").mkdir()
    (root / "Plug" / "p.pcap").write_bytes(_capture(PLUG_MAC))
    cap = ingest([root / "Plug" / "p.pcap"], root / "devices.csv", progress=False).dataset
    np.testing.assert_allclose(ds.series()[0], cap.series()[0])
    obs = {(k, v): c for k, v, c in zip(ds.observations["kind"], ds.observations["value"], ds.observations["count"],
                                        strict=True)}
    assert obs == {("remote_ip", "203.0.113.5"): 16, ("remote_port", "tcp/443"): 16}


def test_csv_times_as_iso_8601_datetimes(root):
    rows = _table_rows()
    opts = TableOptions(time="ts", time_unit="ns", length="ip_len", device="mac")
    rows.to_csv(root / "ns.csv", index=False)
    by_number = ingest([root / "ns.csv"], root / "devices.csv", table=opts, progress=False).dataset
    iso = rows.assign(ts=pd.to_datetime(rows["ts"], unit="ns", utc=True).dt.strftime("%Y-%m-%dT%H:%M:%S.%f+00:00"))
    iso.to_csv(root / "iso.csv", index=False)
    by_date = ingest([root / "iso.csv"], root / "devices.csv", table=opts, progress=False).dataset
    pd.testing.assert_frame_equal(by_date.records.drop(columns="device_id"), by_number.records.drop(columns="device_id"))
    iso.loc[3, "ts"] = "yesterday"
    iso.to_csv(root / "iso.csv", index=False)
    with pytest.raises(DataError, match=r"iso\.csv row 3 \(line 5\): column 'ts' is 'yesterday', expected an ISO 8601 "
                                        r"datetime like the column's first value"):
        ingest([root / "iso.csv"], root / "devices.csv", table=opts, progress=False)


@pytest.mark.parametrize("column, value, match", [
    ("proto", "tpc", r"row 2 \(line 4\): column 'proto' is 'tpc', expected a protocol name \(tcp, udp, .*\) or "
                     r"number 0-255, or an empty cell"),
    ("proto", "300", r"row 2 \(line 4\): column 'proto' is '300', expected a protocol name"),
    ("mac", "", r"row 2 \(line 4\): column 'mac' is empty, expected a device key"),
])
def test_table_bad_protocol_or_missing_device_key_names_the_row(root, column, value, match):
    rows = _table_rows().astype({column: object})
    rows.loc[2, column] = value
    rows.to_csv(root / "p.csv", index=False)
    opts = TableOptions(time="ts", time_unit="ns", length="ip_len", device="mac", remote_port="port", protocol="proto")
    with pytest.raises(DataError, match=match):
        ingest([root / "p.csv"], root / "devices.csv", table=opts, progress=False)
    rows.loc[2, "proto"] = "17"  # a protocol number is as good as its name; an empty cell means "not given"
    rows.loc[3, "proto"] = ""
    rows.loc[2, "mac"] = rows.loc[3, "mac"] = "aa:bb:cc:00:00:02"
    rows.to_csv(root / "p.csv", index=False)
    ds = ingest([root / "p.csv"], root / "devices.csv", table=opts, progress=False).dataset
    ports = ds.observations[ds.observations["kind"] == "remote_port"].set_index("value")["count"].to_dict()
    assert ports == {"tcp/443": len(rows) - 2, "udp/443": 1}


def test_table_time_units_and_folder_device(root):
    rows = _table_rows()
    (root / "Lamp").mkdir()
    pd.DataFrame({"time": rows["ts"] / 1e6, "length": rows["ip_len"]}).to_csv(root / "Lamp" / "t.csv", index=False)
    (root / "Lamp" / "readme.md").write_text("not read")
    ms = ingest([root / "Lamp"], root / "devices.csv", table=TableOptions(time_unit="ms"), progress=False)
    assert ms.dataset.device_ids == ["t.csv"] and ms.dataset.devices["device"].tolist() == ["Lamp"]
    assert ms.files_skipped == {"not a capture or table": 1}
    assert ms.dataset.records["P"].sum() == len(rows) and len(ms.dataset.records) == 4
    with pytest.raises(DataError, match=r"device key 'aa:bb:cc:00:00:01' .* is shared by devices Hub, Sensor"):
        rows.assign(mac="aa:bb:cc:00:00:01").to_csv(root / "x.csv", index=False)
        ingest([root / "x.csv"], root / "devices.csv", table=TableOptions(time="ts", length="ip_len", device="mac"),
               progress=False)
