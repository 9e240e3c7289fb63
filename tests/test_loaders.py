"""Loaders: corpora, files and OpenML through the real client and its cache."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from metarec import Dataset, list_datasets, load_dataset
from metarec.io import as_dataset


def test_corpora_are_listed(corpus_root: Path) -> None:
    clust = list_datasets("clustbench")
    uci = list_datasets("uci121")
    assert len(clust) >= 200 and all(n.startswith("clustbench:") for n in clust)
    assert len(uci) >= 80 and "uci121:abalone" in uci
    assert list_datasets("sklearn") == [
        "sklearn:iris",
        "sklearn:wine",
        "sklearn:breast_cancer",
        "sklearn:digits",
    ]


def test_clustbench_with_several_labelings(corpus_root: Path) -> None:
    ds = load_dataset("clustbench:fcps/engytime")
    assert ds.shape == (4096, 2)
    assert len(ds.labelings) == 2
    assert ds.metadata["noise_label"] == 0
    assert ds.source == "clustbench:fcps/engytime"


def test_uci121_loads_standardized_numbers(corpus_root: Path) -> None:
    ds = load_dataset("uci121:abalone")
    assert ds.shape == (4177, 8)
    assert ds.n_classes == 3
    assert set(ds.column_types.values()) <= {"numeric", "binary"}


@pytest.mark.parametrize("name", ["iris", "wine", "breast_cancer", "digits"])
def test_sklearn_datasets(name: str) -> None:
    ds = load_dataset(f"sklearn:{name}")
    assert ds.labels is not None and len(ds.labels) == ds.shape[0]
    assert "target" not in ds.features.columns


def test_explicit_data_root(corpus_root: Path) -> None:
    ds = load_dataset("uci121:iris", data_root=corpus_root)
    assert ds.shape == (150, 4)


def test_openml_dataset_from_cache(openml_cache: Path) -> None:
    ds = load_dataset("openml:2")
    assert ds.name == "anneal"
    assert ds.shape == (898, 38)
    assert "class" not in ds.features.columns
    assert ds.n_classes == 5
    # Nominal attributes stay categorical with OpenML's declared levels.
    family = ds.features["family"]
    assert isinstance(family.dtype, pd.CategoricalDtype)
    assert len(family.cat.categories) == 9
    assert ds.features["carbon"].dtype == "float64"
    assert sum(t == "numeric" for t in ds.column_types.values()) == 6
    # Missing values are kept as missing, as OpenML counts them.
    assert int(ds.features.isna().sum().sum()) == 22175
    assert ds.qualities["NumberOfInstances"] == 898
    assert ds.qualities["NumberOfMissingValues"] == 22175
    assert ds.metadata["target"] == "class"


def test_file_formats_round_trip(tmp_path: Path) -> None:
    df = pd.DataFrame({"a": [1.0, 2.5, None, 4.0], "b": ["x", "y", "x", None], "y": [0, 1, 0, 1]})
    df.to_csv(tmp_path / "t.csv", index=False)
    df.to_csv(tmp_path / "t.csv.gz", index=False)
    df.to_csv(tmp_path / "t.tsv", index=False, sep="\t")
    df.to_parquet(tmp_path / "t.parquet")
    (tmp_path / "t.arff").write_text(
        "@relation t\n@attribute a numeric\n@attribute b {x,y}\n@attribute y {0,1}\n"
        "@data\n1.0,x,0\n2.5,y,1\n?,x,0\n4.0,?,1\n"
    )
    for name in ("t.csv", "t.csv.gz", "t.tsv", "t.parquet", "t.arff"):
        ds = load_dataset(tmp_path / name, target="y")
        assert ds.shape == (4, 2), name
        assert ds.features["a"].isna().sum() == 1, name
        assert ds.features["b"].isna().sum() == 1, name
        assert [str(v) for v in ds.labels] == ["0", "1", "0", "1"], name
    arff = load_dataset(f"file:{tmp_path / 't.arff'}")
    assert list(arff.features["b"].cat.categories) == ["x", "y"]


def test_headerless_csv_gets_generated_names(tmp_path: Path) -> None:
    (tmp_path / "m.csv").write_text("1,2\n3,4\n5,7\n")
    ds = load_dataset(tmp_path / "m.csv")
    assert list(ds.features.columns) == ["x0", "x1"] and ds.shape == (3, 2)


def test_in_memory_inputs() -> None:
    x = np.random.default_rng(0).normal(size=(20, 3))
    assert as_dataset(x).shape == (20, 3)
    assert as_dataset(pd.DataFrame(x), labels=np.zeros(20)).n_classes == 1
    ds = Dataset.from_frame(x)
    assert as_dataset(ds) is ds
