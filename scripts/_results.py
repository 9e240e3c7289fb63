"""Shared by the benchmark scripts: write their results as JSON."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def write_results(results: Any, out: str) -> None:
    """Write ``results`` to ``out`` as indented JSON (creating folders) and say where."""
    path = Path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2))
    print(f"wrote {path}")
