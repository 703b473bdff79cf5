"""Every bad input gets a DataError naming the file and offset/row and what was expected; damaged
tails keep complete packets with a warning (an error under strict); nothing half-written is left."""

from __future__ import annotations

import struct

import pytest
from conftest import check_dataset
from pcapgen import DEV_MAC, arp_frame, device_traffic, pcap, pcapng, records

from kegan.errors import DataError
from kegan.ingest import IngestWarning
from kegan.ingest.api import ingest

DEVICES = "device,mac,category\nCam,aa:bb:cc:00:00:01,camera\n"


@pytest.fixture
def tree(tmp_path):
    (tmp_path / "devices.csv").write_text(DEVICES)
    (tmp_path / "in" / "Cam").mkdir(parents=True)
    return tmp_path


def _run(tree, name: str, data: bytes, **kw):
    path = tree / "in" / "Cam" / name
    path.write_bytes(data)
    return ingest([path], tree / "devices.csv", progress=False, **kw)


def _good() -> bytes:
    return pcap(records("ethernet", device_traffic()), 1)


def test_unknown_magic_shows_the_first_bytes(tree):
    with pytest.raises(DataError, match=r"x\.pcap: byte offset 0: unknown capture format, first bytes "
                                        r"68 65 6c 6c 6f .*'hello world"):
        _run(tree, "x.pcap", b"hello world, not a capture")


def test_unknown_magic_in_a_walked_capture_is_an_error(tree):
    (tree / "in" / "Cam" / "ok.pcap").write_bytes(_good())
    (tree / "in" / "Cam" / "bad.pcapng.gz").write_bytes(b"\x1f\x8b" + b"not gzip at all")
    with pytest.raises(DataError, match=r"bad\.pcapng\.gz: gzip data is damaged"):
        ingest([tree / "in"], tree / "devices.csv", progress=False)
    (tree / "in" / "Cam" / "bad.pcapng.gz").unlink()
    (tree / "in" / "Cam" / "bad.cap").write_bytes(b"\x00\x01\x02\x03" * 8)
    with pytest.raises(DataError, match=r"bad\.cap: byte offset 0: unknown capture format, first bytes 00 01 02 03"):
        ingest([tree / "in"], tree / "devices.csv", progress=False)


def test_unsupported_link_type_names_number_and_name(tree):
    with pytest.raises(DataError, match=r"w\.pcap: byte offset 20: unsupported link type 105 \(IEEE802_11\)"):
        _run(tree, "w.pcap", pcap(records("raw", device_traffic()), 105))
    ng = pcapng([(1, p.t_ns, p.ip, len(p.ip)) for p in device_traffic()], [1, 127])
    with pytest.raises(DataError, match=r"unsupported link type 127 \(IEEE802_11_RADIOTAP\)"):
        _run(tree, "r.pcapng", ng)


def test_empty_file_and_empty_capture(tree):
    with pytest.raises(DataError, match=r"e\.pcap: byte offset 0: empty file"):
        _run(tree, "e.pcap", b"")
    with pytest.raises(DataError, match=r"h\.pcap: empty capture: no packet"):
        _run(tree, "h.pcap", pcap([], 1))
    with pytest.raises(DataError, match=r"h\.pcapng: empty capture"):
        _run(tree, "h.pcapng", pcapng([], [1]))


def test_capture_without_ip_packets(tree):
    with pytest.raises(DataError, match=r"arp\.pcap: no IPv4/IPv6 packet among its 3 frames"):
        _run(tree, "arp.pcap", pcap([(i * 1000, arp_frame(), 42) for i in range(3)], 1))


def test_truncated_last_packet_keeps_the_rest_and_warns_with_the_offset(tree):
    data = _good()
    n = len(device_traffic())
    last = len(data) - (16 + len(records("ethernet", device_traffic())[-1][1]))
    with pytest.warns(IngestWarning, match=rf"t\.pcap: byte offset {last}: last packet is truncated"):
        report = _run(tree, "t.pcap", data[:-5])
    assert report.packets == n - 1 and len(report.warnings) == 1
    assert report.dataset.meta["counts"]["damaged_files"] == 1
    with pytest.raises(DataError, match=rf"t\.pcap: byte offset {last}: last packet is truncated.*--strict"):
        _run(tree, "t.pcap", data[:-5], strict=True)


