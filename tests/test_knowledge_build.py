"""build_knowledge (files, summary, seeding, tiny graphs, objects without triples) and embed_new."""

import json
import warnings

import numpy as np
import pandas as pd
import pytest
from conftest import check_dataset

from kegan.dataset import read_dataset, write_dataset
from kegan.dataset.format import Dataset
from kegan.errors import DataError
from kegan.knowledge.api import build_knowledge, read_triples
from kegan.knowledge.embed_new import embed_new, embed_new_objects
from kegan.knowledge.embeddings_io import read_embeddings


def _series(n):
    return [np.array([[0.0, 1, 60], [0.5, 2, 90]])] * n


def write_small(tmp_path, name, ids, categories, attrs, obs=None, meta=None):
    ds = Dataset.from_series(ids, categories, _series(len(ids)), attributes=pd.DataFrame(attrs), meta=meta)
    if obs is not None:
        ds.observations = pd.DataFrame(obs, columns=["device_id", "kind", "value", "count"])
    write_dataset(ds, tmp_path / name)
    check_dataset(tmp_path / name)
    return tmp_path / name


def four_devices(tmp_path, name="four", held_out=None):
    """4 devices x 5 captures; each capture shows 3 of its device's 4 own IPs plus shared facts."""
    rng = np.random.default_rng(0)
    ids, cats, attrs, obs = [], [], {"device": [], "manufacturer": []}, []
    for d in range(4):
        for k in range(5):
            dev_id = f"dev{d}/cap{k}.pcap"
            if held_out is not None and dev_id != held_out:
                continue
            if held_out is None and dev_id == "dev0/cap4.pcap":
                continue
            ids.append(dev_id)
            cats.append(f"cat{d % 2}")
            attrs["device"].append(f"dev{d}")
            attrs["manufacturer"].append(f"maker{d // 2}")  # devices 0 and 1 share a maker
            for i in rng.choice(4, size=3, replace=False):
                obs.append((dev_id, "remote_ip", f"198.51.{d}.{i}", 3))
            obs.append((dev_id, "dns_query", f"api.vendor{d}.example.net", 1))
            obs.append((dev_id, "remote_ip", "10.0.0.1", 5))  # everyone's gateway
            obs.append((dev_id, "remote_port", "udp/53", 2))
    return write_small(tmp_path, name, ids, cats, attrs, obs)


def test_build_writes_files_summary_and_dataset_key(tmp_path, toy_dataset):
    write_dataset(toy_dataset, tmp_path / "toy")
    before = json.loads((tmp_path / "toy" / "dataset.json").read_text())
    summary = build_knowledge(tmp_path / "toy", dim=8, epochs=3, seed=5, device="cpu", progress=False)
    check_dataset(tmp_path / "toy")
    triples = read_triples(tmp_path / "toy")
    assert len(triples) == summary.triples and summary.triples_per_relation["manufacturer"] == 40
    assert summary.relation_types == triples["relation"].nunique()
    assert summary.entities == len(set(triples["head"]) | set(triples["tail"]))
    ids, vectors = read_embeddings(tmp_path / "toy")
    assert ids == toy_dataset.device_ids and vectors.shape == (40, 8)
    stored = json.loads((tmp_path / "toy" / "knowledge.json").read_text())
    assert stored["seed"] == 5 and stored["dim"] == 8 and stored["epochs"] == 3
    assert stored["fingerprint"] == before["fingerprint"] and stored["pykeen_version"]
    after = json.loads((tmp_path / "toy" / "dataset.json").read_text())
    assert after.pop("knowledge") == {"dim": 8, "seed": 5, "fingerprint": before["fingerprint"]}
    assert after == before


def test_same_seed_same_embeddings_other_seed_other(tmp_path, toy_dataset):
    write_dataset(toy_dataset, tmp_path / "toy")
    runs = []
    for seed in (3, 3, 4):
        build_knowledge(tmp_path / "toy", dim=8, epochs=3, seed=seed, device="cpu", progress=False)
        runs.append(read_embeddings(tmp_path / "toy")[1])
    np.testing.assert_array_equal(runs[0], runs[1])
    assert not np.allclose(runs[0], runs[2])


def test_a_dozen_triples_train_with_a_warning(tmp_path):
    path = write_small(
        tmp_path, "tiny", ["a/1", "b/1", "c/1"], ["x", "y", "x"],
        {"manufacturer": ["M1", "M2", "M1"], "model": ["m1", "m2", "m3"], "connectivity": ["WiFi", "ZigBee", "WiFi|ZigBee"]},
    )
    with pytest.warns(UserWarning, match="tiny"):
        summary = build_knowledge(path, dim=4, epochs=5, seed=0, device="cpu", progress=False)
    assert summary.triples == 13  # 3 x (manufacturer, model) + 4 connectivity + 3 made_by
    assert read_embeddings(path)[1].shape == (3, 4)


def test_objects_without_triples_warn_then_mean_or_error(tmp_path):
    path = write_small(
        tmp_path, "empty", ["a/1", "b/1", "c/1", "d/1"], ["x", "y", "x", "y"],
        {"manufacturer": ["M1", "M2", "M1", ""], "connectivity": ["WiFi", "ZigBee", "WiFi", "nan"]},
    )
    with pytest.raises(DataError, match="1 of 4 objects have no triple.*'d/1'"):
        build_knowledge(path, dim=4, epochs=2, seed=0, device="cpu", progress=False, empty_policy="error")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        summary = build_knowledge(path, dim=4, epochs=2, seed=0, device="cpu", progress=False)
    assert any("no triple" in str(w.message) for w in caught)
    assert summary.objects_without_triples == ["d/1"]
    _, vectors = read_embeddings(path)
    np.testing.assert_allclose(vectors[3], vectors[:3].mean(axis=0), rtol=1e-6)


def test_embed_new_places_a_held_out_object_near_its_device(tmp_path):
    path = four_devices(tmp_path)
    build_knowledge(path, dim=16, epochs=30, seed=0, device="cpu", progress=False)
    new = read_dataset(four_devices(tmp_path, "new", held_out="dev0/cap4.pcap"))
    ids, vectors = embed_new_objects(path, new)
    assert ids == ["dev0/cap4.pcap"] and vectors.shape == (1, 16)
    known = read_dataset(path)
    _, emb = read_embeddings(path, known.device_ids)
    devices = known.devices["device"].to_numpy()
    dist = {d: float(np.linalg.norm(emb[devices == d] - vectors[0], axis=1).mean()) for d in sorted(set(devices))}
    assert min(dist, key=dist.get) == "dev0", dist
    assert all(dist["dev0"] < dist[d] for d in dist if d != "dev0")


def test_embed_new_rejects_unknown_relations(tmp_path, toy_dataset):
    write_dataset(toy_dataset, tmp_path / "toy")
    build_knowledge(tmp_path / "toy", dim=4, epochs=1, seed=0, device="cpu", progress=False)
    with pytest.raises(DataError, match="relation 'owned_by' is not in the trained graph"):
        embed_new(tmp_path / "toy", [("object:new", "owned_by", "person:x")])
