"""The meta-feature extractor: OpenML agreement, robustness, determinism, imputation."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xmltodict
from _strategies import mixed_tables
from hypothesis import HealthCheck, assume, given, settings

from metarec import Dataset, extract_metafeatures, load_dataset
from metarec.cli import main
from metarec.exceptions import InvalidDataError, MetaFeatureError
from metarec.metafeatures import (
    EXTRACTOR_VERSION,
    GROUPS,
    MetaFeatureImputer,
    feature_names,
    openml_qualities,
)
from metarec.metafeatures.openml_group import OPENML_QUALITIES

ALL_NAMES = feature_names()


def _openml_reference(cache: Path) -> dict[str, float]:
    xml = (cache / "org/openml/test/datasets/2/qualities.xml").read_text()
    items = xmltodict.parse(xml)["oml:data_qualities"]["oml:quality"]
    return {q["oml:name"]: float(q["oml:value"]) for q in items}


def test_openml_group_matches_openml_server_values(openml_cache: Path) -> None:
    """Every quality implemented matches what OpenML's server computed for anneal."""
    ds = load_dataset("openml:2")
    # OpenML characterizes the whole table, target attribute included.
    frame = ds.features.assign(**{ds.metadata["target"]: ds.labels})
    ours = openml_qualities(frame, target=ds.metadata["target"])
    reference = _openml_reference(openml_cache)
    assert set(ours) == set(OPENML_QUALITIES)
    for name, value in ours.items():
        assert name in reference, name
        assert value == pytest.approx(reference[name], rel=1e-6), name
    # The same numbers reach the client through the real openml package.
    assert ds.qualities["MeanSkewnessOfNumericAtts"] == pytest.approx(
        ours["MeanSkewnessOfNumericAtts"], rel=1e-6
    )


def test_openml_group_in_vector_is_unsupervised(openml_cache: Path) -> None:
    ds = load_dataset("openml:2")
    mf = extract_metafeatures(ds, groups="openml")
    assert mf["openml.NumberOfFeatures"] == 38  # no target column
    relabeled = ds.with_labels(np.zeros(ds.shape[0]))
    pd.testing.assert_series_equal(mf, extract_metafeatures(relabeled, groups="openml"))


def test_names_are_fixed_and_grouped() -> None:
    assert len(ALL_NAMES) == len(set(ALL_NAMES)) > 120
    assert all(n.split(".")[0] in GROUPS for n in ALL_NAMES)
    assert feature_names("general,openml") == [
        n for n in ALL_NAMES if n.startswith(("general.", "openml."))
    ]
    with pytest.raises(MetaFeatureError, match="unknown meta-feature group"):
        feature_names(["general", "bogus"])
    with pytest.raises(MetaFeatureError, match="at least 10"):
        extract_metafeatures("sklearn:iris", sample_size=3)


def test_deterministic_for_a_seed_and_versioned() -> None:
    ds = load_dataset("sklearn:wine")
    a = extract_metafeatures(ds, random_state=5, sample_size=100)
    b = extract_metafeatures(ds, random_state=5, sample_size=100)
    c = extract_metafeatures(ds, random_state=6, sample_size=100)
    pd.testing.assert_series_equal(a, b)
    assert not a.equals(c)  # the sample differs
    assert list(a.index) == ALL_NAMES
    assert a.attrs["extractor_version"] == EXTRACTOR_VERSION
    assert a.attrs["content_hash"] == ds.content_hash


def test_labels_do_not_change_the_vector() -> None:
    ds = load_dataset("sklearn:iris")
    shuffled = ds.with_labels(np.random.default_rng(0).permutation(ds.labels))
    pd.testing.assert_series_equal(extract_metafeatures(ds), extract_metafeatures(shuffled))


def test_known_values_on_iris() -> None:
    mf = extract_metafeatures("sklearn:iris")
    x = load_dataset("sklearn:iris").features
    assert mf["general.instances"] == 150 and mf["general.features"] == 4
    assert mf["statistical.skewness.mean"] == pytest.approx(x.skew().mean())
    assert mf["statistical.kurtosis.max"] == pytest.approx(x.kurt().max())
    corr = x.corr().abs().to_numpy()[np.triu_indices(4, 1)]
    assert mf["statistical.correlation.max_abs"] == pytest.approx(corr.max())
    # iris is strongly clustered: Hopkins well above 0.5, best k-means k small.
    assert mf["density.hopkins"] > 0.7
    assert mf["landmarkers.silcurve.best_k"] <= 3
    hist = [mf[f"distance.hist.{i}"] for i in range(10)]
    assert sum(hist) == pytest.approx(1.0)


