"""Privacy: copies of training series are flagged; an independent sample is not."""

from __future__ import annotations

import pytest

from kegan.dataset import split_objects
from kegan.dataset.format import Dataset
from kegan.dataset.toy import make_toy_dataset
from kegan.evaluate import privacy


@pytest.fixture(scope="module")
def halves():
    ds = make_toy_dataset(n_objects=80, n_categories=4, max_len=60, seed=3)
    tr, ho = split_objects(ds, 0.5, seed=0)  # equal-sized parts: 40 and 40
    return ds.subset(tr), ds.subset(ho)


def test_copy_of_training_series_is_flagged(halves):
    train, holdout = halves
    copy = Dataset.from_series([f"syn-{i}" for i in range(len(train))], train.categories, train.series())
    p = privacy(copy, train, holdout, seed=0)
    assert p["share_identical"] == 1.0
    assert p["share_identical_to_train"] == 1.0
    assert p["share_closer_to_train"] == pytest.approx(1.0)
    assert p["dcr_synthetic_median"] == 0.0
    assert p["dcr_holdout_median"] > 0.5


def test_copy_of_holdout_counts_identical_but_not_training(halves):
    train, holdout = halves
    copy = Dataset.from_series([f"syn-{i}" for i in range(len(holdout))], holdout.categories, holdout.series())
    p = privacy(copy, train, holdout, seed=0)
    assert p["share_identical"] == 1.0 and p["share_identical_to_train"] == 0.0
    assert p["share_closer_to_train"] == pytest.approx(0.0)


def test_independent_sample_shows_no_copying(halves):
    train, holdout = halves
    fresh = make_toy_dataset(n_objects=80, n_categories=4, max_len=60, seed=11)
    p = privacy(fresh, train, holdout, seed=0)
    assert p["share_identical"] == 0.0
    assert 0.3 < p["share_closer_to_train"] < 0.7
    assert p["dcr_synthetic_median"] == pytest.approx(p["dcr_holdout_median"], rel=0.5)
    assert p["n_dcr_sample"] == 40 and p["n_reference_sample"] == 40


def test_near_copies_are_not_identical(halves):
    train, holdout = halves
    nudged = [s * [1.0, 1.0, 1.001] for s in train.series()]
    p = privacy(Dataset.from_series([f"n{i}" for i in range(len(train))], train.categories, nudged), train, holdout)
    assert p["share_identical"] == 0.0
    assert p["share_closer_to_train"] > 0.9  # still sitting on top of training objects
