"""ARFF files as Weka reads them, and KEEL's ARFF dialect.

liac-arff reads the files it can; a tolerant reader of metarec's own reads the
rest, to the same types and with the same errors: declarations separated by
tabs or runs of spaces, KEEL's ranges on numeric types (``integer [0, 1]``,
``real [1.00, 10.00]``) and its ``@inputs`` / ``@outputs`` lines (the output
is the reference labels), data rows separated by commas or by whitespace,
quoted names and nominal values with spaces, sparse rows (``{0 1, 3 2}``),
``string`` and ``date`` attributes, ``?`` for missing values, comments
anywhere, CRLF line ends and a byte-order mark. A relational attribute is
refused with a one-line error.

Types either way: a numeric attribute is ``float``, a nominal one a
``Categorical`` with the declared values, a string attribute text, a date
attribute its days since 1970-01-01 (a number that can be clustered).
"""

from __future__ import annotations

import io
import math
import re
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from metarec.exceptions import FileReadError

__all__ = ["parse_arff", "read_arff_text"]

_NUMERIC = ("numeric", "real", "integer")


@dataclass
class _Attribute:
    name: str
    kind: str  # numeric | nominal | string | date
    values: list[str] = field(default_factory=list)


def _split(text: str, separators: str) -> list[str]:
    """Split on any of ``separators`` outside single or double quotes; quotes removed,
    backslash escapes kept as the escaped character; each part stripped."""
    parts: list[str] = []
    buf: list[str] = []
    quote = ""
    quoted = False
    i = 0
    while i < len(text):
        ch = text[i]
        if quote:
            if ch == "\\" and i + 1 < len(text):
                buf.append(text[i + 1])
                i += 2
                continue
            if ch == quote:
                quote = ""
            else:
                buf.append(ch)
        elif ch in "'\"" and not "".join(buf).strip():
            quote, quoted, buf = ch, True, []  # whitespace before the quote is not data
        elif quoted and ch.isspace() and ch not in separators:
            pass  # whitespace after the closing quote
        elif ch in separators:
            parts.append("".join(buf).strip() if not quoted else "".join(buf))
            buf, quoted = [], False
            # whitespace separators: a run counts once
            while separators.isspace() and i + 1 < len(text) and text[i + 1] in separators:
                i += 1
        else:
            buf.append(ch)
        i += 1
    if quote:
        raise ValueError("an unclosed quote")
    parts.append("".join(buf).strip() if not quoted else "".join(buf))
    return parts


def _name_and_rest(text: str) -> tuple[str, str]:
    """The attribute name (quoted or a token) and what follows it."""
    text = text.strip()
    if text[:1] in "'\"":
        q = text[0]
        end = text.find(q, 1)
        while end > 0 and text[end - 1] == "\\":
            end = text.find(q, end + 1)
        if end < 0:
            raise ValueError("an unclosed quote in the attribute's name")
        return text[1:end].replace("\\" + q, q), text[end + 1 :].strip()
    m = re.match(r"([^\s{]+)\s*(.*)$", text, re.DOTALL)
    if m is None:
        raise ValueError("no attribute name")
    return m.group(1), m.group(2).strip()


def _attribute(text: str, line: int, where: str) -> _Attribute:
    try:
        name, rest = _name_and_rest(text)
    except ValueError as exc:
        raise FileReadError(f"{where}: line {line}: {exc}; check the @attribute line") from None
    lower = rest.lower()
    if rest.startswith("{"):
        end = rest.rfind("}")
        if end < 0:
            raise FileReadError(f"{where}: line {line}: nominal values of {name!r} lack a '}}'")
        try:
            values = [v for v in _split(rest[1:end], ",") if v != ""]
        except ValueError as exc:
            raise FileReadError(f"{where}: line {line}: {exc} in {name!r}'s values") from None
        return _Attribute(name, "nominal", values)
    word = re.split(r"[\s\[]", lower, maxsplit=1)[0]
    if word in _NUMERIC:  # KEEL: integer [0, 1], real [1.00, 10.00]
        return _Attribute(name, "numeric")
    if word == "string":
        return _Attribute(name, "string")
    if word == "date":
        return _Attribute(name, "date")
    if word == "relational":
        raise FileReadError(
            f"{where}: line {line}: attribute {name!r} is relational (multi-instance data); "
            "flatten it into one table first"
        )
    raise FileReadError(
        f"{where}: line {line}: attribute {name!r} has an unknown type {rest[:30]!r}; "
        "use numeric, real, integer, {values}, string or date"
    )


