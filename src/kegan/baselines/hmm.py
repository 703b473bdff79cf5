"""The paper's hidden-Markov-model baseline (section 4.2.1, "HMM").

One Gaussian HMM per category (hmmlearn, diagonal covariances, float64) over the extended records
(A, P, L, F) of that category's objects, fitted on the concatenated sequences with their lengths.
A category gets ``min(n_states, records // records_per_state)`` states (at least 1). A state with no
observed transition out (where only series' last records fall) is made absorbing and states EM left
unused are pruned. A fit that fails or leaves non-finite or unnormalised parameters in a
reachable state is retried with another seed, then with half the states, down to one state, and finally
replaced by one Gaussian over the records; every attempt is written to ``fit_report_`` and the bench
never crashes on it.
Generation samples the category from the real frequencies and draws records from that category's HMM
until F < 0.5 or ``m_max`` records (a vectorised sampler over all objects at once).
"""

from __future__ import annotations

import logging
import warnings
from typing import Any

import numpy as np

from ..dataset.format import Dataset
from .base import Generator, synthetic_dataset
from .common import check_sample, parse_settings
from .extended import EXTENDED_WIDTH, TrainingData, length_from_flags

_SETTINGS = {"n_states": 8, "n_iter": 100, "tries": 2, "records_per_state": 10}


def _reachable(startprob: np.ndarray, transmat: np.ndarray) -> np.ndarray:
    """Indices of the states a chain can ever be in: started in, or entered from such a state."""
    seen = startprob > 0
    while True:
        more = seen | (transmat[seen] > 0).any(axis=0)
        if (more == seen).all():
            return np.flatnonzero(seen)
        seen = more


def _usable(model) -> tuple[Any, str | None]:
    """(model to sample from, None) for a usable fit, else (None, why not).

    Two things EM does on this data that are not failures: a state that only the last record of
    series falls in (F = 0) has no observed transition out, so its row is all zeros; it is made
    absorbing (the series has ended there anyway). A state no record was assigned to can never be
    reached and is pruned (its means may be NaN). What remains must be finite and normalised.
    """
    try:
        start, trans, means, covars = model.startprob_, model.transmat_, model.means_, model._covars_
    except AttributeError as exc:
        return None, f"parameters missing after fit ({exc})"
    if not (np.isfinite(start).all() and np.isfinite(trans).all()):
        return None, "non-finite start or transition probabilities"
    trans = trans.copy()
    dead_end = trans.sum(axis=1) == 0
    trans[dead_end, dead_end] = 1.0
    keep = _reachable(start, trans)
    start, trans, means, covars = start[keep], trans[np.ix_(keep, keep)], means[keep], covars[keep]
    if not (np.isfinite(means).all() and np.isfinite(covars).all()):
        return None, "non-finite means or variances in a reachable state"
    if not np.allclose(start.sum(), 1.0) or not np.allclose(trans.sum(axis=1), 1.0):
        return None, "start or transition probabilities do not sum to 1"
    if (covars <= 0).any():
        return None, "a non-positive variance"
    return _from_params(start, trans, means, covars), None


