"""The meta-database shipped with metarec: Parquet tables and a manifest.

Built by ``scripts/build_meta_db.sh``; opened with
:func:`metarec.db.shipped.open_shipped` or ``metarec db stats --db shipped``.
"""