def parse_arff(text: str, where: str = "ARFF") -> tuple[pd.DataFrame, dict[str, Any]]:
    """Parse ARFF text (also KEEL's dialect) into a table and what it declared.

    Parameters
    ----------
    text : str
        The whole file.
    where : str, default="ARFF"
        The file's name, for messages.

    Returns
    -------
    DataFrame, dict
        The table; ``relation``, ``nominal`` (the nominal attributes) and, for a
        KEEL file, ``target`` (its declared output).

    Examples
    --------
    >>> frame, meta = parse_arff(
    ...     "@relation t\\n@attribute\\ta\\tinteger [0, 1]\\n@attribute 'b c' {x, 'y z'}\\n"
    ...     "@outputs 'b c'\\n@data\\n1 x\\n0 'y z'\\n"
    ... )
    >>> frame.to_dict("list"), meta["target"]
    ({'a': [1.0, 0.0], 'b c': ['x', 'y z']}, 'b c')
    """
    text = text.lstrip("\ufeff")
    attributes: list[_Attribute] = []
    relation, outputs = "", ""
    rows: list[list[Any]] = []
    in_data = False
    for number, raw in enumerate(io.StringIO(text, newline=None), start=1):
        line = raw.strip()
        if not line or line.startswith("%"):
            continue
        if not in_data:
            if not line.startswith("@"):
                raise FileReadError(
                    f"{where}: line {number}: {line[:30]!r} before @data; "
                    "not an ARFF header line (@relation, @attribute, @data)"
                )
            m = re.match(r"(\w+)\s*(.*)$", line[1:], re.DOTALL)
            if m is None:
                raise FileReadError(f"{where}: line {number}: {line[:30]!r} is no declaration")
            keyword, rest = m.groups()
            key = keyword.lower()
            if key == "relation":
                relation = _name_and_rest(rest)[0] if rest else ""
            elif key == "attribute":
                attributes.append(_attribute(rest, number, where))
            elif key in ("outputs", "output"):
                outputs = _split(rest, ",")[0] if rest else ""
            elif key in ("inputs", "input"):
                pass
            elif key == "data":
                in_data = True
                if not attributes:
                    raise FileReadError(
                        f"{where}: not a valid ARFF file: @data before any @attribute"
                    )
            else:
                raise FileReadError(f"{where}: line {number}: unknown declaration @{keyword}")
            continue
        rows.append(_row(line, attributes, number, where))
    if not in_data:
        raise FileReadError(f"{where}: no @data section; not an ARFF file")
    return _frame(attributes, rows, where), {
        "relation": relation,
        "nominal": [a.name for a in attributes if a.kind == "nominal"],
        **({"target": outputs} if outputs else {}),
    }


def _row(line: str, attributes: list[_Attribute], number: int, where: str) -> list[Any]:
    n = len(attributes)
    try:
        if line.startswith("{"):  # sparse: {index value, ...}; omitted values are 0
            if not line.endswith("}"):
                raise ValueError("a sparse row without its closing '}'")
            values: list[Any] = [
                (a.values[0] if a.kind == "nominal" and a.values else 0) for a in attributes
            ]
            for pair in _split(line[1:-1], ","):
                if not pair:
                    continue
                index, value = pair.strip().split(None, 1)  # "3 2" or "3\t2"
                values[int(index)] = _split(value, ",")[0]
            return values
        fields = _split(line, ",")
        if len(fields) == 1 and n > 1:
            fields = _split(line, " \t")
    except (ValueError, IndexError) as exc:
        raise FileReadError(f"{where}: line {number}: {exc}") from None
    if len(fields) != n:
        raise FileReadError(
            f"{where}: line {number}: {len(fields)} values for {n} attributes; "
            "check the row (and the @attribute lines)"
        )
    return fields


