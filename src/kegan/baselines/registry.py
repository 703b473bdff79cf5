"""The one registry of generators: the names the CLI, config files, the bench and the Python API share.

Entries are import paths, loaded on first use, so that listing names never imports torch, hmmlearn or a
generator that is broken; ``get_generator_class`` turns an import failure into a KeganError that names
the generator.

    >>> from kegan.baselines.registry import available, get_generator
    >>> available()[:3]
    ['ar', 'hmm', 'lstm']
    >>> gen = get_generator("ar", seed=0, order=3)   # ARGenerator(seed=0, order=3)
"""

from __future__ import annotations

import importlib
from typing import Any

from ..errors import KeganError, ParameterError
from .base import Generator

#: name -> "module:Class"; the order is the order of the paper's tables (baselines, then KE-GAN variants).
GENERATORS: dict[str, str] = {
    "ar": "kegan.baselines.ar:ARGenerator",
    "hmm": "kegan.baselines.hmm:HMMGenerator",
    "lstm": "kegan.baselines.lstm:LSTMGenerator",
    "naive-gan": "kegan.baselines.naive_gan:NaiveGANGenerator",
    "doppelganger": "kegan.baselines.doppelganger:DoppelGANger",
    "kegan-no-knowledge": "kegan.baselines.kegan_adapter:KEGANNoKnowledge",
    "kegan-no-attention": "kegan.baselines.kegan_adapter:KEGANNoAttention",
    "kegan": "kegan.baselines.kegan_adapter:KEGANGenerator",
    "kegan-algorithm1": "kegan.baselines.kegan_adapter:KEGANAlgorithm1",
    "kegan-critic-knowledge": "kegan.baselines.kegan_adapter:KEGANCriticKnowledge",
}


def available() -> list[str]:
    """Every registered generator name, in table order."""
    return list(GENERATORS)


def _check_name(name: str) -> str:
    if name not in GENERATORS:
        raise ParameterError(f"unknown generator {name!r}; expected one of: {', '.join(GENERATORS)}")
    return name


def get_generator_class(name: str) -> type[Generator]:
    """The Generator subclass registered as ``name``.

    Raises ParameterError for an unknown name (listing the valid ones) and KeganError when the
    generator's module cannot be imported or does not define a Generator under that name.
    """
    module_name, _, attr = GENERATORS[_check_name(name)].partition(":")
    try:
        cls = getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError) as exc:
        raise KeganError(f"generator {name!r} cannot be loaded from {module_name}.{attr}: {exc}") from exc
    if not (isinstance(cls, type) and issubclass(cls, Generator)) or cls.name != name:
        raise KeganError(
            f"{module_name}.{attr} is not a Generator named {name!r} (its name is {getattr(cls, 'name', None)!r})"
        )
    return cls


def get_generator(name: str, **kwargs: Any) -> Generator:
    """A new, unfitted generator: ``get_generator(name, max_minutes=..., seed=..., device=..., **settings)``."""
    return get_generator_class(name)(**kwargs)
