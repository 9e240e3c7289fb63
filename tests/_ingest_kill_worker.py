"""Ingest a runs file, then hang inside the transaction after the runs are written
(the test SIGKILLs this process there).

Usage: python tests/_ingest_kill_worker.py DB_URL RUNS_FILE
"""

from __future__ import annotations

import sys
import time

from metarec.db import MetaDatabase
from metarec.db.ingest import ingest_runs_file

original = MetaDatabase.add_runs


def add_runs_then_hang(self, rows, *, conn=None):  # type: ignore[no-untyped-def]
    n = original(self, rows, conn=conn)
    print(f"WROTE {n}", flush=True)  # still inside the ingest's transaction
    time.sleep(120)
    return n


if __name__ == "__main__":  # patched only when run as a script, never on import
    MetaDatabase.add_runs = add_runs_then_hang  # type: ignore[method-assign]
    ingest_runs_file(MetaDatabase(sys.argv[1]), sys.argv[2])
