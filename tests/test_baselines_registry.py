"""The registry's vocabulary and errors, and the KE-GAN adapters' checks made before any training."""

import numpy as np
import pytest

from kegan.baselines import registry
from kegan.baselines.kegan_adapter import KEGANGenerator, KEGANNoKnowledge, check_embeddings
from kegan.baselines.registry import available, get_generator, get_generator_class
from kegan.dataset.toy import make_toy_dataset
from kegan.errors import KeganError, ParameterError


def test_names_are_the_papers_generators_in_table_order():
    assert available() == [
        "ar",
        "hmm",
        "lstm",
        "naive-gan",
        "doppelganger",
        "kegan-no-knowledge",
        "kegan-no-attention",
        "kegan",
        "kegan-algorithm1",
        "kegan-critic-knowledge",
    ]


def test_unknown_name_is_a_parameter_error_listing_every_valid_name():
    with pytest.raises(ParameterError) as err:
        get_generator_class("arima")
    assert "'arima'" in str(err.value) and all(name in str(err.value) for name in available())


def test_settings_reach_the_generator_and_unknown_ones_are_refused():
    gen = get_generator("hmm", seed=3, n_states=2)
    assert gen.seed == 3 and gen.options["n_states"] == 2
    with pytest.raises(ParameterError, match="unknown setting"):
        get_generator("lstm", hidden_size=8)


def test_a_generator_that_cannot_be_imported_is_a_kegan_error_naming_it(monkeypatch):
    monkeypatch.setitem(registry.GENERATORS, "ar", "kegan.baselines.no_such_module:AR")
    with pytest.raises(KeganError, match="generator 'ar' cannot be loaded"):
        get_generator_class("ar")
    monkeypatch.setitem(registry.GENERATORS, "ar", "kegan.baselines.hmm:HMMGenerator")
    with pytest.raises(KeganError, match="not a Generator named 'ar'"):
        get_generator_class("ar")


def test_knowledge_variants_need_row_aligned_embeddings():
    ds = make_toy_dataset(n_objects=6, n_categories=2, max_len=5)
    assert KEGANGenerator.needs_embeddings and not KEGANNoKnowledge.needs_embeddings
    with pytest.raises(ParameterError, match="needs knowledge-graph embeddings"):
        KEGANGenerator().fit(ds, None)
    with pytest.raises(ParameterError, match=r"shape \(5, 4\), expected \(6, dim\)"):
        KEGANGenerator().fit(ds, np.zeros((5, 4)))
    bad = np.zeros((6, 4))
    bad[2, 1] = np.nan
    with pytest.raises(ParameterError, match="non-finite"):
        check_embeddings("kegan", ds, bad)


def test_variant_switches_are_fixed_by_the_name():
    with pytest.raises(ParameterError, match="fixed by the generator's name"):
        get_generator("kegan", attention=False)
    cfg = get_generator("kegan-no-attention", seed=7, device="cpu", iterations=3).config()
    assert (cfg.use_knowledge, cfg.attention, cfg.critic_knowledge) == (True, False, False)
    assert cfg.seed == 7 and cfg.device == "cpu" and cfg.iterations == 3
    with pytest.raises(ParameterError, match="kegan: "):
        get_generator("kegan", no_such_setting=1).config()


@pytest.mark.parametrize("name", ["ar", "hmm", "lstm", "naive-gan"])
def test_refitting_with_the_same_seed_gives_the_same_sample(name):
    ds = make_toy_dataset(n_objects=12, n_categories=2, max_len=10)
    cls = get_generator_class(name)

    def run(seed):
        gen = get_generator(name, seed=seed, device="cpu", **cls.quick_settings()).fit(ds)
        return gen.sample(8, seed=0).records

    first = run(0)
    assert first.equals(run(0))
    if cls.neural or name == "hmm":  # AR's least-squares fit has no randomness to seed
        assert not first.equals(run(1))
