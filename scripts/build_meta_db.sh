#!/usr/bin/env bash
# Build the shipped meta-database in meta_db/ from the whole shared corpus.
#
#   nohup bash scripts/build_meta_db.sh > build.log 2>&1 &
#
# Resumable: the working SQLite file ($METAREC_BUILD_DB) keeps every finished run,
# and a rerun skips them. When that file is missing but meta_db/ holds an earlier
# (partial) export, the export is imported first, so a build can also resume on
# another machine from what was committed.
# Runs record the partition's shape (cluster sizes) since schema revision 0003; the
# current export predates it and got them from scripts/backfill_sizes.py.
set -euo pipefail
cd "$(dirname "$0")/.."
DB=${METAREC_BUILD_DB:-$HOME/.cache/metarec-build/meta_db.sqlite}
WORKERS=${WORKERS:-2}
mkdir -p "$(dirname "$DB")"
if [ ! -f "$DB" ] && [ -f meta_db/manifest.json ]; then
    metarec db import meta_db --db "$DB"
fi
metarec db build --db "$DB" --corpus clustbench,uci121,sklearn \
    --configs-per-algorithm 9 --subsample 1000 --seeds 0 \
    --time-limit 60 --memory-limit 4096 --workers "$WORKERS" --study shipped-build-v1
metarec db check --db "$DB"
metarec db export meta_db --db "$DB"
metarec db stats --db shipped
# runs off the design for the surrogate objective: random configurations, search trials
python scripts/explore_runs.py --workers "$WORKERS"
python scripts/explore_runs.py --search 50 --datasets 120 --workers "$WORKERS"
python scripts/explore_runs.py --write

metarec train --db shipped   # refit meta_db/models on the new build
