"""HMM baseline: states per category, retries and fallback on degenerate fits, the vectorised sampler."""

import numpy as np
import pytest
from hmmlearn.hmm import GaussianHMM

from kegan.baselines.hmm import HMMGenerator, _sample_hmm, _usable
from kegan.dataset.format import Dataset
from kegan.dataset.toy import make_toy_dataset


@pytest.fixture(scope="module")
def toy():
    return make_toy_dataset(n_objects=24, n_categories=3, max_len=30, seed=0)


def test_small_categories_get_fewer_states(toy):
    series = toy.series() + [np.array([[0.0, 1, 100.0], [0.1, 2, 90.0]])]
    cats = toy.categories + ["tiny"]
    ds = Dataset.from_series([f"d{i}" for i in range(len(series))], cats, series)
    gen = HMMGenerator(seed=0, n_states=4, n_iter=5).fit(ds)
    report = {r["category"]: r for r in gen.fit_report_}
    assert report["tiny"]["states"] == 1 and report["tiny"]["records"] == 2
    records = {
        c: int(sum(len(s) for s, k in zip(series, cats, strict=True) if k == c)) for c in ("cat1", "cat2")
    }
    assert all(report[c]["states"] == min(4, records[c] // 10) for c in ("cat1", "cat2"))


def test_defaults_are_eight_diagonal_float64_states_per_category(toy):
    assert HMMGenerator().options["n_states"] == 8
    series = [np.tile(s, (8, 1)) for s in toy.series()]  # enough records for every state
    gen = HMMGenerator(seed=0, n_iter=3).fit(Dataset.from_series(toy.device_ids, toy.categories, series))
    assert sorted(r["category"] for r in gen.fit_report_) == sorted(set(toy.categories))
    assert all(r["states"] == 8 for r in gen.fit_report_)


def test_samples_follow_per_category_scale_and_length(toy):
    out = HMMGenerator(seed=0, n_states=3, n_iter=20).fit(toy).sample(600, seed=0)
    cats, lengths = np.array(out.categories), out.lengths()
    p_mean = {
        c: np.mean([s[:, 1].mean() for s, k in zip(out.series(), cats, strict=True) if k == c])
        for c in ("cat0", "cat2")
    }
    assert p_mean["cat0"] < p_mean["cat2"]
    assert lengths[cats == "cat0"].mean() < lengths[cats == "cat2"].mean()


def test_a_failing_fit_is_retried_and_reported(toy, monkeypatch):
    real_fit, calls = GaussianHMM.fit, {"n": 0}

    def flaky(self, x, lengths=None):
        calls["n"] += 1
        if calls["n"] == 1:
            raise ValueError("rows of transmat_ must sum to 1.0")
        return real_fit(self, x, lengths)

    monkeypatch.setattr(GaussianHMM, "fit", flaky)
    gen = HMMGenerator(seed=0, n_states=2, n_iter=3).fit(toy)
    first = gen.fit_report_[0]
    assert first["retried"] and "ValueError" in first["attempts"][0]["problem"]
    assert first["attempts"][-1]["problem"] is None
    assert not gen.fit_report_[1]["retried"]
    assert len(gen.sample(5, seed=0)) == 5


def test_when_every_fit_fails_a_single_gaussian_is_used(toy, monkeypatch):
    def broken(self, x, lengths=None):
        self.startprob_ = np.full(self.n_components, np.nan)
        return self

    monkeypatch.setattr(GaussianHMM, "fit", broken)
    gen = HMMGenerator(seed=0, n_states=4, n_iter=3, tries=2).fit(toy)
    for report in gen.fit_report_:
        assert report["fallback"].startswith("single Gaussian")
        # 4 states, then 2, then 1, two seeds each
        assert [a["states"] for a in report["attempts"]] == [4, 4, 2, 2, 1, 1]
        assert all(a["problem"] for a in report["attempts"])
    out = gen.sample(20, seed=0)
    assert len(out) == 20 and np.isfinite(out.records[["A", "P", "L"]].to_numpy()).all()


def test_vectorised_sampler_follows_the_transition_matrix():
    model = GaussianHMM(n_components=2, covariance_type="diag", init_params="", params="")
    model.n_features = 1
    model.startprob_ = np.array([1.0, 0.0])
    model.transmat_ = np.array([[0.0, 1.0], [1.0, 0.0]])  # 0 -> 1 -> 0 -> ...
    model.means_ = np.array([[0.0], [10.0]])
    model.covars_ = np.array([[1e-6], [1e-6]])
    out = _sample_hmm(model, n=3, steps=5, rng=np.random.default_rng(0))
    assert out.shape == (3, 5, 1)
    assert np.allclose(out[:, :, 0], [[0, 10, 0, 10, 0]] * 3, atol=0.01)


def test_a_dead_end_state_becomes_absorbing_and_an_unused_state_is_pruned():
    # state 1 holds only series' last records (no transition out); state 2 was never assigned (NaN mean)
    model = GaussianHMM(n_components=3, covariance_type="diag", init_params="", params="")
    model.n_features = 2
    model.startprob_ = np.array([1.0, 0.0, 0.0])
    model.transmat_ = np.array([[0.9, 0.1, 0.0], [0.0, 0.0, 0.0], [0.0, 0.0, 0.0]])
    model.means_ = np.array([[0.5, 1.0], [0.2, 0.0], [np.nan, np.nan]])
    model._covars_ = np.full((3, 2), 0.01)
    usable, problem = _usable(model)
    assert problem is None and usable.n_components == 2
    assert np.allclose(usable.transmat_, [[0.9, 0.1], [0.0, 1.0]])
    assert np.allclose(usable.means_, [[0.5, 1.0], [0.2, 0.0]])
    # a reachable state with a NaN mean is a real failure
    model.transmat_ = np.array([[0.8, 0.1, 0.1], [0.0, 0.0, 0.0], [0.0, 0.0, 0.0]])
    usable, problem = _usable(model)
    assert usable is None and "non-finite means" in problem
