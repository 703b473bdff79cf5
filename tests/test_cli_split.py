import numpy as np
from conftest import check_dataset, run_kegan

from kegan.dataset import read_dataset, write_dataset
from kegan.knowledge.embeddings_io import read_embeddings, write_embeddings


def test_split_writes_disjoint_stratified_parts_with_their_embeddings(toy_dataset, tmp_path):
    write_dataset(toy_dataset, tmp_path / "d")
    vectors = np.random.default_rng(0).normal(size=(len(toy_dataset), 8))
    write_embeddings(tmp_path / "d" / "embeddings.parquet", toy_dataset.device_ids, vectors)
    res = run_kegan("split", tmp_path / "d", "--out", tmp_path / "s", "--seed", 1)
    assert res.returncode == 0, res.stderr
    train, test = read_dataset(tmp_path / "s" / "train"), read_dataset(tmp_path / "s" / "test")
    check_dataset(tmp_path / "s" / "train")
    check_dataset(tmp_path / "s" / "test")
    assert set(train.device_ids).isdisjoint(test.device_ids)
    assert len(train) + len(test) == len(toy_dataset) and len(test) == 12  # 3 of 10 per category
    assert sorted(set(test.categories)) == toy_dataset.category_names
    ids, vec = read_embeddings(tmp_path / "s" / "test")
    row = {d: i for i, d in enumerate(toy_dataset.device_ids)}
    np.testing.assert_allclose(vec, vectors[[row[d] for d in ids]].astype(np.float32))
    assert test.meta["split"]["part"] == "test"


def test_split_rejects_a_bad_fraction(toy_dataset, tmp_path):
    write_dataset(toy_dataset, tmp_path / "d")
    res = run_kegan("split", tmp_path / "d", "--out", tmp_path / "s", "--train-fraction", 1.5)
    assert res.returncode == 2 and "--train-fraction 1.5" in res.stderr
    assert not (tmp_path / "s").exists()