@pytest.mark.parametrize("tail, what", [
    (b"\x00" * 7, "trailing bytes are too few"),
    (b"\xff" * 40, r"captured bytes \(more than \d+\): garbage, not a packet"),
    (b"\x00" * 40, "record has original length 0: garbage, not a packet"),  # a zero-filled tail
    (struct.pack("<IIII", 1, 0, 20, 10) + b"\x01" * 20, "record claims 20 captured bytes of a 10-byte packet"),
])
def test_trailing_garbage_warns(tree, tail, what):
    data = _good()
    with pytest.warns(IngestWarning, match=rf"byte offset {len(data)}: .*{what}"):
        report = _run(tree, "g.pcap", data + tail)
    assert report.packets == len(device_traffic())
    with pytest.raises(DataError, match=rf"byte offset {len(data)}"):
        _run(tree, "g.pcap", data + tail, strict=True)


def test_truncated_pcapng_block(tree):
    data = pcapng([(0, t, d, o) for t, d, o in records("ethernet", device_traffic())], [1])
    last = len(data) - struct.unpack("<I", data[-4:])[0]
    with pytest.warns(IngestWarning, match=rf"byte offset {last}: last pcapng block is truncated"):
        report = _run(tree, "t.pcapng", data[:-3])
    assert report.packets == len(device_traffic()) - 1
    with pytest.raises(DataError, match=rf"byte offset {last}"):
        _run(tree, "t.pcapng", data[:-3], strict=True)


def test_simple_packet_blocks_are_skipped_with_a_warning(tree):
    recs = [(0, t, d, o) for t, d, o in records("ethernet", device_traffic())]
    data = pcapng(recs, [1], blocks=["epb", "spb"] + ["epb"] * (len(recs) - 2))
    second = len(pcapng(recs[:1], [1]))  # the SPB follows the section header, interface and first packet
    with pytest.warns(IngestWarning, match=rf"s\.pcapng: byte offset {second}: 1 simple packet blocks \(the first "
                                           r"here\) have no timestamp and were skipped; the other packets are kept"):
        report = _run(tree, "s.pcapng", data)
    assert report.packets == len(recs) - 1
    with pytest.raises(DataError, match=rf"byte offset {second}: 1 simple packet blocks.*--strict"):
        _run(tree, "s.pcapng", data, strict=True)


def test_packet_on_an_interface_its_section_lacks(tree):
    recs = [(0, t, d, o) for t, d, o in records("ethernet", device_traffic())]
    later = pcapng([(1, *recs[2][1:])], [1, 1])  # a later section that declares two interfaces
    assert _run(tree, "ok.pcapng", pcapng(recs[:2], [1]) + later).packets == 3
    # interface 1 of a one-interface section must not be taken from the section after it
    first = bytearray(pcapng(recs[:2], [1]))
    packet = len(pcapng([], [1]))  # the first packet block follows the section header and its one interface
    struct.pack_into("<I", first, packet + 8, 1)  # its interface id
    with pytest.raises(DataError, match=rf"n\.pcapng: byte offset {packet}: packet on interface 1, but the section "
                                        r"declares only 1 interfaces"):
        _run(tree, "n.pcapng", bytes(first) + later)


def _table(tree, text: str, **kw):
    path = tree / "in" / "Cam" / "t.csv"
    path.write_text(text)
    return ingest([path], tree / "devices.csv", progress=False, **kw)


def test_table_missing_column(tree):
    with pytest.raises(DataError, match=r"t\.csv: packet table lacks the length column 'length' \(has 'time', 'len'\)"):
        _table(tree, "time,len\n0.1,60\n")


