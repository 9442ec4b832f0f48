"""Frictionless Table Schema inference for Vietnamese tables, and the SQL that applies it.

Types: integer, number, date, string. Numbers may be written the Vietnamese way
(`1.234.567,5`: dot groups thousands, comma marks decimals) or plainly (`1234567.5`);
dates as dd/mm/yyyy or ISO yyyy-mm-dd. Headers stay as labels (`title`); column ids
(`name`) are ASCII identifiers (`Số hộ` → `so_ho`), made unique.

The inferred schema is a valid Frictionless descriptor (groupChar/decimalChar, format,
missingValues); `cast_sql` turns a text column into its type in DuckDB, NULL when the
value does not fit — which validation reports as an error by row and column.
"""

import re

from civicport.core.text import identifier

MISSING_VALUES = ["", "-", "N/A", "n/a", "NA", "không rõ", "Không rõ"]
RESERVED = {"_id", "_search", "file_row_number"}

_VI_INT = re.compile(r"^[+-]?\d{1,3}(\.\d{3})+$")
_VI_NUM = re.compile(r"^[+-]?\d{1,3}(\.\d{3})*(,\d+)?$|^[+-]?\d+(,\d+)?$")
_PLAIN_INT = re.compile(r"^[+-]?\d+$")
_PLAIN_NUM = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
_DMY = re.compile(r"^\d{1,2}/\d{1,2}/\d{4}$")
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# An integer with a leading zero is a code (postcode, phone, ward code), not a number.
_LEADING_ZERO = re.compile(r"^[+-]?0\d")


def column_ids(labels: list[str]) -> list[str]:
    ids: list[str] = []
    seen: set[str] = set()
    for position, label in enumerate(labels, start=1):
        base = identifier(label) if label.strip() else f"cot_{position}"
        if base in RESERVED:
            base = f"c{base}"
        name, n = base, 2
        while name in seen:
            name, n = f"{base}_{n}"[:63], n + 1
        seen.add(name)
        ids.append(name)
    return ids


def _values(sample: list[str]) -> list[str]:
    return [v.strip() for v in sample if v is not None and v.strip() not in MISSING_VALUES]


# Share of a column's values that must fit a type for the column to get it: the others are
# then reported as errors ("N/A" after 1,000 numbers should not turn the column into text).
FIT = 0.9


def infer_field(name: str, label: str, sample: list[str]) -> dict:
    values = _values(sample)
    field = {"name": name, "title": label, "type": "string"}
    if not values:
        return field
    fits = {v: bool(_PLAIN_NUM.match(v) or _VI_NUM.match(v) or _VI_INT.match(v)
                    or _DMY.match(v) or _ISO.match(v)) for v in set(values)}
    fitting = [v for v in values if fits[v]]
    if len(fitting) < 2 or len(fitting) < FIT * len(values):
        return field
    values = list(dict.fromkeys(fitting))  # distinct: the checks below are per value
    if any(_LEADING_ZERO.match(v) and _PLAIN_INT.match(v) for v in values):
        return field
    if all(_PLAIN_INT.match(v) for v in values):
        return {**field, "type": "integer"}
    if all(_DMY.match(v) for v in values):
        return {**field, "type": "date", "format": "%d/%m/%Y"}
    if all(_ISO.match(v) for v in values):
        return {**field, "type": "date"}
    plain = all(_PLAIN_NUM.match(v) for v in values)
    vietnamese = all(_VI_NUM.match(v) or _VI_INT.match(v) for v in values)
    if vietnamese and (not plain or all(_VI_INT.match(v) or _PLAIN_INT.match(v)
                                        for v in values)):
        # "1.234" alone is ambiguous; in a Vietnamese file it groups thousands.
        integer = all(_VI_INT.match(v) or _PLAIN_INT.match(v) for v in values)
        return {**field, "type": "integer" if integer else "number", "groupChar": ".",
                "decimalChar": ",", "bareNumber": True}
    if plain:
        return {**field, "type": "number"}
    return field


def infer_schema(labels: list[str], rows: list[list[str]]) -> dict:
    names = column_ids(labels)
    fields = []
    for index, (name, label) in enumerate(zip(names, labels, strict=True)):
        sample = [row[index] for row in rows if index < len(row)]
        fields.append(infer_field(name, label, sample))
    return {"fields": fields, "missingValues": MISSING_VALUES}


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def missing_sql(column: str) -> str:
    values = ", ".join("'" + v.replace("'", "''") + "'" for v in MISSING_VALUES)
    return f"(trim({column}) IN ({values}) OR {column} IS NULL)"


def cast_sql(field: dict, column: str) -> str:
    """DuckDB expression: text `column` → the field's type (NULL if missing or not fitting)."""
    kind = field["type"]
    value = f"trim({column})"
    if kind == "string":
        return f"NULLIF({column}, '')"
    if field.get("groupChar") == ".":
        value = f"replace(replace({value}, '.', ''), ',', '.')"
    if kind == "integer":
        typed = f"TRY_CAST({value} AS BIGINT)"
    elif kind == "number":
        typed = f"TRY_CAST({value} AS DOUBLE)"
    elif field.get("format") == "%d/%m/%Y":
        typed = f"TRY_CAST(try_strptime({value}, '%d/%m/%Y') AS DATE)"
    else:
        typed = f"TRY_CAST({value} AS DATE)"
    return f"CASE WHEN {missing_sql(column)} THEN NULL ELSE {typed} END"


def invalid_sql(field: dict, column: str) -> str | None:
    """DuckDB condition true where a present value does not fit the field's type."""
    if field["type"] == "string":
        return None
    return f"(NOT {missing_sql(column)} AND ({cast_sql(field, column)}) IS NULL)"


TYPE_LABELS = {"integer": "số nguyên", "number": "số", "date": "ngày", "string": "văn bản"}
CKAN_TYPES = {"integer": "int", "number": "numeric", "date": "date", "string": "text"}
