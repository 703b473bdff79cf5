"""Does the synthetic data copy real objects? (Not in the paper; a synthetic set that copies real
series is not shareable, however faithful.)

Three measures, on the TSTR feature vectors (:mod:`kegan.evaluate.features`) standardised with the
training part's mean and spread:

- ``share_identical``: the share of synthetic series identical (A, P, L record by record, rounded to
  9 decimals) to a real series of the training or held-out part; ``share_identical_to_train`` the same
  for the training part only. Anything above 0 means real series were reproduced verbatim.
- distance to closest record (DCR): for equal-sized random samples of synthetic and held-out objects,
  the Euclidean distance from each to its nearest training object; ``dcr_synthetic_median`` and
  ``dcr_holdout_median``. A generator that learnt the distribution puts its objects about as far from
  the training objects as unseen real objects are; much smaller synthetic distances mean memorisation.
- ``share_closer_to_train``: against equal-sized random samples of the training and held-out parts,
  the share of synthetic objects whose nearest training object is closer than their nearest held-out
  object (ties count half). 0.5 means no sign of copying; towards 1 the synthetic objects sit on top of
  training objects. When the training part is larger than the held-out part only a sample of it is
  used, so copies of training objects left out of that sample look like fresh objects: a verbatim
  copy of the whole training part scores about 0.5 + 0.5 * n_holdout / n_train, not 1. The DCR and
  identical shares catch that case.
"""

from __future__ import annotations

import hashlib
from typing import Any

import numpy as np
from sklearn.neighbors import NearestNeighbors
from sklearn.preprocessing import StandardScaler

from ..dataset.format import Dataset
from ..errors import DataError
from .features import object_features


def _series_keys(ds: Dataset) -> list[bytes]:
    keys = []
    for s in ds.series():
        r = np.round(np.asarray(s, dtype=np.float64), 9) + 0.0  # + 0.0 turns -0.0 into 0.0
        keys.append(hashlib.sha256(np.ascontiguousarray(r).tobytes()).digest() + len(r).to_bytes(8, "little"))
    return keys


def _nearest(reference: np.ndarray, queries: np.ndarray) -> np.ndarray:
    """Distance from each query row to its nearest reference row, shape (len(queries),)."""
    nn = NearestNeighbors(n_neighbors=1).fit(reference)
    return nn.kneighbors(queries, return_distance=True)[0][:, 0]


def privacy(synthetic: Dataset, train: Dataset, holdout: Dataset, seed: int = 0) -> dict[str, Any]:
    """Copying measures of ``synthetic`` against the real ``train`` part (what the generator saw) and a
    real ``holdout`` part (what it did not see).

    Returns ``{"share_identical", "share_identical_to_train", "dcr_synthetic_median",
    "dcr_holdout_median", "share_closer_to_train", "n_synthetic", "n_train", "n_holdout", "n_dcr_sample",
    "n_reference_sample"}``; the holdout-based entries are None when ``holdout`` is empty.
    Raises DataError when ``synthetic`` or ``train`` has no objects.
    """
    if len(synthetic) == 0 or len(train) == 0:
        raise DataError(f"privacy needs synthetic and training objects: got {len(synthetic)} and {len(train)}")
    rng = np.random.default_rng(seed)
    syn_keys = _series_keys(synthetic)
    train_keys = set(_series_keys(train))
    real_keys = train_keys | set(_series_keys(holdout))
    out: dict[str, Any] = {
        "share_identical": float(np.mean([k in real_keys for k in syn_keys])),
        "share_identical_to_train": float(np.mean([k in train_keys for k in syn_keys])),
        "n_synthetic": len(synthetic),
        "n_train": len(train),
        "n_holdout": len(holdout),
    }
    none = dict.fromkeys(
        ("dcr_synthetic_median", "dcr_holdout_median", "share_closer_to_train", "n_dcr_sample", "n_reference_sample")
    )
    if len(holdout) == 0:
        return out | none
    scaler = StandardScaler().fit(object_features(train))
    f_syn = scaler.transform(object_features(synthetic))
    f_train = scaler.transform(object_features(train))
    f_hold = scaler.transform(object_features(holdout))

    # DCR: equal-sized samples of synthetic and held-out objects against the whole training part
    k = min(len(f_syn), len(f_hold))
    syn_sample = f_syn[rng.choice(len(f_syn), size=k, replace=False)]
    hold_sample = f_hold[rng.choice(len(f_hold), size=k, replace=False)]
    dcr_syn = _nearest(f_train, syn_sample)
    dcr_hold = _nearest(f_train, hold_sample)

    # closer-to-train: equal-sized reference sets, so that 0.5 is what an unrelated sample scores
    r = min(len(f_train), len(f_hold))
    ref_train = f_train[rng.choice(len(f_train), size=r, replace=False)]
    ref_hold = f_hold[rng.choice(len(f_hold), size=r, replace=False)]
    d_train = _nearest(ref_train, f_syn)
    d_hold = _nearest(ref_hold, f_syn)
    closer = np.where(d_train < d_hold, 1.0, np.where(d_train == d_hold, 0.5, 0.0))
    return out | {
        "dcr_synthetic_median": float(np.median(dcr_syn)),
        "dcr_holdout_median": float(np.median(dcr_hold)),
        "share_closer_to_train": float(closer.mean()),
        "n_dcr_sample": int(k),
        "n_reference_sample": int(r),
    }
