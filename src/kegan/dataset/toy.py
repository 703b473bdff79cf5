"""A small synthetic dataset with known structure, for tests, examples and `bench --quick`.

Each category has its own scale for A, P, L and its own typical length, so that categories are
separable from their series; devices carry a manufacturer attribute and observations that say
something true about the category, like the real data does.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .format import Dataset


def make_toy_dataset(n_objects: int = 40, n_categories: int = 4, max_len: int = 60, seed: int = 0) -> Dataset:
    """A dataset of ``n_objects`` objects over ``n_categories`` categories (round-robin), seeded."""
    rng = np.random.default_rng(seed)
    ids, cats, series, devs, mans = [], [], [], [], []
    obs_rows = []
    for i in range(n_objects):
        c = i % n_categories
        m = int(np.clip(rng.normal(max_len * (c + 1) / (n_categories + 1), 3), 1, max_len))
        a = rng.exponential(0.5 * (c + 1), size=m)
        a[0] = 0.0
        p = rng.poisson(2 + 3 * c, size=m) + 1
        l_ = rng.normal(100 + 150 * c, 10, size=m).clip(40, 1500)
        dev = f"dev{c}-{i % 3}"
        ids.append(f"{dev}/capture-{i}.pcap")
        cats.append(f"cat{c}")
        series.append(np.stack([a, p, l_], axis=1))
        devs.append(dev)
        mans.append(f"maker{c}")
        obs_rows += [
            (ids[-1], "remote_ip", f"198.51.100.{10 + c}", int(m)),
            (ids[-1], "dns_query", f"api.vendor{c}.example.com", 1),
            (ids[-1], "remote_port", f"tcp/{8000 + c}", int(m)),
        ]
    attrs = pd.DataFrame({"device": devs, "manufacturer": mans})
    ds = Dataset.from_series(ids, cats, series, attributes=attrs, meta={"kind": "real", "sources": ["toy"]})
    ds.observations = pd.DataFrame(obs_rows, columns=["device_id", "kind", "value", "count"])
    return ds
