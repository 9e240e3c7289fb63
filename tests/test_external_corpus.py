"""External labeled corpora: layouts, discovery, and the `evaluate --corpus` harness."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from metarec import load_dataset
from metarec.cli import main
from metarec.exceptions import LabelError, UnknownDatasetError
from metarec.io import discover_corpus
from metarec.knowledge import KnowledgeBase


def _write_corpus(root: Path, corpus_root: Path) -> Path:
    """iris as a CSV with a class column (a near-duplicate of sklearn:iris in the test KB),
    fcps/hepta in the clustbench layout, and glass in the uci121 layout."""
    out = root / "corpus"
    out.mkdir()
    iris = load_dataset("sklearn:iris")
    frame = iris.features.copy()
    frame.insert(1, "Class", iris.labels)  # any case, any position
    frame.sample(frac=1.0, random_state=1).to_csv(out / "iris_copy.csv", index=False)
    (out / "cb").mkdir()
    for f in (corpus_root / "clustbench" / "fcps").glob("hepta.*"):
        shutil.copy(f, out / "cb" / f.name)
    shutil.copytree(corpus_root / "uci121" / "glass", out / "glass")
    return out


def test_layouts_are_discovered_and_loaded(tmp_path: Path, corpus_root: Path) -> None:
    corpus = _write_corpus(tmp_path, corpus_root)
    x = np.random.default_rng(0).normal(size=(30, 3))
    pd.DataFrame(x).to_parquet(corpus / "side.parquet")
    (corpus / "side.labels").write_text("\n".join(["a", "b", "c"] * 10) + "\n")
    names = discover_corpus(corpus)
    assert [n.rsplit("/", 1)[-1] for n in names] == [
        "hepta.data.gz",
        "glass",
        "iris_copy.csv",
        "side.parquet",
    ]
    loaded = {n.rsplit("/", 1)[-1]: load_dataset(n) for n in names}
    assert loaded["iris_copy.csv"].shape == (150, 4)
    assert "Class" not in loaded["iris_copy.csv"].features.columns
    assert loaded["hepta.data.gz"].labels is not None
    assert loaded["glass"].content_hash == load_dataset("uci121:glass").content_hash
    assert sorted(set(loaded["side.parquet"].labels)) == ["a", "b", "c"]
    assert all(d.metadata["corpus"] == "external" for d in loaded.values())


def test_unlabeled_or_empty_corpus_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(UnknownDatasetError, match="no labeled datasets"):
        discover_corpus(tmp_path)
    with pytest.raises(UnknownDatasetError, match="no such folder"):
        discover_corpus(tmp_path / "missing")
    pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [3.0, 1.0, 2.0]}).to_csv(tmp_path / "u.csv")
    with pytest.raises(LabelError, match="no ground truth"):
        load_dataset(f"labeled:{tmp_path / 'u.csv'}")


def test_evaluate_on_an_external_corpus(
    tmp_path: Path, corpus_root: Path, kb_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    corpus = _write_corpus(tmp_path, corpus_root)
    (corpus / "glass").rename(corpus / "glass_")  # keep the run short: two datasets
    shutil.rmtree(corpus / "glass_")
    out = tmp_path / "eval"
    args = ["evaluate", "--corpus", str(corpus), "--db", str(kb_dir), "--out", str(out)]
    assert main([*args, "--quiet", "--workers", "1"]) == 0
    report = capsys.readouterr().out
    assert "External corpus" in report and "iris_copy" in report
    per = pd.read_csv(out / "per_dataset.csv")
    assert set(per["dataset"]) == {"iris_copy", "hepta"}
    assert set(per["corpus"]) == {"external"}
    # every configuration was run on the corpus: the oracle is the best of all of them
    runs = KnowledgeBase.load(str(out / "corpus_runs.sqlite"))
    kb = KnowledgeBase.from_parquet(kb_dir)
    assert runs.score_matrix.shape == (2, kb.score_matrix.shape[1])
    oracle = per.groupby("dataset")["oracle"].first()
    by_name = {runs.value(h, "name"): h for h in runs.dataset_hashes}
    for name, value in oracle.items():
        assert value == pytest.approx(runs.score_matrix.loc[by_name[name]].max())
    ok = per[per["method"] != "kmeans_true_k"]
    assert (ok["top1"] <= ok["oracle"] + 1e-12).all() and ok["top1"].notna().all()
    # a second call resumes: nothing is run again
    assert main([*args, "--quiet", "--workers", "1"]) == 0
    again = pd.read_csv(out / "per_dataset.csv")
    pd.testing.assert_frame_equal(per, again)


def test_external_targets_are_fitted_without_their_near_duplicates(kb_dir: Path) -> None:
    """sklearn:iris rescaled and shuffled is held out with sklearn:iris and uci121:iris."""
    from metarec.evaluation._folds import _target_folds

    kb = KnowledgeBase.from_parquet(kb_dir)
    groups = kb.near_duplicate_groups()
    iris = {
        h for h in kb.dataset_hashes if kb.value(h, "source") in ("sklearn:iris", "uci121:iris")
    }
    target = next(h for h in iris if kb.value(h, "source") == "sklearn:iris")
    wine = next(h for h in kb.dataset_hashes if kb.value(h, "source") == "sklearn:wine")
    plan = _target_folds(groups, {target, wine})
    held_iris = next(removed for held, removed in plan if target in held)
    assert iris <= held_iris and wine in held_iris
    held_wine = next(removed for held, removed in plan if wine in held)
    assert not (iris - {target}) & held_wine