class HMMGenerator(Generator):
    """Per-category Gaussian HMMs. Settings: ``n_states`` (8), ``n_iter`` (100), ``tries`` (2),
    ``records_per_state`` (10: a category with fewer records per state gets fewer states)."""

    name = "hmm"

    def __init__(
        self, max_minutes: float | None = None, seed: int = 0, device: str = "auto", **settings: Any
    ):
        super().__init__(max_minutes=max_minutes, seed=seed, device=device, **settings)
        self.options = parse_settings(self.name, settings, _SETTINGS)

    @classmethod
    def quick_settings(cls) -> dict[str, Any]:
        return {"n_states": 3, "n_iter": 10}

    def _fit_category(self, seqs: list[np.ndarray], category: str) -> tuple[Any, dict]:
        from hmmlearn.hmm import GaussianHMM

        x = np.concatenate(seqs).astype(np.float64)  # (records, 4)
        lengths = [len(s) for s in seqs]
        opt = self.options
        states = max(1, min(opt["n_states"], len(x) // opt["records_per_state"]))
        attempts = []
        while True:
            for attempt in range(opt["tries"]):
                seed = self.seed + 1000 * attempt + 7 * states
                model = GaussianHMM(
                    n_components=states, covariance_type="diag", n_iter=opt["n_iter"], random_state=seed
                )
                try:
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        model.fit(x, lengths)
                    usable, problem = _usable(model)
                except (ValueError, np.linalg.LinAlgError) as exc:
                    usable, problem = None, f"fit raised {type(exc).__name__}: {exc}"
                attempts.append({"states": states, "seed": seed, "problem": problem})
                if usable is not None:
                    report = {"category": category, "records": len(x), "objects": len(seqs), "states": states}
                    report.update(
                        states_used=usable.n_components, attempts=attempts, retried=len(attempts) > 1
                    )
                    return usable, report
            if states == 1:
                break
            states = max(1, states // 2)
        # Every attempt failed: one Gaussian over the records, a 1-state HMM that cannot degenerate.
        report = {
            "category": category,
            "records": len(x),
            "objects": len(seqs),
            "states": 1,
            "states_used": 1,
        }
        report.update(attempts=attempts, retried=True, fallback="single Gaussian (moments)")
        return _from_params(
            np.ones(1), np.ones((1, 1)), x.mean(axis=0, keepdims=True), x.var(axis=0, keepdims=True) + 1e-3
        ), report

    def fit(self, dataset: Dataset, embeddings: np.ndarray | None = None) -> HMMGenerator:
        """One HMM per category of ``dataset`` (embeddings are ignored). Returns self."""
        logging.getLogger("hmmlearn").setLevel(logging.ERROR)  # "not converging" notes go to the report
        data = TrainingData.from_dataset(dataset, self.name)
        self.models_, self.fit_report_ = [], []
        for k, cat in enumerate(data.category_names):
            seqs = [data.extended[i] for i in np.flatnonzero(data.category_index == k)]
            model, report = self._fit_category(seqs, cat)
            self.models_.append(model)
            self.fit_report_.append(report)
        self.data_ = data
        return self

    def sample(self, n: int, seed: int = 0) -> Dataset:
        """``n`` synthetic objects; the same ``seed`` gives the same objects."""
        check_sample(self, n)
        data = self.data_
        rng = np.random.default_rng(seed)
        cats = rng.choice(data.n_categories, size=n, p=data.category_probs)
        out = np.zeros((n, data.m_max, EXTENDED_WIDTH))
        for k in np.unique(cats):
            rows = np.flatnonzero(cats == k)
            out[rows] = _sample_hmm(self.models_[k], len(rows), data.m_max, rng)
        lengths = length_from_flags(out[:, :, 3], data.m_max)
        series = [data.to_raw(out[i], lengths[i]) for i in range(n)]
        names = [data.category_names[c] for c in cats]
        return synthetic_dataset(names, series, self.name, meta={"seed": int(seed)})


def _from_params(start: np.ndarray, trans: np.ndarray, means: np.ndarray, variances: np.ndarray):
    """A diagonal GaussianHMM with the given (S,), (S, S), (S, d), (S, d) parameters, ready to sample."""
    from hmmlearn.hmm import GaussianHMM

    model = GaussianHMM(n_components=len(start), covariance_type="diag", init_params="", params="")
    model.n_features = means.shape[1]
    model.startprob_, model.transmat_, model.means_, model.covars_ = start, trans, means, variances
    return model


def _sample_hmm(model, n: int, steps: int, rng: np.random.Generator) -> np.ndarray:
    """(n, steps, 4) draws from a diagonal GaussianHMM, all n chains at once."""
    means = model.means_  # (S, 4)
    stds = np.sqrt(model._covars_)  # (S, 4), diagonal covariances
    cum_start = np.cumsum(model.startprob_)
    cum_trans = np.cumsum(model.transmat_, axis=1)  # (S, S)
    states = np.minimum(np.searchsorted(cum_start, rng.random(n) * cum_start[-1]), len(cum_start) - 1)
    out = np.empty((n, steps, means.shape[1]))
    for j in range(steps):
        if j:
            u = rng.random(n) * cum_trans[states, -1]
            states = np.minimum((cum_trans[states] < u[:, None]).sum(axis=1), len(cum_start) - 1)
        out[:, j] = means[states] + stds[states] * rng.standard_normal((n, means.shape[1]))
    return out
