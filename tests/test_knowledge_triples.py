"""The triple rules on a small hand-made dataset: exactly what docs/knowledge.md says, nothing more."""

import numpy as np
import pandas as pd
import pytest
from conftest import check_dataset

from kegan.dataset import read_dataset, write_dataset
from kegan.dataset.format import Dataset
from kegan.errors import DataError, ParameterError
from kegan.knowledge.platforms import load_platforms, registered_domain
from kegan.knowledge.triples import build_triples


@pytest.fixture(scope="module")
def hand(tmp_path_factory) -> Dataset:
    return hand_made(tmp_path_factory.mktemp("kg-hand"))


def hand_made(tmp_path) -> Dataset:
    """Three objects of two devices; written and read back, so the rules see what a reader sees."""
    ids = ["cam/1.pcap", "cam/2.pcap", "plug/1.pcap"]
    series = [np.array([[0.0, 2, 60], [1.0, 1, 80]])] * 3
    attrs = pd.DataFrame(
        {
            "device": ["cam", "cam", "plug"],
            "mac": ["b0:c5:54:25:5b:0e", "b0:c5:54:25:5b:0e", "50:c7:bf:00:fc:a3"],
            "serial": ["SN-1", "SN-1", "SN-2"],
            "manufacturer": ["D-Link", "D-Link", "TP-Link"],
            "model": ["DCS-930L", "DCS-930L", "HS100"],
            "connectivity": ["WiFi|Ethernet", "WiFi|Ethernet", "WiFi"],
            "location": ["", "", "kitchen"],
        }
    )
    ds = Dataset.from_series(ids, ["camera", "camera", "plug_switch"], series, attributes=attrs,
                             meta={"key_columns": ["device", "mac", "serial"]})
    ds.observations = pd.DataFrame(
        [
            ("cam/1.pcap", "dns_query", "api.mydlink.com", 2),
            ("cam/1.pcap", "dns_answer", "api.mydlink.com=203.0.113.5", 1),
            ("cam/1.pcap", "remote_ip", "203.0.113.5", 9),
            ("cam/1.pcap", "remote_port", "tcp/443", 9),
            ("cam/1.pcap", "remote_port", "tcp/51234", 3),  # one object only: ephemeral
            ("cam/1.pcap", "mac", "b0:c5:54:25:5b:0e", 10),
            ("cam/1.pcap", "mac_vendor", "D-Link International", 10),
            ("cam/2.pcap", "remote_ip", "203.0.113.5", 4),  # no query, but the IP answered api.mydlink.com
            ("cam/2.pcap", "remote_port", "tcp/443", 4),
            ("plug/1.pcap", "dns_query", "gw", 1),  # no public suffix: no domain, no platform
            ("plug/1.pcap", "remote_port", "udp/123", 1),
            ("plug/1.pcap", "remote_port", "udp/9999", 0),  # count 0: not observed
        ],
        columns=["device_id", "kind", "value", "count"],
    )
    write_dataset(ds, tmp_path / "hand")
    check_dataset(tmp_path / "hand")
    return read_dataset(tmp_path / "hand")


def as_set(frame):
    return set(map(tuple, frame[["head", "relation", "tail"]].to_numpy()))


