"""The validation rules of schemas/ as code: loading them, converting cells, pandera schemas.

schemas/indicators.toml and schemas/activities.toml describe each column of a card's tables
(type, required, vocabulary, minimum, totals, uniqueness) with the issue code of every rule.
This module loads them, converts a raw cell by its column's type (numbers typed as Turkish
text, error values, dates where a number belongs), and builds the pandera DataFrameSchema
that kbbxl.checks runs over the converted rows; every check is named by its issue code.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from fnmatch import fnmatchcase
from functools import cache, lru_cache
from typing import Any

from kbbxl import form as F
from kbbxl.errors import SchemaLoadError
from kbbxl.raw import Cell, RawRow
from kbbxl.report import issue_type
from kbbxl.resources import load_toml
from kbbxl.text import NumberFormatError, clean_text, parse_tr_number, tr_casefold

# Conversion outcomes (the codes are in schemas/issues.toml, section [cells]).
NUMBER_AS_TEXT = "number-as-text"
NOT_A_NUMBER = "not-a-number"
DATE_IN_NUMBER = "date-in-number"
CELL_ERROR = "cell-error"

TABLES = ("indicators", "activities")

# --- the rules, from schemas/ ----------------------------------------------------------------


@dataclass(frozen=True)
class ColumnRule:
    """The rule for the columns whose key matches `pattern` (fnmatch: "ec*")."""

    pattern: str
    type: str  # "text" | "number"
    required: str | None = None  # issue code when empty
    vocabulary: str | None = None  # "form.units"
    vocabulary_issue: str | None = None
    minimum: float | None = None
    minimum_issue: str | None = None
    missing: float | None = None  # value used for an empty cell (amounts: 0)


@dataclass(frozen=True)
class TotalRule:
    """A computed total compared with the value the file holds."""

    columns: tuple[str, ...]  # patterns of the compared columns
    sum_of: tuple[str, ...]  # row totals: the summed columns
    tolerance: float
    typed_issue: str
    formula_issue: str


@dataclass(frozen=True)
class TableRules:
    """Everything schemas/<table>.toml says about one table of a card."""

    table: str
    content: tuple[str, ...]
    columns: tuple[ColumnRule, ...]
    unique: tuple[str, str] | None = None  # (column, issue code)
    row_total: TotalRule | None = None
    card_total: TotalRule | None = None

    #: rule() per key, filled on first use (it is asked for every cell of every form)
    _by_key: dict[str, ColumnRule | None] = field(
        default_factory=dict, init=False, repr=False, compare=False, hash=False)

    def rule(self, key: str) -> ColumnRule | None:
        try:
            return self._by_key[key]
        except KeyError:
            found = next((r for r in self.columns if fnmatchcase(key, r.pattern)), None)
            self._by_key[key] = found
            return found

    @staticmethod
    def matching(patterns: Iterable[str], keys: Iterable[str]) -> tuple[str, ...]:
        return _matching(tuple(patterns), tuple(keys))


@cache
def _matching(patterns: tuple[str, ...], keys: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(k for k in keys if any(fnmatchcase(k, p) for p in patterns))


def _total_rule(data: dict[str, Any] | None, name: str) -> TotalRule | None:
    if not data:
        return None
    columns = data.get("columns") or [data["column"]]
    rule = TotalRule(
        tuple(columns), tuple(data.get("sum_of", ())), float(data.get("tolerance", 0.5)),
        data["typed_issue"], data["formula_issue"],
    )
    for code in (rule.typed_issue, rule.formula_issue):
        issue_type(code)  # unknown codes fail when the rules load, not mid-merge
    return rule


@cache
def load_rules(table: str) -> TableRules:
    """The rules of `table` ("indicators" or "activities") from schemas/<table>.toml."""
    data = load_toml("schemas", f"{table}.toml")
    try:
        columns = tuple(
            ColumnRule(
                pattern=key,
                type=spec["type"],
                required=spec.get("required"),
                vocabulary=spec.get("vocabulary"),
                vocabulary_issue=spec.get("vocabulary_issue"),
                minimum=spec.get("minimum"),
                minimum_issue=spec.get("minimum_issue"),
                missing=spec.get("missing"),
            )
            for key, spec in data["columns"].items()
        )
        unique = data.get("unique")
        rules = TableRules(
            table=data["table"],
            content=tuple(data["content"]),
            columns=columns,
            unique=(unique["column"], unique["issue"]) if unique else None,
            row_total=_total_rule(data.get("row_total"), "row_total"),
            card_total=_total_rule(data.get("card_total"), "card_total"),
        )
    except (KeyError, TypeError) as exc:
        raise SchemaLoadError(f"schemas/{table}.toml: eksik ya da hatalı alan {exc}") from exc
    for r in columns:
        if r.type not in ("text", "number"):
            raise SchemaLoadError(f"schemas/{table}.toml: [{r.pattern}] türü '{r.type}'?")
        for code in (r.required, r.vocabulary_issue, r.minimum_issue):
            if code:
                issue_type(code)
    if rules.unique:
        issue_type(rules.unique[1])
    return rules


def vocabulary(name: str) -> dict[str, str]:
    """A named list of allowed values, folded → official spelling."""
    if name == "form.units":
        return {tr_casefold(u): u for u in F.unit_vocabulary()}
    raise SchemaLoadError(f"bilinmeyen sözlük '{name}'")


@lru_cache(maxsize=4096)
def folded_key(text: str) -> str:
    """tr_casefold of a value of a vocabulary column: few distinct values (units), asked for
    every row of every form."""
    return tr_casefold(text)


# --- converting raw cells ----------------------------------------------------------------------


@dataclass(frozen=True)
class Converted:
    """A cell's value after conversion by its column type, and what conversion found."""

    value: Any  # str for text, float (NaN = no value) for numbers
    code: str | None = None  # a conversion issue code
    detail: str = ""

    @property
    def failed(self) -> bool:
        return self.code is not None and issue_type(self.code).severity == "error"


