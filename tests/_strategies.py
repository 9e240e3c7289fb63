"""Hypothesis strategies: random mixed-type tables with NaNs, constant and duplicate columns."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import strategies as st

_LEVELS = ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l"]


@st.composite
def mixed_tables(draw: st.DrawFn, max_rows: int = 40, max_cols: int = 7) -> pd.DataFrame:
    """A DataFrame whose columns are float, int, bool, text categories, constants or copies."""
    n = draw(st.integers(2, max_rows))
    n_cols = draw(st.integers(1, max_cols))
    cols: dict[str, object] = {}
    for j in range(n_cols):
        kind = draw(st.sampled_from(["float", "int", "bool", "cat", "const", "dup", "nan"]))
        nan_share = draw(st.sampled_from([0.0, 0.1, 0.5, 0.9]))
        mask = np.asarray(draw(st.lists(st.booleans(), min_size=n, max_size=n)))
        missing = mask & (draw(st.floats(0, 1)) < nan_share)
        if kind == "float":
            vals = draw(
                st.lists(
                    st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False),
                    min_size=n,
                    max_size=n,
                )
            )
            col = pd.Series(vals, dtype="float64").mask(missing)
        elif kind == "int":
            col = pd.Series(draw(st.lists(st.integers(-5, 5), min_size=n, max_size=n)))
        elif kind == "bool":
            col = pd.Series(draw(st.lists(st.booleans(), min_size=n, max_size=n)))
        elif kind == "cat":
            k = draw(st.integers(1, len(_LEVELS)))
            vals = draw(st.lists(st.sampled_from(_LEVELS[:k]), min_size=n, max_size=n))
            col = pd.Series(vals, dtype="object").mask(missing)
        elif kind == "const":
            col = pd.Series([draw(st.sampled_from([0.0, 7.5]))] * n)
        elif kind == "nan":
            col = pd.Series([np.nan] * n)
        else:  # duplicate of an earlier column, or a float column when there is none
            col = cols[next(iter(cols))] if cols else pd.Series(np.arange(n, dtype=float))
        cols[f"c{j}"] = col
    return pd.DataFrame(cols)
