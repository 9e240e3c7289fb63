"""MetaClusterer against scikit-learn's estimator checks (the applicable ones)."""

from __future__ import annotations

from pathlib import Path

from sklearn.utils.estimator_checks import check_estimator

from metarec import MetaClusterer

# Checks that do not apply, with the reason.
NOT_APPLICABLE = {
    "check_estimators_nan_inf": "missing values are imputed by design; only inf is rejected",
    "check_dtype_object": "a non-number in a numeric column raises metarec's typed "
    "NonNumericValueError (a ValueError naming the column and row), not TypeError",
}
# These set n_clusters=1 (a one-cluster "partition"); metarec's configurations ask for
# 2 to 50 clusters, and MetaClusterer(n_clusters=1) is rejected with a clear error
# (tests/test_recommender.py checks it).
ONE_CLUSTER = (
    "check_dont_overwrite_parameters",
    "check_fit2d_1feature",
    "check_fit2d_predict1d",
    "check_methods_subset_invariance",
)
NOT_APPLICABLE.update(dict.fromkeys(ONE_CLUSTER, "sets n_clusters=1: not a clustering"))


def test_sklearn_estimator_checks(kb_dir: Path) -> None:
    results = check_estimator(
        MetaClusterer(knowledge=str(kb_dir), budget=0),  # screening: tests/test_screening.py
        expected_failed_checks=NOT_APPLICABLE,
        on_fail=None,
    )
    failed = [r for r in results if r["status"] == "failed"]
    assert not failed, [(r["check_name"], str(r["exception"])[:200]) for r in failed]
    passed = [r for r in results if r["status"] == "passed"]
    assert len(passed) >= 39
