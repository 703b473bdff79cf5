import numpy as np
import pandas as pd
import pytest
from conftest import check_dataset

from kegan.dataset import read_dataset, split_objects, write_dataset
from kegan.dataset.format import Dataset
from kegan.dataset.io import content_fingerprint
from kegan.errors import DataError


def test_round_trip_keeps_content_and_passes_checker(toy_dataset, tmp_path):
    write_dataset(toy_dataset, tmp_path / "d")
    check_dataset(tmp_path / "d")
    back = read_dataset(tmp_path / "d")
    assert back.device_ids == toy_dataset.device_ids
    for a, b in zip(back.series(), toy_dataset.series(), strict=True):
        np.testing.assert_allclose(a, b)
    assert back.meta["counts"]["objects"] == 40
    stored = back.meta["fingerprint"]
    assert stored == content_fingerprint(back.devices, back.records, back.observations)
    changed = back.records.copy()
    changed.loc[5, "P"] += 1
    assert content_fingerprint(back.devices, changed, back.observations) != stored


@pytest.mark.parametrize("change, match", [
    (lambda r: r.drop(index=3).reset_index(drop=True), r"row 3: object 'dev0-0/capture-0\.pcap' has seq 4, expected 3"),
    (lambda r: r.assign(A=r["A"].where(r.index != 0, 2.5)),
     r"row 0: A=2\.5 on the first record of 'dev0-0/capture-0\.pcap', expected 0"),
])
def test_seq_gaps_and_a_nonzero_first_a_are_rejected(toy_dataset, tmp_path, change, match):
    bad = Dataset(devices=toy_dataset.devices, records=change(toy_dataset.records))
    with pytest.raises(DataError, match=match):
        write_dataset(bad, tmp_path / "bad")


def test_invalid_records_are_rejected_with_the_row(tmp_path):
    ds = Dataset.from_series(["a"], ["x"], [np.array([[0.0, 1, 60], [-1.0, 2, 70]])])
    with pytest.raises(DataError, match=r"row 1: A=-1.0, expected A >= 0"):
        write_dataset(ds, tmp_path / "bad")
    assert not (tmp_path / "bad").exists()


def test_unknown_format_version_is_a_clear_error(toy_dataset, tmp_path):
    import json

    write_dataset(toy_dataset, tmp_path / "d")
    meta = json.loads((tmp_path / "d" / "dataset.json").read_text())
    meta["format_version"] = 99
    (tmp_path / "d" / "dataset.json").write_text(json.dumps(meta))
    with pytest.raises(DataError, match="format_version 99"):
        read_dataset(tmp_path / "d")


def test_split_is_stratified_seeded_and_disjoint(toy_dataset):
    tr, te = split_objects(toy_dataset, 0.7, seed=3)
    assert set(tr).isdisjoint(te) and len(tr) + len(te) == 40
    cats = dict(zip(toy_dataset.device_ids, toy_dataset.categories, strict=True))
    assert pd.Series([cats[d] for d in te]).value_counts().to_dict() == {f"cat{c}": 3 for c in range(4)}
    assert split_objects(toy_dataset, 0.7, seed=3) == (tr, te)


def test_single_object_category_goes_to_training_with_a_warning():
    ds = Dataset.from_series(["a", "b", "c"], ["x", "x", "y"], [np.ones((2, 3))] * 3)
    with pytest.warns(UserWarning, match="y"):
        tr, te = split_objects(ds, 0.7, seed=0)
    assert "c" in tr


def test_fingerprint_covers_the_observations(toy_dataset, tmp_path):
    """The knowledge graph is built from the observations: a change there must change the fingerprint."""
    obs = pd.DataFrame({"device_id": [toy_dataset.device_ids[0]], "kind": ["remote_ip"], "value": ["192.0.2.1"],
                        "count": [3]})
    prints = []
    for value in ("192.0.2.1", "192.0.2.2"):
        ds = toy_dataset.subset(toy_dataset.device_ids)
        ds.observations = obs.assign(value=[value])
        write_dataset(ds, tmp_path / value)
        check_dataset(tmp_path / value)
        prints.append(read_dataset(tmp_path / value).meta["fingerprint"])
    write_dataset(toy_dataset, tmp_path / "none")
    assert len({*prints, read_dataset(tmp_path / "none").meta["fingerprint"]}) == 3
