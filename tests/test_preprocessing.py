"""The Preprocessor transformer: encoding, imputation, scaling and its output width."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from _strategies import mixed_tables
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from sklearn.base import clone

from metarec import Dataset, Preprocessor
from metarec.exceptions import InvalidDataError


def _documented_width(frame: pd.DataFrame, max_categories: int) -> int:
    """Output width by the rules in Preprocessor's docstring, counted independently."""
    width = 0
    for col in frame.columns:
        s = frame[col]
        distinct = s.dropna().astype(str).nunique() if s.dtype == "category" else s.nunique()
        if distinct < 2:
            continue
        if s.dtype == "category" and 2 < distinct <= max_categories:
            width += distinct
        else:
            width += 1
    return width


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    table=mixed_tables(),
    categorical=st.sampled_from(["onehot", "ordinal"]),
    scaling=st.sampled_from(["standard", "robust", "minmax", "none"]),
)
def test_preprocessing_never_raises_on_valid_input(
    table: pd.DataFrame, categorical: str, scaling: str
) -> None:
    try:
        ds = Dataset.from_frame(table)
    except InvalidDataError:
        assume(False)
        return
    pre = Preprocessor(categorical=categorical, max_categories=5, scaling=scaling)  # type: ignore[arg-type]
    out = pre.fit_transform(ds.features)
    assert out.dtype == np.float64
    assert np.isfinite(out).all()
    cap = 5 if categorical == "onehot" else 2
    assert out.shape == (ds.shape[0], _documented_width(ds.features, cap))
    assert out.shape[1] == pre.n_features_out_ == len(pre.get_feature_names_out())


def test_encoding_details() -> None:
    df = pd.DataFrame(
        {
            "x": [1.0, np.nan, 3.0, 5.0],
            "bin": ["u", "v", "u", None],
            "cat": ["a", "b", "c", "a"],
            "const": [2.0, 2.0, 2.0, 2.0],
        }
    )
    ds = Dataset.from_frame(df)
    pre = Preprocessor().fit(ds)
    assert list(pre.get_feature_names_out()) == ["x", "bin=v", "cat=a", "cat=b", "cat=c"]
    assert pre.dropped_columns_ == ["const"]
    out = pre.transform(ds)
    np.testing.assert_allclose(out[:, 0].mean(), 0.0, atol=1e-12)  # median-imputed, standardized
    np.testing.assert_array_equal(out[:, 1], [0, 1, 0, 0])  # missing -> most frequent level
    assert out[:, 2:].sum(axis=1).tolist() == [1, 1, 1, 1]


def test_high_cardinality_goes_ordinal_and_scaling_options() -> None:
    df = pd.DataFrame({"c": [f"l{i % 15}" for i in range(60)], "x": np.arange(60.0)})
    ds = Dataset.from_frame(df)
    out = Preprocessor(max_categories=10, scaling="minmax").fit_transform(ds.features)
    assert out.shape == (60, 2)
    assert out.min() == 0.0 and out.max() == 1.0
    robust = Preprocessor(scaling="robust").fit_transform(ds.features)
    assert np.isfinite(robust).all()


def test_huge_magnitudes_stay_finite() -> None:
    x = np.array([[1e307, 1.0], [-1e307, 2.0], [5e306, 3.0]])
    out = Preprocessor().fit_transform(x)
    assert np.isfinite(out).all()
    np.testing.assert_allclose(out.std(axis=0), 1.0)


def test_sklearn_conventions() -> None:
    pre = Preprocessor(categorical="ordinal", max_categories=3, scaling="none")
    assert clone(pre).get_params() == pre.get_params()
    with pytest.raises(InvalidDataError, match="scaling"):
        Preprocessor(scaling="zscore").fit(np.eye(3))  # type: ignore[arg-type]
