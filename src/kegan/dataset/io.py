"""Reading, validating and writing dataset directories (docs/format.md)."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import numpy as np
import pandas as pd

from ..atomic import atomic_dir
from ..errors import DataError
from .format import (
    DEVICE_COLUMNS,
    FEATURES,
    FORMAT_VERSION,
    OBSERVATION_COLUMNS,
    RECORD_COLUMNS,
    Dataset,
)


def content_fingerprint(devices: pd.DataFrame, records: pd.DataFrame, observations: pd.DataFrame | None = None) -> str:
    """sha256 over the devices, records and (when given) observations content: column names and values,
    row order included. The observations count because the knowledge graph is built from them."""
    h = hashlib.sha256()
    for frame in (devices, records) if observations is None else (devices, records, observations):
        h.update(("|".join(map(str, frame.columns))).encode())
        h.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    return h.hexdigest()


def validate(ds: Dataset, where: str = "dataset") -> None:
    """Raise DataError naming the file and field when ``ds`` breaks the format."""
    for col in DEVICE_COLUMNS:
        if col not in ds.devices.columns:
            raise DataError(f"{where}/devices.parquet: missing column {col!r}")
    for col in RECORD_COLUMNS:
        if col not in ds.records.columns:
            raise DataError(f"{where}/records.parquet: missing column {col!r}")
    dup = ds.devices["device_id"].duplicated()
    if dup.any():
        raise DataError(f"{where}/devices.parquet: device_id {ds.devices['device_id'][dup].iloc[0]!r} appears more than once")
    if ds.devices["category"].isna().any():
        row = int(np.flatnonzero(ds.devices["category"].isna().to_numpy())[0])
        raise DataError(f"{where}/devices.parquet row {row}: category is missing")
    rec = ds.records
    for col in FEATURES:
        vals = rec[col].to_numpy(dtype=np.float64)
        bad = ~np.isfinite(vals)
        if bad.any():
            raise DataError(f"{where}/records.parquet row {int(np.flatnonzero(bad)[0])}: {col} is not finite")
    checks = [("A", rec["A"] < 0, "A >= 0"), ("P", rec["P"] < 1, "P >= 1"), ("L", rec["L"] <= 0, "L > 0")]
    for col, bad, expected in checks:
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0])
            raise DataError(f"{where}/records.parquet row {row}: {col}={rec[col].iloc[row].item()!r}, expected {expected}")
    # seq runs 0, 1, 2, ... within each object, and the first record's A is 0 (nothing came before it)
    # (integer object codes, not strings, to sort: 10x faster on 5M records)
    codes = pd.factorize(rec["device_id"])[0]
    seq = rec["seq"].to_numpy()
    order = np.lexsort((seq, codes))
    grouped = codes[order]
    starts = np.flatnonzero(np.r_[True, grouped[1:] != grouped[:-1]])  # first row of each object
    expected = np.arange(len(order)) - np.repeat(starts, np.diff(np.r_[starts, len(order)]))
    wrong = np.flatnonzero(seq[order] != expected)
    if len(wrong):
        row = int(order[wrong[0]])
        raise DataError(f"{where}/records.parquet row {row}: object {rec['device_id'].iloc[row]!r} has seq "
                        f"{rec['seq'].iloc[row]}, expected {expected[wrong[0]]} (seq runs 0, 1, 2, ... per object)")
    first = np.flatnonzero(((rec["seq"] == 0) & (rec["A"] != 0)).to_numpy())
    if len(first):
        row = int(first[0])
        raise DataError(f"{where}/records.parquet row {row}: A={rec['A'].iloc[row].item()!r} on the first record "
                        f"of {rec['device_id'].iloc[row]!r}, expected 0")
    unknown = set(rec["device_id"]) - set(ds.devices["device_id"])
    if unknown:
        raise DataError(f"{where}/records.parquet: device_id {sorted(unknown)[0]!r} is not in devices.parquet")
    lengths = ds.lengths()
    if (lengths == 0).any():
        d = ds.devices["device_id"].iloc[int(np.flatnonzero(lengths == 0)[0])]
        raise DataError(f"{where}/devices.parquet: object {d!r} has no records")


def write_dataset(ds: Dataset, path: str | os.PathLike, extra_files: dict[str, bytes] | None = None) -> Path:
    """Validate and write ``ds`` to directory ``path`` atomically; returns the path.

    ``dataset.json`` gets the format version, counts and content fingerprint on top of ``ds.meta``.
    An existing directory at ``path`` is replaced whole, and only once the new one is complete.
    """
    path = Path(path)
    validate(ds, str(path))
    devices = ds.devices.reset_index(drop=True).copy()
    for col in devices.columns:
        devices[col] = devices[col].astype(str)
    records = ds.records.reset_index(drop=True)[list(RECORD_COLUMNS)].astype(
        {"device_id": str, "seq": "int64", "A": "float64", "P": "int64", "L": "float64"}
    )
    meta = dict(ds.meta)
    meta["format"] = "kegan-dataset"
    meta["format_version"] = FORMAT_VERSION
    counts = dict(meta.get("counts", {}))
    counts.update(
        objects=int(len(devices)),
        records=int(len(records)),
        categories=int(devices["category"].nunique()),
    )
    meta["counts"] = counts
    obs = None
    if ds.observations is not None:
        obs = ds.observations.reset_index(drop=True)[list(OBSERVATION_COLUMNS)].astype(
            {"device_id": str, "kind": str, "value": str, "count": "int64"}
        )
    meta["fingerprint"] = content_fingerprint(devices, records, obs)
    with atomic_dir(path) as tmp:
        devices.to_parquet(tmp / "devices.parquet", index=False)
        records.to_parquet(tmp / "records.parquet", index=False)
        if obs is not None:
            obs.to_parquet(tmp / "observations.parquet", index=False)
        for name, data in (extra_files or {}).items():
            (tmp / name).write_bytes(data)
        (tmp / "dataset.json").write_text(json.dumps(meta, indent=2, default=str) + "\n", encoding="utf-8")
    ds.meta = meta
    return path


def read_meta(path: str | os.PathLike) -> dict:
    p = Path(path) / "dataset.json"
    if not p.exists():
        raise DataError(f"{path}: not a kegan dataset (no dataset.json); create one with `kegan ingest`")
    try:
        meta = json.loads(p.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise DataError(f"{p}: not valid JSON ({e})") from e
    version = meta.get("format_version")
    if version != FORMAT_VERSION:
        raise DataError(f"{p}: format_version {version!r} is not supported (this kegan reads {FORMAT_VERSION})")
    return meta


def read_dataset(path: str | os.PathLike, validate_content: bool = True) -> Dataset:
    """Read a dataset directory; raises DataError naming the file when it is missing or malformed."""
    path = Path(path)
    if not path.is_dir():
        raise DataError(f"{path}: no such dataset directory")
    meta = read_meta(path)
    frames = {}
    for name in ("devices", "records"):
        f = path / f"{name}.parquet"
        if not f.exists():
            raise DataError(f"{f}: missing")
        try:
            frames[name] = pd.read_parquet(f)
        except Exception as e:  # noqa: BLE001 - any pyarrow failure is a bad file to the user
            raise DataError(f"{f}: cannot be read as Parquet ({e})") from e
    obs = None
    if (path / "observations.parquet").exists():
        obs = pd.read_parquet(path / "observations.parquet")
    records = frames["records"]
    # Records in devices order, then seq: every consumer may rely on it.
    order = {d: i for i, d in enumerate(frames["devices"]["device_id"].astype(str))}
    if len(records):
        records = records.assign(_o=records["device_id"].map(order)).sort_values(["_o", "seq"], kind="stable")
        records = records.drop(columns="_o").reset_index(drop=True)
    ds = Dataset(devices=frames["devices"], records=records, observations=obs, meta=meta)
    if validate_content:
        validate(ds, str(path))
    return ds