def _frame(attributes: list[_Attribute], rows: list[list[Any]], where: str) -> pd.DataFrame:
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in attributes]
    data: dict[str, Any] = {}
    recast: list[str] = []
    for a, raw in zip(attributes, columns, strict=True):
        values = [None if v in ("?", None) else v for v in raw]
        if a.kind == "numeric":
            numbers = pd.to_numeric(pd.Series(values, dtype=object), errors="coerce")
            bad = [v for v, x in zip(values, numbers, strict=True) if v is not None and x != x]
            if bad:
                raise FileReadError(
                    f"{where}: attribute {a.name!r} is numeric but holds {str(bad[0])[:30]!r}"
                )
            data[a.name] = numbers.astype(float)
        elif a.kind == "nominal":
            strings = [None if v is None else str(v) for v in values]
            unknown = sorted({v for v in strings if v is not None} - set(a.values))
            if unknown:
                raise FileReadError(
                    f"{where}: attribute {a.name!r} holds {unknown[0][:30]!r}, not one of its "
                    f"declared values {a.values[:8]}"
                )
            if _numbers_declared_nominal(a.values):
                data[a.name] = pd.to_numeric(pd.Series(strings, dtype=object)).astype(float)
                recast.append(a.name)
            else:
                data[a.name] = pd.Categorical(strings, categories=a.values)
        elif a.kind == "date":
            # a date stays a date: loading leaves it out as no feature, or (kept) it
            # becomes days since 1970 as any date column does
            data[a.name] = pd.to_datetime(
                pd.Series(values, dtype=object), errors="coerce", utc=True
            )
        else:
            data[a.name] = pd.Series(values, dtype=object)
    frame = pd.DataFrame(data)
    if recast:
        frame.attrs["read_note"] = (
            f"read {len(recast)} attribute(s) declared nominal as numbers (more than "
            f"{NOMINAL_NUMBERS} numeric values each): {', '.join(recast[:8])}"
            + (" ..." if len(recast) > 8 else "")
        )
    return frame


#: A nominal attribute whose declared values are all numbers, more than this many,
#: is a numeric attribute declared nominal (as exports from databases often do).
NOMINAL_NUMBERS = 20


def _numbers_declared_nominal(values: list[str]) -> bool:
    """Whether declared nominal ``values`` are more than :data:`NOMINAL_NUMBERS` numbers."""
    if len(values) <= NOMINAL_NUMBERS:
        return False
    try:
        return all(math.isfinite(float(v)) for v in values)
    except ValueError:
        return False


def read_arff_text(text: str, where: str) -> tuple[pd.DataFrame, dict[str, Any]]:
    """liac-arff where it reads the text, else :func:`parse_arff`; same types either way.

    Parameters
    ----------
    text : str
        The whole file.
    where : str
        The file's name, for messages.

    Returns
    -------
    DataFrame, dict
        As :func:`parse_arff`; ``reader`` says which reader read it.
    """
    import arff  # liac-arff, a dependency of openml

    try:
        obj = arff.loads(text.lstrip("\ufeff"))
    except (arff.ArffException, ValueError, IndexError, TypeError):
        frame, meta = parse_arff(text, where)
        return frame, {**meta, "reader": "metarec"}
    attributes = []
    for name, typ in obj["attributes"]:
        if isinstance(typ, list):
            attributes.append(_Attribute(name, "nominal", [str(t) for t in typ]))
        elif str(typ).upper() in ("NUMERIC", "REAL", "INTEGER"):
            attributes.append(_Attribute(name, "numeric"))
        else:
            attributes.append(_Attribute(name, "string"))
    rows = [["?" if v is None else v for v in row] for row in obj["data"]]
    frame = _frame(attributes, rows, where)
    return frame, {
        "relation": obj.get("relation", ""),
        "nominal": [a.name for a in attributes if a.kind == "nominal"],
        "reader": "liac-arff",
    }
