"""`kegan export`: CSV copies of a dataset's tables, equal to the Parquet content."""

import pandas as pd
from conftest import run_kegan

from kegan.dataset import read_dataset, write_dataset


def test_export_writes_csv_copies_of_every_table(toy_dataset, tmp_path):
    write_dataset(toy_dataset, tmp_path / "d")
    res = run_kegan("export", tmp_path / "d", "--format", "csv")
    assert res.returncode == 0, res.stderr
    assert f"exported 40 objects, {len(toy_dataset.records)} records to {tmp_path / 'd' / 'csv'}/" in res.stdout
    ds = read_dataset(tmp_path / "d")
    devices = pd.read_csv(tmp_path / "d" / "csv" / "devices.csv", dtype=str, keep_default_na=False)
    pd.testing.assert_frame_equal(devices, ds.devices.astype(str))
    records = pd.read_csv(tmp_path / "d" / "csv" / "records.csv")
    pd.testing.assert_frame_equal(records, ds.records, check_dtype=False)
    assert (tmp_path / "d" / "csv" / "observations.csv").exists() == (ds.observations is not None)


def test_export_rejects_another_format_and_a_missing_dataset(toy_dataset, tmp_path):
    write_dataset(toy_dataset, tmp_path / "d")
    res = run_kegan("export", tmp_path / "d", "--format", "json")
    assert res.returncode == 2 and "--format 'json': only 'csv' is supported" in res.stderr
    assert not (tmp_path / "d" / "csv").exists()
    res = run_kegan("export", tmp_path / "nope")
    assert res.returncode == 2 and "nope" in res.stderr and "Traceback" not in res.stderr
