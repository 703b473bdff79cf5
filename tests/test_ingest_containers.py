"""The same packets in every container and link type give the same dataset."""

from __future__ import annotations

import pandas as pd
import pytest
from conftest import check_dataset
from pcapgen import LINKTYPE, arp_frame, device_traffic, gz, pcap, pcapng, records

from kegan.dataset import read_dataset
from kegan.ingest.api import ingest

DEVICES = "device,mac,category,manufacturer,connectivity\nCam,aa:bb:cc:00:00:01,camera,Acme,WiFi|Ethernet\n"


def _variants() -> dict[str, tuple[str, bytes]]:
    pk = device_traffic()
    out = {}
    for link in LINKTYPE:
        if link in ("ipv4", "ipv6"):
            continue
        out[f"pcap-{link}"] = ("setup.pcap", pcap(records(link, pk), LINKTYPE[link]))
    eth = records("ethernet", pk)
    out["pcap-usec-be"] = ("setup.pcap", pcap(eth, 1, big=True))
    out["pcap-nsec-le"] = ("setup.pcap", pcap(eth, 1, nano=True))
    out["pcap-nsec-be"] = ("setup.pcap", pcap(eth, 1, nano=True, big=True))
    out["pcap-gzip"] = ("setup.pcap.gz", gz(pcap(eth, 1)))
    # pcapng: Ethernet and raw IP interfaces interleaved, the second in nanoseconds
    mixed = [(i % 2, t, d if i % 2 == 0 else records("raw", [p])[0][1], o if i % 2 == 0 else len(p.ip))
             for i, ((t, d, o), p) in enumerate(zip(eth, pk, strict=True))]
    out["pcapng-multi"] = ("setup.pcapng", pcapng(mixed, [1, 101], tsresol=[6, 9]))
    out["pcapng-be-sll2"] = ("setup.pcapng", pcapng([(0, t, d, o) for t, d, o in records("sll2", pk)], [276], big=True))
    # IPv4-only and IPv6-only link types on two interfaces of one file
    v46 = [(0 if p.ip[0] >> 4 == 4 else 1, p.t_ns, p.ip, len(p.ip)) for p in pk]
    out["pcapng-ipv4-ipv6"] = ("setup.pcapng.gz", gz(pcapng(v46, [228, 229])))
    # obsolete Packet Blocks on an interface with binary resolution (2**-30 s) and a time offset
    out["pcapng-opb-binary-offset"] = ("setup.pcapng", pcapng([(0, t, d, o) for t, d, o in eth], [1], tsresol=[0x80 | 30],
                                                             tsoffset=[1000], blocks=["opb"] * len(eth)))
    # two sections: interface ids count within their own section
    half = len(eth) // 2
    out["pcapng-two-sections"] = ("setup.pcapng", pcapng([(0, t, d, o) for t, d, o in eth[:half]], [1])
                                  + pcapng([(1, t, d, o) for t, d, o in eth[half:]], [101, 1], tsresol=[6, 9]))
    # non-IP frames (ARP) among the packets must be skipped, not counted
    with_arp = eth[:3] + [(eth[2][0] + 1000, arp_frame(), 42)] + eth[3:]
    out["pcap-arp"] = ("setup.cap", pcap(with_arp, 1))
    return out


@pytest.fixture(scope="module")
def ingested(tmp_path_factory):
    """All variants under one root (``<variant>/Cam/<file>``), one object each, ingested once."""
    base = tmp_path_factory.mktemp("containers")
    (base / "devices.csv").write_text(DEVICES)
    for name, (fname, data) in _variants().items():
        (base / "in" / name / "Cam").mkdir(parents=True)
        (base / "in" / name / "Cam" / fname).write_bytes(data)
    report = ingest([base / "in"], base / "devices.csv", base / "out", progress=False)
    check_dataset(base / "out")
    return base, report, read_dataset(base / "out")


def _by_variant(ds, kind: str):
    """{variant: frame without device_id} for devices, records or observations (MAC rows dropped)."""
    frame = getattr(ds, kind)
    if kind == "observations":
        frame = frame[~frame["kind"].isin(["mac", "mac_vendor"])]
    variant = frame["device_id"].str.split("/").str[0]
    return {v: g.drop(columns="device_id").reset_index(drop=True) for v, g in frame.groupby(variant)}