@pytest.mark.parametrize("text, match", [
    ("time,length\n0.1,60\ninf,60\n", r"t\.csv row 1 \(line 3\): column 'time' is inf, expected a finite number"),
    ("time,length\n0.1,60\n0.2,\n", r"t\.csv row 1 \(line 3\): column 'length' is empty, expected a finite number"),
    ("time,length\n0.1,-60\n", r"t\.csv row 0 \(line 2\): column 'length' is -60, expected a number >= 0"),
    ("time,length\n-0.1,60\n", r"t\.csv row 0 \(line 2\): column 'time' is -0\.1, expected a number >= 0"),
    ("time,length\n0.1,0\n", r"row 0 \(line 2\): column 'length' is 0, expected a packet length of at least 1"),
    ("time,length\n0.1,abc\n", r"row 0 \(line 2\): column 'length' is abc, expected a finite number"),
])
def test_table_bad_values_name_the_row(tree, text, match):
    with pytest.raises(DataError, match=match):
        _table(tree, text)


def test_device_table_errors(tree):
    (tree / "in" / "Cam" / "a.pcap").write_bytes(_good())
    (tree / "bad.csv").write_text("device,mac\nCam,aa:bb:cc:00:00:01\n")
    with pytest.raises(DataError, match=r"bad\.csv: device table lacks column\(s\) 'category' \(has 'device', 'mac'\)"):
        ingest([tree / "in"], tree / "bad.csv", progress=False)
    (tree / "bad.csv").write_text("device,mac,category\nCam,aa:bb:cc:00:00:01,camera\nCam,,plug\n")
    with pytest.raises(DataError, match=r"bad\.csv row 1 \(line 3\): device 'Cam' appears twice"):
        ingest([tree / "in"], tree / "bad.csv", progress=False)
    (tree / "bad.csv").write_text("device,mac,category\nCam,aa:bb:zz,camera\n")
    with pytest.raises(DataError, match=r"bad\.csv row 0 \(line 2\) column 'mac': 'aa:bb:zz' is not a MAC address"):
        ingest([tree / "in"], tree / "bad.csv", progress=False)


def test_unknown_device_policies(tree):
    (tree / "in" / "Cam" / "a.pcap").write_bytes(_good())
    (tree / "in" / "Other").mkdir()
    other = [(t, d.replace(DEV_MAC, bytes.fromhex("112233445566")), o) for t, d, o in records("ethernet", device_traffic())]
    (tree / "in" / "Other" / "b.pcap").write_bytes(pcap(other, 1))
    with pytest.raises(DataError, match=r"Other/b\.pcap: no device in the device table matches.*--unknown-device"):
        ingest([tree / "in"], tree / "devices.csv", progress=False)
    skipped = ingest([tree / "in"], tree / "devices.csv", unknown_device="skip", progress=False)
    assert skipped.dataset.device_ids == ["Cam/a.pcap"] and skipped.unknown_skipped == 1
    kept = ingest([tree / "in"], tree / "devices.csv", tree / "out", unknown_device="unknown", progress=False)
    dev = kept.dataset.devices.set_index("device_id")
    assert dev.loc["Other/b.pcap", "category"] == "unknown" and dev.loc["Other/b.pcap", "device"] == "Other"
    assert dev.loc["Other/b.pcap", "mac"] == "" and dev.loc["Cam/a.pcap", "category"] == "camera"
    check_dataset(tree / "out")


def test_failure_leaves_nothing_half_written(tree):
    (tree / "in" / "Cam" / "a.pcap").write_bytes(_good())
    out = tree / "out"
    ingest([tree / "in"], tree / "devices.csv", out, progress=False)
    check_dataset(out)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    (tree / "in" / "Cam" / "z.pcap").write_bytes(b"garbage!" * 4)
    with pytest.raises(DataError):
        ingest([tree / "in"], tree / "devices.csv", out, progress=False)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before  # the old dataset is untouched
    assert sorted(p.name for p in tree.iterdir()) == ["devices.csv", "in", "out"]  # no temporary left
    with pytest.raises(DataError):
        ingest([tree / "in"], tree / "devices.csv", tree / "new", progress=False)
    assert not (tree / "new").exists()
