"""Distances on inputs with known answers, the binning rules, categorized JSD and the floor."""

from __future__ import annotations

import math

import numpy as np
import pytest

from kegan.dataset.format import Dataset
from kegan.dataset.toy import make_toy_dataset
from kegan.evaluate import BinEdges, categorized, category_jsd, fidelity, floor, jsd
from kegan.evaluate.binning import N_BINS, FeatureBins
from kegan.evaluate.stats import compare, describe


def _ds(series: list[np.ndarray], cats: list[str], prefix: str = "o") -> Dataset:
    return Dataset.from_series([f"{prefix}{i}" for i in range(len(series))], cats, series)


def _const(m: int, a: float, p: int, l_: float) -> np.ndarray:
    return np.tile([a, p, l_], (m, 1)).astype(float)


# -- jsd -----------------------------------------------------------------------------------------
def test_jsd_identical_is_zero_and_disjoint_is_one():
    p = np.array([3, 1, 0, 6])
    assert jsd(p, p) == 0.0
    assert jsd(p, 2 * p) == 0.0  # only shares matter
    assert jsd([1, 0, 0], [0, 0, 5]) == pytest.approx(1.0, abs=1e-12)


def test_jsd_hand_computed():
    # p = (1, 0), q = (1/2, 1/2), m = (3/4, 1/4): KL(p||m) = log2(4/3), KL(q||m) = log2(4/3) / 2
    expected = math.sqrt((math.log2(4 / 3) + 0.5 * math.log2(4 / 3)) / 2)
    assert jsd([1, 0], [1, 1]) == pytest.approx(expected, rel=1e-12)
    assert expected == pytest.approx(0.55793, abs=1e-5)
    assert category_jsd(["a", "a"], ["a", "b"]) == pytest.approx(expected, rel=1e-12)


def test_jsd_empty_sides_and_bad_input():
    assert jsd([0, 0], [0, 0]) == 0.0
    assert jsd([0, 0], [1, 0]) == 1.0
    with pytest.raises(ValueError):
        jsd([1, 2], [1, 2, 3])
    with pytest.raises(ValueError):
        jsd([1, -1], [1, 1])


def test_category_jsd_counts_a_missing_category():
    assert category_jsd(["a", "b"], ["a", "b"]) == 0.0
    assert category_jsd(["a", "a"], ["b", "b"]) == pytest.approx(1.0)
    assert category_jsd(["a", "b"], ["a", "a"]) > 0.3


# -- binning -------------------------------------------------------------------------------------
def test_bins_span_real_range_on_log1p_with_under_and_overflow():
    real = _ds([_const(3, 0.0, 1, 60.0), _const(5, 10.0, 100, 1500.0)], ["x", "y"])
    edges = BinEdges.from_real(real)
    b = edges.bins["L"]
    assert (b.lo, b.hi) == (60.0, 1500.0)
    assert b.n_regular == N_BINS
    assert b.edges[0] == np.log1p(60.0) and b.edges[-1] == np.log1p(1500.0)
    assert np.allclose(np.diff(b.edges), np.diff(b.edges)[0])  # equal width on log1p
    c = edges.counts("L", [59.9, 60.0, 1500.0, 1500.1, 3000.0])
    assert c.shape == (N_BINS + 2,)
    assert c[0] == 1  # below the real minimum
    assert c[1] == 1  # the minimum: first regular bin
    assert c[-2] == 1  # the maximum: last regular bin, closed
    assert c[-1] == 2  # above the real maximum
    # M: one value per object (lengths 3 and 5)
    assert edges.counts("M", real.lengths()).sum() == 2
    assert (edges.bins["M"].lo, edges.bins["M"].hi) == (3.0, 5.0)


def test_bins_are_right_open_at_inner_edges():
    real = _ds([np.array([[0.0, 1, 1.0], [0.0, 1, 3.0]])], ["x"])  # L from 1 to 3
    b = BinEdges.from_real(real, n_bins=2).bins["L"]  # log1p edges: log 2, log 3, log 4
    mid = float(np.expm1(b.edges[1]))  # 2.0 up to rounding
    c = b.counts([1.5, 2.5, 3.0])
    assert list(c) == [0, 1, 2, 0]
    assert b.counts([mid + 1e-9])[2] == 1
    # a value whose log1p is exactly an inner edge belongs to the bin above it: [e_i, e_i+1)
    x = 2.0
    v = float(np.log1p(x))
    exact = FeatureBins(lo=0.0, hi=float(np.expm1(2 * v)), edges=np.array([0.0, v, 2 * v]))
    assert list(exact.counts([x])) == [0, 0, 1, 0]


def test_single_regular_bin_when_min_equals_max():
    real = _ds([_const(4, 0.5, 2, 100.0), _const(4, 0.5, 2, 100.0)], ["x", "x"])
    edges = BinEdges.from_real(real)
    b = edges.bins["L"]
    assert b.n_regular == 1
    assert list(b.counts([99.0, 100.0, 100.0, 101.0])) == [1, 2, 1]
    assert edges.bins["M"].n_regular == 1


