"""The Dataset type: normalization, column types, hashes, subsampling."""

from __future__ import annotations

import numpy as np
import pandas as pd

from metarec import ColumnType, Dataset


def test_from_frame_types_and_normalization() -> None:
    df = pd.DataFrame(
        {
            "num": [1.5, 2.0, 3.0, None],
            "text_num": ["1", "2", "?", "4"],
            "cat": ["a", "b", "c", "a"],
            "flag": [True, False, True, True],
            "bin01": [0, 1, 0, 1],
        }
    )
    ds = Dataset.from_frame(df, labels=[0, 1, 0, 1], name="t")
    assert ds.shape == (4, 5)
    assert ds.features["text_num"].dtype == "float64"
    assert np.isnan(ds.features["text_num"][2])
    assert ds.column_types == {
        "num": ColumnType.NUMERIC,
        "text_num": ColumnType.NUMERIC,
        "cat": ColumnType.CATEGORICAL,
        "flag": ColumnType.BINARY,
        "bin01": ColumnType.BINARY,
    }
    assert ds.categorical_columns == ["cat", "flag"]
    assert ds.n_classes == 2
    assert list(ds.labels) == [0, 1, 0, 1]


def test_labels_kept_apart_from_features() -> None:
    ds = Dataset.from_frame(np.arange(12.0).reshape(6, 2), labels=list("aabbcc"))
    assert list(ds.features.columns) == ["x0", "x1"]
    assert ds.content_hash == Dataset.from_frame(np.arange(12.0).reshape(6, 2)).content_hash


def test_duplicate_column_names_are_made_unique() -> None:
    df = pd.DataFrame([[1, 2], [3, 4]], columns=["a", "a"])
    assert list(Dataset.from_frame(df).features.columns) == ["a", "a.1"]


def test_content_hash_ignores_row_order_and_names_but_not_values() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(50, 3))
    a = Dataset.from_frame(x)
    b = Dataset.from_frame(pd.DataFrame(x[::-1], columns=["p", "q", "r"]))
    c = Dataset.from_frame(x + 1e-9)
    assert a.content_hash == b.content_hash
    assert a.content_hash != c.content_hash
    assert len(a.content_hash) == 32


def test_content_hash_is_stable_across_versions() -> None:
    # A fixed digest: if this changes, every stored hash in a meta-database breaks.
    ds = Dataset.from_frame(pd.DataFrame({"x": [1.0, 2.0, np.nan], "c": ["a", "b", "a"]}))
    assert ds.content_hash == Dataset.from_frame(ds.features).content_hash
    assert ds.content_hash == "17a49ec39c500e463d81b67b0be5df22"


def test_near_duplicates_found_across_scaling_and_shuffling() -> None:
    rng = np.random.default_rng(1)
    x = rng.gamma(2.0, size=(300, 4))
    a = Dataset.from_frame(x)
    b = Dataset.from_frame(((x - x.mean(0)) / x.std(0))[rng.permutation(300)][:, [2, 0, 3, 1]])
    other = Dataset.from_frame(rng.normal(size=(300, 4)))
    assert a.is_near_duplicate(b)
    assert not a.is_near_duplicate(other)


def test_subsample_is_seeded_and_records_size() -> None:
    x = np.arange(200.0).reshape(100, 2)
    ds = Dataset.from_frame(x, labels=np.arange(100) % 3)
    s1, s2 = ds.subsample(10, random_state=3), ds.subsample(10, random_state=3)
    assert s1.shape == (10, 2) and s1.n_original == 100
    np.testing.assert_array_equal(s1.features.to_numpy(), s2.features.to_numpy())
    np.testing.assert_array_equal(s1.labels, s1.features["x0"].to_numpy() // 2 % 3)
    assert ds.subsample(1000) is ds


def test_summary_is_plain_data() -> None:
    ds = Dataset.from_frame(pd.DataFrame({"x": [1.0, None, 2.0]}), labels=[1, 2, 2])
    s = ds.summary()
    assert s["missing_values"] == 1 and s["rows_with_missing"] == 1
    assert s["classes"] == 2 and s["class_sizes"] == {"2": 2, "1": 1}
