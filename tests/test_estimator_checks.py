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


def test_sklearn_estimator_checks(kb_dir: Path) -> None:
    results = check_estimator(
        MetaClusterer(knowledge=str(kb_dir)),
        expected_failed_checks=NOT_APPLICABLE,
        on_fail=None,
    )
    failed = [r for r in results if r["status"] == "failed"]
    assert not failed, [(r["check_name"], str(r["exception"])[:200]) for r in failed]
    passed = [r for r in results if r["status"] == "passed"]
    assert len(passed) >= 40
