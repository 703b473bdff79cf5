"""AR baseline: lag matrices per object, least-squares recovery, sampling behaviour on toy data."""

import numpy as np
import pytest

from kegan.baselines.ar import ARGenerator, lag_design
from kegan.dataset.toy import make_toy_dataset
from kegan.errors import ParameterError


def test_no_lag_crosses_two_objects_and_category_drops_one_level():
    a = np.full((3, 4), 1.0)
    b = np.full((2, 4), 2.0)
    x, y = lag_design([a, b], np.array([0, 2]), order=2, n_categories=3)
    assert x.shape == (5, 1 + 4 * 2 + 2) and np.array_equal(y, np.concatenate([a, b]))
    # first record of b: both lags are zero padding, not a's last records
    assert np.all(x[3, 1:9] == 0)
    # second record of b: lag 1 is b's first record, lag 2 still padding
    assert np.all(x[4, 1:5] == 2.0) and np.all(x[4, 5:9] == 0)
    # third record of a: lag 1 and lag 2 are a's records
    assert np.all(x[2, 1:9] == 1.0)
    # category 0 is the dropped level, category 2 the second dummy
    assert x[:3, 9:].tolist() == [[0, 0]] * 3 and x[3:, 9:].tolist() == [[0, 1]] * 2


def test_least_squares_on_the_lag_design_recovers_a_known_ar2():
    rng = np.random.default_rng(0)
    coef = np.zeros((1 + 8, 4))
    coef[0] = [0.1, 0.3, 0.5, 0.7]
    coef[1:5] = 0.5 * np.eye(4)  # lag 1
    coef[5:9] = -0.2 * np.eye(4)  # lag 2
    objects = []
    for _ in range(100):
        s = np.zeros((80, 4))
        for j in range(80):
            lag1 = s[j - 1] if j >= 1 else np.zeros(4)
            lag2 = s[j - 2] if j >= 2 else np.zeros(4)
            s[j] = coef[0] + lag1 @ coef[1:5] + lag2 @ coef[5:9] + 0.1 * rng.standard_normal(4)
        objects.append(s)
    x, y = lag_design(objects, np.zeros(100, dtype=np.int64), order=2, n_categories=1)
    fitted, *_ = np.linalg.lstsq(x, y, rcond=None)
    assert np.allclose(fitted, coef, atol=0.05)


@pytest.fixture(scope="module")
def toy():
    return make_toy_dataset(n_objects=24, n_categories=3, max_len=30, seed=0)


def test_samples_follow_per_category_scale_length_and_frequency(toy):
    gen = ARGenerator(seed=0).fit(toy)
    assert gen.residual_cov_.shape == (4, 4) and (np.diag(gen.residual_cov_) > 0).all()
    out = gen.sample(600, seed=0)
    cats, lengths = np.array(out.categories), out.lengths()
    p_mean = {
        c: np.mean([s[:, 1].mean() for s, k in zip(out.series(), cats, strict=True) if k == c])
        for c in ("cat0", "cat2")
    }
    # toy: cat0 has few packets and short series, cat2 many packets and long series
    assert p_mean["cat0"] < p_mean["cat2"]
    assert lengths[cats == "cat0"].mean() < lengths[cats == "cat2"].mean()
    # categories drawn from the real (here balanced) frequencies
    assert all(abs((cats == c).mean() - 1 / 3) < 0.08 for c in ("cat0", "cat1", "cat2"))


def test_residual_noise_makes_samples_from_one_seed_object_differ():
    ds = make_toy_dataset(n_objects=3, n_categories=1, max_len=30, seed=1)
    out = ARGenerator(seed=0).fit(ds).sample(2, seed=0)
    s = out.series()
    m = min(len(s[0]), len(s[1]), 3)
    assert not np.allclose(s[0][1:m], s[1][1:m]) or len(s[0]) != len(s[1])


def test_order_is_checked():
    with pytest.raises(ParameterError, match="order=0"):
        ARGenerator(order=0)
    with pytest.raises(ParameterError, match="unknown setting"):
        ARGenerator(lags=3)
    assert ARGenerator(order=5).order == 5
    assert ARGenerator().order == 3  # the paper's t, issue default
