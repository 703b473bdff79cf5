"""In-memory form of a kegan dataset: objects (devices table) and their series of records.

A dataset is a set of objects O_i = (C_i, T_i) (paper section 2). ``devices`` has one row per object
(``device_id``, ``category``, optionally ``device`` and attribute columns, all strings); ``records`` one
row per record (``device_id``, ``seq``, ``A``, ``P``, ``L``), ordered as ``devices`` then by ``seq``;
``observations`` the network structure each object shows (``device_id``, ``kind``, ``value``, ``count``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

FORMAT_VERSION = 1
FEATURES = ("A", "P", "L")
DEVICE_COLUMNS = ("device_id", "category")
RECORD_COLUMNS = ("device_id", "seq", "A", "P", "L")
OBSERVATION_COLUMNS = ("device_id", "kind", "value", "count")

# Observation kinds written by ingest and read by the knowledge stage.
OBS_REMOTE_IP = "remote_ip"  # value: "203.0.113.5"
OBS_DNS_QUERY = "dns_query"  # value: "api.mydlink.com" (lower-case, no trailing dot)
OBS_DNS_ANSWER = "dns_answer"  # value: "api.mydlink.com=203.0.113.5" (a name that resolved to a remote IP)
OBS_REMOTE_PORT = "remote_port"  # value: "udp/123", "tcp/443"
OBS_MAC = "mac"  # value: "b0:c5:54:25:5b:0e"
OBS_MAC_VENDOR = "mac_vendor"  # value: "D-Link International" (netaddr OUI registry)
OBSERVATION_KINDS = (OBS_REMOTE_IP, OBS_DNS_QUERY, OBS_DNS_ANSWER, OBS_REMOTE_PORT, OBS_MAC, OBS_MAC_VENDOR)


@dataclass
class Dataset:
    """Devices, records, observations and metadata (``dataset.json``) of one dataset."""

    devices: pd.DataFrame
    records: pd.DataFrame
    observations: pd.DataFrame | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    # -- views ---------------------------------------------------------------------------------
    @property
    def device_ids(self) -> list[str]:
        return self.devices["device_id"].astype(str).tolist()

    @property
    def categories(self) -> list[str]:
        return self.devices["category"].astype(str).tolist()

    @property
    def category_names(self) -> list[str]:
        """Sorted distinct categories."""
        return sorted(set(self.categories))

    def __len__(self) -> int:
        return len(self.devices)

    def lengths(self) -> np.ndarray:
        """Series length M per object, in ``devices`` order, shape (N,)."""
        counts = self.records.groupby("device_id", sort=False).size()
        return counts.reindex(self.devices["device_id"]).fillna(0).to_numpy(dtype=np.int64)

    def series(self) -> list[np.ndarray]:
        """One (M_i, 3) float64 array of (A, P, L) per object, in ``devices`` order."""
        rec = self.records
        order = {d: i for i, d in enumerate(self.device_ids)}
        idx = rec["device_id"].map(order).to_numpy()
        sort = np.lexsort((rec["seq"].to_numpy(), idx))
        values = rec[list(FEATURES)].to_numpy(dtype=np.float64)[sort]
        counts = np.bincount(idx[sort], minlength=len(order))
        return np.split(values, np.cumsum(counts)[:-1])

    # -- building ------------------------------------------------------------------------------
    @classmethod
    def from_series(
        cls,
        device_ids: Sequence[str],
        categories: Sequence[str],
        series: Sequence[np.ndarray],
        attributes: pd.DataFrame | None = None,
        meta: dict[str, Any] | None = None,
    ) -> Dataset:
        """Build a dataset from per-object arrays of (A, P, L); each series needs >= 1 record.

        P is rounded to whole numbers. ``attributes`` (optional) adds columns to ``devices``, row-aligned.
        """
        if not (len(device_ids) == len(categories) == len(series)):
            raise ValueError("device_ids, categories and series must have the same length")
        devices = pd.DataFrame({"device_id": [str(d) for d in device_ids], "category": [str(c) for c in categories]})
        if attributes is not None:
            for col in attributes.columns:
                if col not in devices.columns:
                    devices[col] = attributes[col].astype(str).to_numpy()
        lens = np.array([len(s) for s in series], dtype=np.int64)
        stacked = np.concatenate([np.asarray(s, dtype=np.float64).reshape(-1, 3) for s in series]) if len(series) else np.zeros((0, 3))
        records = pd.DataFrame(
            {
                "device_id": np.repeat(devices["device_id"].to_numpy(), lens),
                "seq": np.concatenate([np.arange(m, dtype=np.int64) for m in lens]) if len(lens) else np.zeros(0, np.int64),
                "A": stacked[:, 0],
                "P": np.rint(stacked[:, 1]).astype(np.int64),
                "L": stacked[:, 2],
            }
        )
        return cls(devices=devices, records=records, observations=None, meta=dict(meta or {}))

    def subset(self, device_ids: Sequence[str]) -> Dataset:
        """The objects named (in the order given), with their records and observations."""
        wanted = [str(d) for d in device_ids]
        dev = self.devices.set_index("device_id", drop=False).loc[wanted].reset_index(drop=True)
        keep = set(wanted)
        rec = self.records[self.records["device_id"].isin(keep)]
        order = {d: i for i, d in enumerate(wanted)}
        rec = rec.assign(_o=rec["device_id"].map(order)).sort_values(["_o", "seq"]).drop(columns="_o").reset_index(drop=True)
        obs = None
        if self.observations is not None:
            obs = self.observations[self.observations["device_id"].isin(keep)].reset_index(drop=True)
        return Dataset(devices=dev, records=rec, observations=obs, meta=dict(self.meta))