def test_every_container_and_link_type_gives_the_same_series(ingested):
    _, report, ds = ingested
    variants = _variants()
    assert len(ds) == len(variants) and report.found_by == {"folder": len(variants)}
    assert report.non_ip_skipped == 1  # the ARP frame
    assert report.packets == len(variants) * len(device_traffic())
    for kind in ("devices", "records", "observations"):
        parts = _by_variant(ds, kind)
        assert set(parts) == set(variants)
        for name, frame in parts.items():
            pd.testing.assert_frame_equal(frame, parts["pcap-ethernet"], obj=f"{name} {kind}")
    assert ds.devices.iloc[0].drop("device_id").to_dict() == {
        "device": "Cam", "category": "camera", "mac": "aa:bb:cc:00:00:01", "manufacturer": "Acme",
        "connectivity": "WiFi|Ethernet"}


def test_device_mode_files_are_identical_across_containers(ingested, tmp_path):
    base = ingested[0]
    outs = []
    for name in ("pcapng-multi", "pcap-null_be"):
        out = tmp_path / name
        ingest([base / "in" / name], base / "devices.csv", out, object_mode="device", progress=False)
        check_dataset(out)
        outs.append(out)
    for f in ("devices.parquet", "records.parquet"):
        frames = [pd.read_parquet(o / f) for o in outs]
        for other in frames[1:]:
            pd.testing.assert_frame_equal(other, frames[0])
    assert pd.read_parquet(outs[0] / "devices.parquet")["device_id"].tolist() == ["Cam"]


def test_observations_of_the_reference_capture(ingested):
    obs = ingested[2].observations
    obs = obs[obs["device_id"].str.startswith("pcap-ethernet/")]
    got = {(k, v): c for k, v, c in zip(obs["kind"], obs["value"], obs["count"], strict=True)}
    assert got[("dns_query", "api.example.com")] == 1
    assert got[("dns_answer", "api.example.com=203.0.113.5")] == 1
    assert got[("remote_ip", "203.0.113.5")] == 12  # 6 packets each way
    assert got[("remote_port", "tcp/443")] == 13  # 12 IPv4 + 1 IPv6
    assert got[("remote_port", "udp/123")] == 1 and got[("remote_port", "udp/53")] == 2
    assert got[("remote_ip", "2001:db8::5")] == 1
    assert ("remote_ip", "192.168.1.10") not in got  # the device's own address is not remote
    assert got[("mac", "aa:bb:cc:00:00:01")] == 16
    # MAC rows only where the link layer has MACs (SLL/SLL2 carry the sender's)
    all_obs = ingested[2].observations
    with_mac = set(all_obs.loc[all_obs["kind"] == "mac", "device_id"].str.split("/").str[0])
    assert with_mac == {n for n in _variants() if not any(k in n for k in ("raw", "null", "loop", "ipv4"))}
    assert set(all_obs.loc[all_obs["kind"] == "mac", "value"]) == {"aa:bb:cc:00:00:01"}


def test_vlan_and_qinq_frames_are_read(ingested):
    records = ingested[2].records
    for name in ("pcap-vlan", "pcap-qinq"):
        assert len(records[records["device_id"] == f"{name}/Cam/setup.pcap"]) == 4
        assert records.loc[records["device_id"] == f"{name}/Cam/setup.pcap", "P"].sum() == len(device_traffic())


def test_snaplen_trimmed_capture_keeps_ip_lengths(tmp_path, ingested):
    pk = device_traffic()
    (tmp_path / "Cam").mkdir()
    (tmp_path / "Cam" / "trim.pcap").write_bytes(pcap(records("ethernet", pk, snaplen=40), 1, snaplen=40))
    (tmp_path / "devices.csv").write_text(DEVICES)
    report = ingest([tmp_path / "Cam"], tmp_path / "devices.csv", None, object_mode="device", progress=False)
    ref = _by_variant(ingested[2], "records")["pcap-ethernet"]
    got = report.dataset.records.drop(columns="device_id")
    pd.testing.assert_frame_equal(got, ref)
    assert report.packets == len(pk)