def test_triples_are_exactly_what_the_rules_say(hand):
    ds = hand
    got = as_set(build_triples(ds))
    c1, c2, p1 = "object:cam/1.pcap", "object:cam/2.pcap", "object:plug/1.pcap"
    expected = {
        # device table: attribute columns, one triple per value of a multi-valued cell, empty cells none
        (c1, "manufacturer", "manufacturer:D-Link"), (c1, "model", "model:DCS-930L"),
        (c1, "connectivity", "connectivity:WiFi"), (c1, "connectivity", "connectivity:Ethernet"),
        (c2, "manufacturer", "manufacturer:D-Link"), (c2, "model", "model:DCS-930L"),
        (c2, "connectivity", "connectivity:WiFi"), (c2, "connectivity", "connectivity:Ethernet"),
        (p1, "manufacturer", "manufacturer:TP-Link"), (p1, "model", "model:HS100"),
        (p1, "connectivity", "connectivity:WiFi"), (p1, "location", "location:kitchen"),
        # observations
        (c1, "queries", "dns_name:api.mydlink.com"), (c1, "queries_domain", "domain:mydlink.com"),
        (c1, "communicates_with", "platform:D-Link mydlink"), (c1, "talks_to", "ip:203.0.113.5"),
        (c1, "uses_port", "port:tcp/443"), (c1, "uses_port", "port:tcp/ephemeral"),
        (c1, "uses_protocol", "protocol:tcp"), (c1, "mac_vendor", "vendor:D-Link International"),
        (c2, "talks_to", "ip:203.0.113.5"), (c2, "communicates_with", "platform:D-Link mydlink"),
        (c2, "uses_port", "port:tcp/443"), (c2, "uses_protocol", "protocol:tcp"),
        (c2, "mac_vendor", "vendor:D-Link International"),  # from the mac column (netaddr registry)
        (p1, "queries", "dns_name:gw"), (p1, "uses_port", "port:udp/123"), (p1, "uses_protocol", "protocol:udp"),
        (p1, "mac_vendor", "vendor:TP-LINK TECHNOLOGIES CO.,LTD."),
        # second-level facts
        ("model:DCS-930L", "made_by", "manufacturer:D-Link"), ("model:HS100", "made_by", "manufacturer:TP-Link"),
        ("dns_name:api.mydlink.com", "subdomain_of", "domain:mydlink.com"),
        ("dns_name:api.mydlink.com", "resolves_to", "ip:203.0.113.5"),
        ("domain:mydlink.com", "operated_by", "platform:D-Link mydlink"),
        ("platform:D-Link mydlink", "platform_kind", "platform_kind:iot_cloud"),
        ("port:tcp/443", "port_protocol", "protocol:tcp"), ("port:tcp/ephemeral", "port_protocol", "protocol:tcp"),
        ("port:udp/123", "port_protocol", "protocol:udp"),
    }
    assert got == expected


def test_category_and_key_columns_never_enter_the_graph(hand):
    ds = hand
    triples = build_triples(ds)
    relations = set(triples["relation"])
    assert not relations & {"category", "device", "mac", "serial", "device_id"}
    labels = set(triples["head"]) | set(triples["tail"])
    for forbidden in ("camera", "plug_switch", "SN-1", "SN-2", "b0:c5:54:25:5b:0e", "50:c7:bf:00:fc:a3"):
        assert not any(forbidden in label for label in labels), forbidden



def test_toy_dataset_categories_stay_out(toy_dataset):
    triples = build_triples(toy_dataset)
    labels = set(triples["head"]) | set(triples["tail"])
    assert "category" not in set(triples["relation"]) and "device" not in set(triples["relation"])
    assert not any(label.endswith(c) for label in labels for c in toy_dataset.category_names)


def test_relation_map_renames_and_drops_but_never_admits_keys(hand):
    ds = hand
    triples = build_triples(ds, relation_map={"manufacturer": "manufactured_by", "connectivity": None})
    relations = set(triples["relation"])
    assert "manufactured_by" in relations and "manufacturer" not in relations
    assert "connectivity" not in relations
    assert "manufacturer:D-Link" in set(triples["tail"])  # tails keep their type
    for key in ("category", "serial", "mac"):
        with pytest.raises(ParameterError, match="never a relation"):
            build_triples(ds, relation_map={key: "x"})


def test_registered_domains_are_offline_and_strict():
    assert registered_domain("api.dch.dlink.com") == "dlink.com"
    assert registered_domain("s1a.time.edu.cn") == "time.edu.cn"
    assert registered_domain("gw") is None
    assert registered_domain("alt7-mtalk.google.com.belkin") is None
    assert registered_domain("203.0.113.5") is None


def test_platform_table_ships_and_rejects_duplicates(tmp_path):
    table = load_platforms()
    assert table["mydlink.com"] == ("D-Link mydlink", "iot_cloud")
    bad = tmp_path / "p.csv"
    bad.write_text("registered_domain,platform,kind\na.com,A,x\na.com,B,y\n")
    with pytest.raises(DataError, match="line 3"):
        load_platforms(bad)
