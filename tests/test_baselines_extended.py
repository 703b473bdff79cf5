"""The shared extended-record helper: scaling round trip, F flags, lengths from flags, validation."""

import numpy as np
import pandas as pd
import pytest

from kegan.baselines.common import parse_settings
from kegan.baselines.extended import TrainingData, extend, length_from_flags
from kegan.dataset.format import Dataset
from kegan.dataset.scaling import FeatureScaler
from kegan.errors import DataError, ParameterError


def test_scaler_maps_training_range_to_unit_and_back():
    series = [np.array([[0.0, 1, 60.0], [0.5, 3, 1500.0]]), np.array([[0.0, 40, 90.0]])]
    scaler = FeatureScaler.fit(series)
    unit = scaler.transform(np.concatenate(series))
    assert unit.min(axis=0) == pytest.approx([0, 0, 0]) and unit.max(axis=0) == pytest.approx([1, 1, 1])
    assert np.allclose(scaler.inverse(unit), np.concatenate(series))
    # log1p scale: the midpoint of the unit range is the geometric-like midpoint, not the arithmetic one
    assert scaler.inverse(np.array([[0.5, 0.5, 0.5]]))[0, 1] == pytest.approx(
        np.expm1(np.log1p([1, 40]).mean())
    )
    # values outside the unit range are clipped to the training range on the way back
    assert np.allclose(scaler.inverse(np.array([[-1.0, 2.0, 0.0]])), [[0.0, 40.0, 60.0]])


def test_constant_feature_does_not_divide_by_zero():
    scaler = FeatureScaler.fit([np.array([[0.0, 2, 100.0], [1.0, 2, 100.0]])])
    unit = scaler.transform(np.array([[0.0, 2, 100.0]]))
    assert np.isfinite(unit).all() and unit[0, 1] == 0.0
    assert scaler.inverse(unit)[0, 1] == pytest.approx(2.0)


def test_extend_flags_every_record_but_the_last():
    ext = extend(np.zeros((4, 3)))
    assert ext.shape == (4, 4) and ext[:, 3].tolist() == [1, 1, 1, 0]
    assert extend(np.zeros((1, 3)))[:, 3].tolist() == [0]


def test_lengths_end_at_the_first_low_flag_or_m_max():
    flags = np.array([[1, 1, 0.2, 1, 0], [0.4, 1, 1, 1, 1], [1, 1, 1, 1, 1], [0.6, 0.5, 0.49, 0, 0]])
    assert length_from_flags(flags, m_max=5).tolist() == [3, 1, 5, 3]
    assert length_from_flags(flags, m_max=2).tolist() == [2, 1, 2, 2]


def _dataset(series, cats):
    return Dataset.from_series([f"d{i}" for i in range(len(series))], cats, series)


def test_training_data_holds_categories_frequencies_and_m_max():
    ds = _dataset([np.ones((3, 3)), np.ones((5, 3)), np.ones((2, 3)), np.ones((1, 3))], ["b", "a", "b", "b"])
    data = TrainingData.from_dataset(ds, "test")
    assert data.category_names == ["a", "b"] and data.category_index.tolist() == [1, 0, 1, 1]
    assert data.category_probs.tolist() == [0.25, 0.75] and data.m_max == 5
    assert [len(e) for e in data.extended] == [3, 5, 2, 1]
    assert np.allclose(data.one_hot(np.array([1, 0])), [[0, 1], [1, 0]])


def test_training_data_rejects_bad_input_naming_the_object():
    with pytest.raises(DataError, match="no objects"):
        TrainingData.from_dataset(_dataset([], []), "ar")
    ds = _dataset([np.ones((2, 3))], ["a"])
    ds.devices = pd.concat(
        [ds.devices, pd.DataFrame({"device_id": ["lonely"], "category": ["a"]})], ignore_index=True
    )
    with pytest.raises(DataError, match="'lonely' has no records"):
        TrainingData.from_dataset(ds, "ar")
    bad = _dataset([np.array([[0.0, 1, np.nan]])], ["a"])
    with pytest.raises(DataError, match="'d0'"):
        TrainingData.from_dataset(bad, "hmm")


def test_settings_parsing_names_the_bad_setting():
    defaults = {"hidden": 8, "lr": 1e-3, "num_threads": 0}
    assert parse_settings("g", {"lr": "0.5"}, defaults) == {"hidden": 8, "lr": 0.5, "num_threads": 0}
    for given, match in [
        ({"hiden": 3}, "unknown setting"),
        ({"hidden": 0}, "hidden=0"),
        ({"hidden": 2.5}, "hidden=2.5"),
        ({"lr": "fast"}, "lr='fast'"),
        ({"num_threads": -1}, "num_threads=-1"),
        ({"hidden": True}, "hidden=True"),
    ]:
        with pytest.raises(ParameterError, match=match):
            parse_settings("g", given, defaults)