def test_values_outside_real_range_make_distance_one():
    real = _ds([_const(5, 0.1, 2, 100.0), _const(6, 0.2, 3, 120.0)], ["x", "y"])
    far = _ds([_const(500, 9.0, 900, 1400.0), _const(600, 8.0, 800, 1300.0)], ["x", "y"], prefix="s")
    d = fidelity(real, far, BinEdges.from_real(real))
    assert d["C"] == 0.0
    for f in "MAPL":
        assert d[f] == pytest.approx(1.0), f


def test_edges_from_several_real_datasets_cover_all():
    a = _ds([_const(2, 0.1, 1, 50.0)], ["x"])
    b = _ds([_const(9, 3.0, 40, 900.0)], ["x"], prefix="b")
    e = BinEdges.from_reals([a, b])
    assert (e.bins["L"].lo, e.bins["L"].hi) == (50.0, 900.0)
    assert (e.bins["M"].lo, e.bins["M"].hi) == (2.0, 9.0)
    assert BinEdges.from_dict(e.to_dict()).bins["P"].edges.tolist() == e.bins["P"].edges.tolist()


# -- fidelity, categorized, floor ----------------------------------------------------------------
def test_identical_data_is_zero_everywhere(toy_dataset):
    edges = BinEdges.from_real(toy_dataset)
    copy = Dataset.from_series([f"syn-{i}" for i in range(len(toy_dataset))], toy_dataset.categories, toy_dataset.series())
    assert fidelity(toy_dataset, copy, edges) == {"C": 0.0, "M": 0.0, "A": 0.0, "P": 0.0, "L": 0.0}
    cat = categorized(toy_dataset, copy, edges)
    assert {f: cat[f] for f in "MAPL"} == {f: 0.0 for f in "MAPL"}


def test_different_data_is_between_zero_and_one(toy_dataset):
    other = make_toy_dataset(n_objects=40, n_categories=4, max_len=60, seed=7)
    d = fidelity(toy_dataset, other, BinEdges.from_real(toy_dataset))
    assert all(0.0 <= v <= 1.0 for v in d.values())
    assert d["A"] > 0 and d["L"] > 0


def test_categorized_missing_category_counts_one(toy_dataset):
    edges = BinEdges.from_real(toy_dataset)
    keep = [i for i, c in enumerate(toy_dataset.categories) if c != "cat3"]
    syn = Dataset.from_series(
        [f"syn-{i}" for i in keep], [toy_dataset.categories[i] for i in keep], [toy_dataset.series()[i] for i in keep]
    )
    cat = categorized(toy_dataset, syn, edges)
    assert cat["per_category"]["cat3"] == {"M": 1.0, "A": 1.0, "P": 1.0, "L": 1.0, "present": False}
    for c in ("cat0", "cat1", "cat2"):
        assert cat["per_category"][c]["present"] and cat["per_category"][c]["L"] == 0.0
    for f in "MAPL":
        assert cat[f] == pytest.approx(0.25)  # (0 + 0 + 0 + 1) / 4
    # a synthetic-only category does not enter the categorized mean
    extra = Dataset.from_series(["e0"], ["other"], [_const(3, 1.0, 2, 90.0)])
    both = Dataset.from_series(
        [f"syn-{i}" for i in range(len(toy_dataset))] + ["e0"],
        toy_dataset.categories + ["other"],
        toy_dataset.series() + extra.series(),
    )
    assert set(categorized(toy_dataset, both, edges)["per_category"]) == set(toy_dataset.category_names)


def test_floor_shape_and_reproducible(toy_dataset):
    edges = BinEdges.from_real(toy_dataset)
    f1 = floor(toy_dataset, edges, seeds=(0, 1, 2))
    assert set(f1) == {"C", "M", "A", "P", "L", "cat_M", "cat_A", "cat_P", "cat_L"}
    for v in f1.values():
        assert len(v["values"]) == 3 and v["std"] >= 0 and 0 <= v["mean"] <= 1
    assert f1["C"]["mean"] == 0.0  # 10 objects per category, stratified halves of 5 and 5
    assert f1["A"]["mean"] > 0  # two real halves are never identical
    assert floor(toy_dataset, edges, seeds=(0, 1, 2)) == f1
    assert floor(toy_dataset, edges, seeds=(3, 4, 5))["A"]["values"] != f1["A"]["values"]


def test_stats_quantiles_and_shares(toy_dataset):
    d = describe(toy_dataset)
    assert d["features"]["M"]["p50"] == pytest.approx(float(np.median(toy_dataset.lengths())))
    assert d["features"]["L"]["mean"] == pytest.approx(float(toy_dataset.records["L"].mean()))
    assert d["category_share"] == {f"cat{c}": 0.25 for c in range(4)}
    small = Dataset.from_series(["s0"], ["new"], [_const(2, 0.0, 1, 60.0)])
    cmp = compare(toy_dataset, small)
    assert cmp["real"]["category_share"]["new"] == 0.0 and cmp["synthetic"]["category_share"]["cat0"] == 0.0
