"""Digest of what the trained models say, to check that a refactoring changed nothing.

On one fixed meta-database (an exported folder) and its trained models, records:
every dataset's top-5 recommendation (configuration hashes and scores), the
neural meta-learner's configuration for every algorithm on a sample of datasets,
the surrogate objective's scores of a sample of runs, and a held-out evaluation
(3 grouped folds, L1 metric) of the recommender refitted per fold. Run it before
and after a change; ``--compare`` says whether the two digests are equal, and
where they differ.

Usage::

    python scripts/check_reproduction.py --knowledge DIR --models DIR --out before.json
    python scripts/check_reproduction.py --knowledge DIR --models DIR --out after.json
    python scripts/check_reproduction.py --compare before.json after.json
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any


def _digest(knowledge: str, models: str, sample: int) -> dict[str, Any]:
    import numpy as np

    from metarec.evaluation import evaluate, recommender_method
    from metarec.knowledge import KnowledgeBase
    from metarec.models import load_models
    from metarec.space import ALGORITHMS

    kb = KnowledgeBase.from_parquet(knowledge)
    rec = load_models(models, kb)
    out: dict[str, Any] = {"recommend": {}, "hyperparameters": {}, "surrogate": []}
    for h in kb.dataset_hashes:
        items = rec.recommend(kb.metafeatures.loc[h], top=5).items
        out["recommend"][h] = [[i.config_hash, round(float(i.score), 10)] for i in items]
    hashes = kb.dataset_hashes[:: max(1, len(kb.dataset_hashes) // sample)]
    if rec.hyper is not None:
        for h in hashes:
            mf = kb.metafeatures.loc[h]
            out["hyperparameters"][h] = {
                a: [dict(p.config), round(float(p.predicted_ari), 10)]
                for a in ALGORITHMS
                for p in [rec.hyperparameters(mf, a, n_rows=int(kb.value(h, "n_rows")))]
            }
    if rec.surrogate is not None:
        runs = kb.runs[kb.runs["status"] == "ok"].iloc[:: max(1, len(kb.runs) // 500)]
        for run in runs.to_dict("records"):
            cfg = kb.configs.at[run["config_hash"], "config"]
            score = rec.surrogate.score(kb.metafeatures.loc[run["content_hash"]], cfg, run)
            out["surrogate"].append(round(float(score), 10))
    per = evaluate(kb, {"metarec": recommender_method(random_state=0)}, folds=3, progress=False)
    out["evaluation"] = {
        r["content_hash"]: [round(float(r["top1"]), 10), round(float(r["top5"]), 10)]
        for r in per.to_dict("records")
    }
    out["evaluation_mean_top1"] = float(np.nanmean(per["top1"]))
    return out


def _compare(a_path: str, b_path: str) -> int:
    with open(a_path) as fa, open(b_path) as fb:
        a, b = json.load(fa), json.load(fb)
    bad = 0
    for part in a:
        if a[part] != b.get(part):
            bad += 1
            if isinstance(a[part], dict):
                diff = [k for k in a[part] if a[part][k] != b.get(part, {}).get(k)]
                print(f"{part}: {len(diff)} of {len(a[part])} entries differ, e.g. {diff[:3]}")
            else:
                print(f"{part}: differs")
    print("identical" if bad == 0 else f"{bad} part(s) differ")
    return int(bad > 0)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--knowledge", help="an exported meta-database folder")
    parser.add_argument("--models", help="its trained models folder")
    parser.add_argument("--sample", type=int, default=20, help="datasets for hyperparameters")
    parser.add_argument("--out", help="write the digest here (JSON)")
    parser.add_argument("--compare", nargs=2, metavar=("A", "B"), help="compare two digests")
    args = parser.parse_args()
    if args.compare:
        return _compare(*args.compare)
    if not (args.knowledge and args.models and args.out):
        parser.error("give --knowledge, --models and --out, or --compare A B")
    digest = _digest(args.knowledge, args.models, args.sample)
    with open(args.out, "w") as fh:
        json.dump(digest, fh, sort_keys=True)
    print(f"wrote {args.out}: {len(digest['recommend'])} datasets")
    return 0


if __name__ == "__main__":
    sys.exit(main())
