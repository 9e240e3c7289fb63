"""Shared fixtures: the real benchmark corpora and OpenML cache in ../shared/data."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from metarec.config import find_corpus_root

ROOT = find_corpus_root()
OPENML_TEST_SERVER = "https://test.openml.org/api/v1/xml"


def _require_root() -> Path:
    if ROOT is None or not ROOT.is_dir():
        pytest.skip("benchmark corpora (../shared/data) not present")
    return ROOT


@pytest.fixture(scope="session")
def corpus_root() -> Path:
    """The folder holding clustbench/, uci121/ and openml-cache/."""
    return _require_root()


@pytest.fixture
def openml_cache(corpus_root: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point the real openml client at the shipped cache of OpenML's test server."""
    import openml

    cache = corpus_root / "openml-cache"
    if not (cache / "org" / "openml" / "test" / "datasets" / "2").is_dir():
        pytest.skip("OpenML cache fixture not present")
    monkeypatch.setenv("METAREC_OPENML_CACHE", str(cache))
    monkeypatch.setenv("METAREC_OPENML_SERVER", OPENML_TEST_SERVER)
    # No network here: fail fast instead of retrying with back-off.
    monkeypatch.setattr(openml.config, "connection_n_retries", 1)
    return cache


@pytest.fixture
def empty_openml_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty openml cache (no network in CI, so nothing can be fetched)."""
    import openml

    monkeypatch.setenv("METAREC_OPENML_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("METAREC_OPENML_SERVER", OPENML_TEST_SERVER)
    monkeypatch.setattr(openml.config, "connection_n_retries", 1)
    return tmp_path / "cache"


def pytest_report_header(config: pytest.Config) -> str:
    return f"metarec corpus root: {ROOT} (METAREC_DATA={os.environ.get('METAREC_DATA')})"