def convert_text(cell: Cell | None) -> Converted:
    if cell is None:
        return Converted("")
    if cell.error:
        return Converted("", CELL_ERROR)
    return Converted(clean_text(cell.value))


def convert_number(cell: Cell | None) -> Converted:
    """A number cell: numbers as is, Turkish text numbers with a warning, anything else an error."""
    if cell is None:
        return Converted(math.nan)
    if cell.error:
        return Converted(math.nan, CELL_ERROR)
    value = cell.value
    if isinstance(value, (datetime, date, time)):
        return Converted(math.nan, DATE_IN_NUMBER)
    try:
        number = parse_tr_number(value)
    except NumberFormatError as exc:
        return Converted(math.nan, NOT_A_NUMBER, _detail(str(exc), value))
    if number is None:
        return Converted(math.nan)
    if isinstance(value, str):
        return Converted(number, NUMBER_AS_TEXT)
    return Converted(number)


def _detail(reason: str, value: Any) -> str:
    # parse_tr_number names the value itself ("'abc' bir sayı değil"); the message already
    # shows it, so keep only the advice after it when there is one.
    text = reason.split(": ", 1)[1] if ": " in reason else ""
    return (text[:1].upper() + text[1:] + ".") if text else ""


def convert_numbers(
    cells: Sequence[Cell | None],
) -> tuple[list[float], list[tuple[int, Converted]]]:
    """convert_number of every cell of a column: the values, and (index, Converted) of the
    cells whose conversion found something.

    Most cells hold a number or nothing: those are done here without a Converted each (a
    national merge converts ~3 million cells); any other cell goes through convert_number.
    """
    nan = math.nan
    values: list[float] = []
    found: list[tuple[int, Converted]] = []
    for i, cell in enumerate(cells):
        if cell is None:
            values.append(nan)
            continue
        value = cell.value
        if not cell.error:
            kind = type(value)
            # value - value is 0.0 for a finite float only (inf and NaN give NaN)
            if kind is float and value - value == 0.0:
                values.append(value)
                continue
            if kind is int:
                values.append(float(value))
                continue
            if value is None:
                values.append(nan)
                continue
        conv = convert_number(cell)
        values.append(conv.value)
        if conv.code:
            found.append((i, conv))
    return values, found


