"""General meta-features: size and attribute-type make-up of the table."""

from __future__ import annotations

import numpy as np

from metarec.dataset import ColumnType
from metarec.metafeatures._context import Context
from metarec.metafeatures.base import MetaFeatureGroup

__all__ = ["General"]


class General(MetaFeatureGroup):
    """Instances, attributes, their ratio, type fractions and missingness."""

    name = "general"

    def feature_names(self) -> list[str]:
        return [
            "instances",
            "features",
            "log_instances",
            "log_features",
            "features_per_instance",
            "frac_numeric",
            "frac_categorical",
            "frac_binary",
            "missing_fraction",
            "rows_with_missing_fraction",
            "encoded_features",
        ]

    def compute(self, ctx: Context) -> dict[str, float]:
        n, d = ctx.n_rows, ctx.n_cols
        types = list(ctx.dataset.column_types.values())
        profile = ctx.dataset.profile
        return {
            "instances": float(n),
            "features": float(d),
            "log_instances": float(np.log(n)),
            "log_features": float(np.log(d)),
            "features_per_instance": d / n,
            "frac_numeric": types.count(ColumnType.NUMERIC) / d,
            "frac_categorical": types.count(ColumnType.CATEGORICAL) / d,
            "frac_binary": types.count(ColumnType.BINARY) / d,
            "missing_fraction": float(profile.missing.sum() / (n * d)),
            "rows_with_missing_fraction": profile.rows_with_missing / n,
            "encoded_features": float(ctx.X.shape[1]),
        }
