"""Window and gap cutting against a hand-computed case, directly and through a capture."""

from __future__ import annotations

import numpy as np
import pytest
from pcapgen import T0, Packet, ipv4, pcap, records, udp

from kegan.errors import ParameterError
from kegan.ingest.api import ingest
from kegan.ingest.records import cut_records

# packet times (s) and IP lengths (bytes)
TIMES = [0.0, 0.2, 0.9, 1.05, 1.5, 3.2, 3.25]
LENGTHS = [100, 200, 300, 400, 500, 600, 700]
NS = 10**9


def _ns(times):
    return np.array([round(t * NS) for t in times], dtype=np.int64)


def test_window_cutting_hand_computed():
    # windows [0,1): 0, .2, .9 | [1,2): 1.05, 1.5 | [2,3) empty: no record | [3,4): 3.2, 3.25
    got = cut_records(_ns(TIMES), np.array(LENGTHS), window_ns=NS)
    want = [[0.0, 3, 200.0], [1.05, 2, 450.0], [2.15, 2, 650.0]]  # A = starts 0, 1.05, 3.2 differenced
    np.testing.assert_allclose(got, want)


def test_gap_cutting_hand_computed():
    # gaps .2 | .7 > .5 new | .15 | .45 | 1.7 > .5 new | .05
    got = cut_records(_ns(TIMES), np.array(LENGTHS), gap_ns=NS // 2)
    want = [[0.0, 2, 150.0], [0.9, 3, 400.0], [2.3, 2, 650.0]]
    np.testing.assert_allclose(got, want)


def test_a_gap_equal_to_g_does_not_cut_and_window_edges_belong_to_the_next_window():
    t = _ns([0.0, 0.5, 1.0])
    np.testing.assert_allclose(cut_records(t, np.array([10, 20, 30]), gap_ns=NS // 2), [[0, 3, 20.0]])
    np.testing.assert_allclose(cut_records(t, np.array([10, 20, 30]), window_ns=NS), [[0, 2, 15.0], [1.0, 1, 30.0]])


def test_through_a_capture_window_and_gap(tmp_path):
    # IP length = 20 (IPv4) + 8 (UDP) + payload
    pk = [Packet(T0 + round(t * NS), ipv4("10.0.0.2", "10.0.0.1", 17, udp(1000, 2000, bytes(n - 28)), ident=i))
          for i, (t, n) in enumerate(zip(TIMES, LENGTHS, strict=True))]
    # out of order in the file: records come from time order
    (tmp_path / "Cam").mkdir()
    (tmp_path / "Cam" / "a.pcap").write_bytes(pcap(records("ethernet", pk[::-1]), 1))
    (tmp_path / "d.csv").write_text("device,category\nCam,camera\n")
    by_window = ingest([tmp_path / "Cam"], tmp_path / "d.csv", progress=False).dataset
    np.testing.assert_allclose(by_window.series()[0], [[0.0, 3, 200.0], [1.05, 2, 450.0], [2.15, 2, 650.0]])
    by_gap = ingest([tmp_path / "Cam"], tmp_path / "d.csv", gap=0.5, progress=False).dataset
    np.testing.assert_allclose(by_gap.series()[0], [[0.0, 2, 150.0], [0.9, 3, 400.0], [2.3, 2, 650.0]])
    assert by_gap.meta["sampling"]["mode"] == "gap" and by_gap.meta["sampling"]["gap"] == 0.5
    assert by_window.meta["sampling"] == {**by_window.meta["sampling"], "mode": "window", "window": 1.0}


@pytest.mark.parametrize("bad", [0, -1, float("nan"), float("inf")])
def test_bad_window_is_a_parameter_error(tmp_path, bad):
    with pytest.raises(ParameterError, match="--window"):
        ingest([tmp_path], None, window=bad, unknown_device="unknown", progress=False)
