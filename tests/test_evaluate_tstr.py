"""TSTR on a toy dataset whose categories are separable, and the per-object feature vectors."""

from __future__ import annotations

import numpy as np
import pytest

from kegan.dataset import split_objects
from kegan.dataset.format import Dataset
from kegan.dataset.toy import make_toy_dataset
from kegan.evaluate import tstr
from kegan.evaluate.features import FEATURE_NAMES, object_features, series_vector
from kegan.evaluate.tstr import CLASSIFIERS, ratios


@pytest.fixture(scope="module")
def parts():
    ds = make_toy_dataset(n_objects=60, n_categories=3, max_len=60, seed=1)
    tr, te = split_objects(ds, 0.7, seed=0)
    return ds.subset(tr), ds.subset(te)


@pytest.fixture(scope="module")
def real_scores(parts):
    train, test = parts
    return tstr(train, test, seed=0)


def _relabel(ds: Dataset, categories: list[str], prefix: str = "syn-") -> Dataset:
    return Dataset.from_series([f"{prefix}{i}" for i in range(len(ds))], categories, ds.series())


def test_features_fixed_length_non_negative(toy_dataset):
    x = object_features(toy_dataset)
    assert x.shape == (len(toy_dataset), len(FEATURE_NAMES)) == (40, 33)
    assert np.isfinite(x).all() and (x >= 0).all()
    one = series_vector(np.array([[0.0, 1, 60.0]]))
    assert one.shape == (33,) and one[FEATURE_NAMES.index("A_absdiff")] == 0.0
    assert one[FEATURE_NAMES.index("log_M")] == pytest.approx(np.log(2))


def test_real_baseline_separates_categories(real_scores):
    res = real_scores
    assert list(res) == list(CLASSIFIERS) == ["SVM", "kNN", "LR", "RF", "MLP", "NB"]
    for name in ("kNN", "LR", "RF"):
        assert res[name]["accuracy"] >= 0.9, (name, res[name])
        assert res[name]["macro_f1"] >= 0.9, (name, res[name])


def test_copy_of_real_gives_ratio_one(parts, real_scores):
    train, test = parts
    syn = tstr(_relabel(train, train.categories), test, seed=0)
    r = ratios(syn, real_scores)
    for name in CLASSIFIERS:
        for k in ("accuracy", "macro_f1"):
            assert r[name][k] == pytest.approx(1.0), (name, k)


def test_ratio_is_synthetic_over_real():
    real = {"SVM": {"accuracy": 0.8, "macro_f1": 0.5}, "kNN": {"accuracy": 0.0, "macro_f1": 0.4}}
    syn = {"SVM": {"accuracy": 0.4, "macro_f1": 0.5}, "kNN": {"accuracy": 0.3, "macro_f1": 0.1}}
    r = ratios(syn, real)
    assert r["SVM"] == {"accuracy": pytest.approx(0.5), "macro_f1": pytest.approx(1.0)}
    assert r["kNN"] == {"accuracy": None, "macro_f1": pytest.approx(0.25)}


def test_shuffled_labels_destroy_usefulness(parts, real_scores):
    train, test = parts
    shuffled = list(np.random.default_rng(0).permutation(train.categories))
    syn = tstr(_relabel(train, shuffled), test, seed=0)
    mean_syn = np.mean([syn[n]["accuracy"] for n in CLASSIFIERS])
    assert mean_syn < np.mean([real_scores[n]["accuracy"] for n in CLASSIFIERS]) - 0.3


def test_missing_category_and_single_category_training(parts):
    train, test = parts
    only = [i for i, c in enumerate(train.categories) if c == "cat0"]
    one_cat = Dataset.from_series([f"s{i}" for i in only], ["cat0"] * len(only), [train.series()[i] for i in only])
    res = tstr(one_cat, test, seed=0)
    share = test.categories.count("cat0") / len(test)
    for name in CLASSIFIERS:  # a constant predictor: right on cat0 only, F1 0 for the missing categories
        assert res[name]["accuracy"] == pytest.approx(share)
        assert res[name]["macro_f1"] < 0.5