def convert_texts(cells: Sequence[Cell | None]) -> tuple[list[str], list[tuple[int, Converted]]]:
    """convert_text of every cell of a column, as convert_numbers does for numbers."""
    values: list[str] = []
    found: list[tuple[int, Converted]] = []
    for i, cell in enumerate(cells):
        if cell is None:
            values.append("")
        elif cell.error:
            conv = convert_text(cell)
            values.append(conv.value)
            found.append((i, conv))
        else:
            values.append(clean_text(cell.value))
    return values, found


def has_content(row: RawRow, keys: Sequence[str]) -> bool:
    """True when any of the row's content cells holds something (spare rows are empty)."""
    cells = row.cells
    for key in keys:
        cell = cells.get(key)
        if cell is None:
            continue
        if cell.error:
            return True
        if cell.value is not None and not is_blank(cell.value):
            return True
    return False


def is_blank(value: Any) -> bool:
    """clean_text(value) == "", without cleaning the common cells: a number is never blank,
    nor is text whose first character clean_text keeps (not white space, not a control
    character)."""
    kind = type(value)
    if kind is float or kind is int:
        return False
    if kind is str and value and not value[0].isspace() and "\x1f" < value[0] != "\x7f":
        return False
    return clean_text(value) == ""


def table_columns(program: Any, table: str) -> tuple[str, ...]:
    """Column keys of a card table for this plan (form.INDICATOR_COLUMNS / activity_columns)."""
    return F.INDICATOR_COLUMNS if table == "indicators" else F.activity_columns(program)


@cache
def table_schema(rules: TableRules, keys: tuple[str, ...]) -> Any:
    """The pandera schema for a table with these columns. Every check is named by its issue
    code, so a failure case maps straight back to the catalogue."""
    import pandera.pandas as pa

    columns: dict[str, Any] = {}
    for key in keys:
        rule = rules.rule(key)
        assert rule is not None
        checks = []
        if rule.required:
            checks.append(pa.Check(lambda s: s.str.len() > 0, name=rule.required))
        if rule.vocabulary and rule.vocabulary_issue:
            folded = set(vocabulary(rule.vocabulary))
            checks.append(pa.Check(
                lambda s, folded=folded: s.eq("") | s.map(folded_key).isin(folded),
                name=rule.vocabulary_issue,
            ))
        if rule.minimum is not None and rule.minimum_issue:
            checks.append(pa.Check(
                lambda s, m=rule.minimum: s.isna() | s.ge(m), name=rule.minimum_issue
            ))
        dtype = float if rule.type == "number" else str
        columns[key] = pa.Column(dtype, nullable=rule.type == "number", checks=checks)
    frame_checks = []
    if rules.unique:
        code = rules.unique[1]
        frame_checks.append(pa.Check(
            lambda d: d["_unique_key"].eq("") | ~d.duplicated(["_card", "_unique_key"]),
            name=code,
        ))
    if rules.row_total and rules.row_total.columns[0] in keys:
        tr = rules.row_total
        col = tr.columns[0]

        def agrees(d: Any, tol: float = tr.tolerance) -> Any:
            return d[col].isna() | d["_sum"].isna() | (d[col] - d["_sum"]).abs().le(tol)

        frame_checks.append(pa.Check(lambda d: agrees(d) | d["_total_formula"],
                                     name=tr.typed_issue))
        frame_checks.append(pa.Check(lambda d: agrees(d) | ~d["_total_formula"],
                                     name=tr.formula_issue))
    return pa.DataFrameSchema(columns, checks=frame_checks, strict=False)