@pytest.mark.parametrize(
    "frame",
    [
        pd.DataFrame({"x": np.arange(30.0)}),  # one column
        pd.DataFrame({"x": [1.0, 2.0], "y": [3.0, 5.0]}),  # two rows
        pd.DataFrame(np.random.default_rng(0).normal(size=(15, 400))),  # d >> n
        pd.DataFrame({"a": list("abcab" * 6), "b": list("xxyyz" * 6)}),  # all categorical
        pd.DataFrame(
            np.where(
                np.random.default_rng(1).random((60, 5)) < 0.7,
                np.nan,
                np.random.default_rng(2).normal(size=(60, 5)),
            )
        ),  # heavy missingness
    ],
    ids=["one-column", "two-rows", "wide", "all-categorical", "heavy-missing"],
)
def test_edge_shapes(frame: pd.DataFrame) -> None:
    mf = extract_metafeatures(frame)
    assert list(mf.index) == ALL_NAMES
    assert mf.dtype == np.float64
    assert not np.isinf(mf.to_numpy()).any()
    assert mf["general.instances"] == frame.shape[0]


def test_large_data_uses_the_sample() -> None:
    x = np.random.default_rng(0).normal(size=(20_000, 5))
    mf = extract_metafeatures(x, sample_size=500, landmark_size=100)
    assert mf["general.instances"] == 20_000
    assert mf["openml.NumberOfInstances"] == 20_000
    assert mf["statistical.kurtosis.mean"] == pytest.approx(0.0, abs=0.1)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(table=mixed_tables(max_rows=30, max_cols=5))
def test_property_never_raises_same_names_finite_after_imputation(table: pd.DataFrame) -> None:
    try:
        ds = Dataset.from_frame(table)
    except InvalidDataError:
        assume(False)
        return
    mf = extract_metafeatures(ds, sample_size=50, landmark_size=30)
    assert list(mf.index) == ALL_NAMES
    imputer = MetaFeatureImputer().fit(pd.DataFrame([mf, mf * 2]))
    out = imputer.transform(mf)
    assert out.shape == (1, 2 * len(ALL_NAMES))
    assert np.isfinite(out.to_numpy()).all()
    np.testing.assert_array_equal(
        out[[f"{n}.missing" for n in ALL_NAMES]].to_numpy().ravel(),
        mf.isna().to_numpy().astype(float),
    )


def test_imputer_rule() -> None:
    ref = pd.DataFrame({"a": [1.0, 3.0, 5.0], "b": [np.nan] * 3, "c": [0.0, 1.0, np.inf]})
    imp = MetaFeatureImputer().fit(ref)
    row = pd.Series({"a": np.nan, "b": np.nan, "c": np.inf})
    out = imp.transform(row).iloc[0]
    assert out["a"] == 3.0  # median of the reference
    assert out["b"] == 0.0  # never observed -> 0
    assert out["c"] == 1.0  # +inf clipped to the reference's finite maximum
    assert out[["a.missing", "b.missing", "c.missing"]].tolist() == [1.0, 1.0, 1.0]


def test_cli_metafeatures_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["metafeatures", "sklearn:iris", "--groups", "general,density", "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["extractor_version"] == EXTRACTOR_VERSION
    assert list(payload["features"]) == feature_names("general,density")
    assert main(["metafeatures", "sklearn:iris", "--groups", "nope"]) == 2
    assert "unknown meta-feature group" in capsys.readouterr().err


def test_fast_internal_indices_match_scikit_learn() -> None:
    from sklearn.metrics import calinski_harabasz_score, davies_bouldin_score

    from metarec.metafeatures.landmarkers import calinski_harabasz_davies_bouldin

    rng = np.random.default_rng(3)
    x = rng.normal(size=(200, 6))
    labels = rng.integers(0, 4, size=200)
    ch, db = calinski_harabasz_davies_bouldin(x, labels)
    assert ch == pytest.approx(calinski_harabasz_score(x, labels), rel=1e-10)
    assert db == pytest.approx(davies_bouldin_score(x, labels), rel=1e-10)
