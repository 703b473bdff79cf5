"""Contract every registered generator must pass (PyKEEN-style generic tests).

Each generator is fitted once with its ``quick_settings()`` on a tiny toy dataset (random (N, 16)
embeddings when it needs knowledge), then sampled. A generator that cannot be imported makes its cases
fail, not skip. ``CONTRACT_NAMES`` is written out by hand on purpose: the meta-test fails when the
registry gains a name that was not added here.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import check_dataset

from kegan.baselines.registry import available, get_generator, get_generator_class
from kegan.dataset.io import write_dataset
from kegan.dataset.toy import make_toy_dataset
from kegan.errors import KeganError, ParameterError

CONTRACT_NAMES = [
    "ar",
    "hmm",
    "lstm",
    "naive-gan",
    "doppelganger",
    "kegan",
    "kegan-algorithm1",
    "kegan-no-knowledge",
    "kegan-no-attention",
    "kegan-critic-knowledge",
]
N_SAMPLE = 24

_fitted: dict[str, object] = {}


@pytest.fixture(scope="module")
def toy():
    ds = make_toy_dataset(n_objects=24, n_categories=3, max_len=30, seed=0)
    emb = np.random.default_rng(0).normal(size=(len(ds), 16)).astype(np.float32)
    return ds, emb


def fitted(name: str, toy):
    """The generator ``name`` fitted once per test module (quick settings, CPU, seed 0)."""
    if name not in _fitted:
        ds, emb = toy
        cls = get_generator_class(name)
        gen = get_generator(name, seed=0, device="cpu", max_minutes=0.1, **cls.quick_settings())
        _fitted[name] = gen.fit(ds, emb if cls.needs_embeddings else None)
    return _fitted[name]


def test_every_registered_generator_has_a_contract_run():
    assert sorted(available()) == sorted(CONTRACT_NAMES), (
        "the registry and CONTRACT_NAMES differ: add the new generator to CONTRACT_NAMES "
        f"(registry only: {sorted(set(available()) - set(CONTRACT_NAMES))}, "
        f"test only: {sorted(set(CONTRACT_NAMES) - set(available()))})"
    )


@pytest.mark.parametrize("name", CONTRACT_NAMES)
def test_class_is_registered_under_its_name(name):
    cls = get_generator_class(name)
    assert cls.name == name
    assert isinstance(cls.quick_settings(), dict)
    assert isinstance(cls.needs_embeddings, bool) and isinstance(cls.neural, bool)


@pytest.mark.parametrize("name", CONTRACT_NAMES)
def test_output_is_a_valid_synthetic_dataset(name, toy, tmp_path):
    out = fitted(name, toy).sample(N_SAMPLE, seed=1)
    write_dataset(out, tmp_path / "syn")
    check_dataset(tmp_path / "syn", synthetic=True)
    assert len(out) == N_SAMPLE


@pytest.mark.parametrize("name", CONTRACT_NAMES)
def test_lengths_and_categories_within_the_real_data(name, toy):
    ds, _ = toy
    out = fitted(name, toy).sample(N_SAMPLE, seed=2)
    lengths = out.lengths()
    assert lengths.min() >= 1 and lengths.max() <= ds.lengths().max()
    assert set(out.categories) <= set(ds.categories)
    first = out.records[out.records["seq"] == 0]
    assert (first["A"] == 0).all()


@pytest.mark.parametrize("name", CONTRACT_NAMES)
def test_same_seed_same_sample_other_seed_other_sample(name, toy):
    gen = fitted(name, toy)
    a, b, c = gen.sample(N_SAMPLE, seed=5), gen.sample(N_SAMPLE, seed=5), gen.sample(N_SAMPLE, seed=6)
    assert a.devices.equals(b.devices) and a.records.equals(b.records)
    assert not (a.devices.equals(c.devices) and a.records.equals(c.records)), "the seed is ignored"


@pytest.mark.parametrize("name", CONTRACT_NAMES)
def test_sample_of_one_and_invalid_sizes(name, toy):
    gen = fitted(name, toy)
    one = gen.sample(1, seed=0)
    assert len(one) == 1 and one.lengths()[0] >= 1
    for bad in (0, -3):
        with pytest.raises(ParameterError):
            gen.sample(bad, seed=0)


@pytest.mark.parametrize("name", CONTRACT_NAMES)
def test_sample_before_fit_is_a_kegan_error(name):
    cls = get_generator_class(name)
    with pytest.raises(KeganError):
        get_generator(name, seed=0, device="cpu", **cls.quick_settings()).sample(3, seed=0)


def test_unknown_name_lists_the_valid_ones():
    with pytest.raises(ParameterError, match="naive-gan"):
        get_generator("gan-of-my-dreams")


@pytest.mark.parametrize("name", [n for n in CONTRACT_NAMES if get_generator_class(n).neural])
def test_budget_settings_make_a_neural_generator_train_until_its_budget(name, toy):
    """The bench's equal wall-clock budget: with budget_settings() training lasts the whole budget."""
    import time

    ds, emb = toy
    cls = get_generator_class(name)
    settings = {**cls.quick_settings(), **cls.budget_settings()}
    settings.pop("max_steps", None)  # a quick cap on steps would end training before the budget
    gen = get_generator(name, seed=0, device="cpu", max_minutes=0.02, **settings)
    t0 = time.perf_counter()
    gen.fit(ds, emb if cls.needs_embeddings else None)
    assert time.perf_counter() - t0 >= 0.02 * 60 * 0.95
