"""The real IoT Sentinel captures: 550 capture objects in 8 categories, 31 device objects, and the two
folders that share a MAC with their hub keep their own device."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from conftest import SENTINEL_CAPTURES, SENTINEL_DEVICES, check_dataset, run_kegan

from kegan.dataset import read_dataset


def test_capture_objects(sentinel_dataset):
    out = check_dataset(sentinel_dataset)
    assert out.startswith("conforms: 550 objects, 8 categories")
    ds = read_dataset(sentinel_dataset)
    assert len(ds) == 550 and len(ds.category_names) == 8
    assert list(ds.devices.columns) == ["device_id", "device", "category", "mac", "manufacturer", "model",
                                        "connectivity"]
    assert "D-LinkCam/Setup-A-1-STA.pcap" in set(ds.device_ids)
    table = pd.read_csv(SENTINEL_DEVICES, dtype=str, keep_default_na=False).set_index("device")
    # every object's device is its folder, and its attributes are that device's row
    folder = ds.devices["device_id"].str.split("/").str[0]
    assert (ds.devices["device"] == folder).all()
    for col in ("category", "mac", "manufacturer", "connectivity"):
        assert (ds.devices[col].to_numpy() == table.loc[folder, col].to_numpy()).all(), col
    counts = ds.devices.groupby("device").size()
    for shared in ("D-LinkDoorSensor", "D-LinkHomeHub", "HueBridge", "HueSwitch"):
        n_files = len(list((SENTINEL_CAPTURES / shared).glob("*.pcap")))
        assert counts[shared] == n_files > 0
    assert set(ds.devices.loc[ds.devices["device"] == "HueSwitch", "category"]) == {table.loc["HueSwitch", "category"]}
    meta = json.loads((sentinel_dataset / "dataset.json").read_text())
    assert meta["key_columns"] == ["device", "mac"]
    assert meta["sampling"]["mode"] == "window" and meta["sampling"]["window"] == 1.0
    assert meta["counts"]["files_read"] == 550 and meta["counts"]["files_skipped"] == 35
    assert meta["counts"]["non_ip_skipped"] > 0 and meta["counts"]["packets"] > 180_000
    obs = ds.observations
    assert set(obs["kind"]) == {"remote_ip", "dns_query", "dns_answer", "remote_port", "mac", "mac_vendor"}
    macs = obs[obs["kind"] == "mac"].set_index("device_id")["value"]
    assert (macs.reindex(ds.device_ids).to_numpy() == ds.devices["mac"].to_numpy()).all()


def test_device_objects_through_the_cli(tmp_path):
    out = tmp_path / "by-device"
    res = run_kegan("ingest", SENTINEL_CAPTURES, "--devices", SENTINEL_DEVICES, "--out", out, "--object", "device",
                    "--quiet")
    assert res.returncode == 0, res.stderr
    assert "objects: 31 in 8 categories" in res.stdout
    assert check_dataset(out).startswith("conforms: 31 objects, 8 categories")
    ds = read_dataset(out)
    assert sorted(ds.device_ids) == sorted(p.name for p in SENTINEL_CAPTURES.iterdir() if p.is_dir())
    assert json.loads((out / "dataset.json").read_text())["sampling"]["object"] == "device"


def test_cli_bad_input_exits_2_with_the_message(tmp_path):
    bad = tmp_path / "x.pcap"
    bad.write_bytes(b"GIF89a not a capture")
    res = run_kegan("ingest", bad, "--devices", SENTINEL_DEVICES, "--out", tmp_path / "out", "--quiet")
    assert res.returncode == 2
    assert "error:" in res.stderr and "x.pcap: byte offset 0: unknown capture format, first bytes 47 49 46 38" in res.stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("flags, message", [
    (["--window", "1", "--gap", "2"], "--window and --gap exclude each other"),
    (["--window", "0"], "--window 0.0: expected a positive number of seconds"),
    (["--gap", "-1"], "--gap -1.0: expected a positive number of seconds"),
    (["--object", "file"], "--object 'file': expected one of capture, device"),
])
def test_cli_bad_settings_exit_2_before_reading_anything(tmp_path, flags, message):
    res = run_kegan("ingest", SENTINEL_CAPTURES, "--devices", SENTINEL_DEVICES, "--out", tmp_path / "out", "--quiet",
                    *flags)
    assert res.returncode == 2 and message in res.stderr, res.stderr
    assert not (tmp_path / "out").exists()
