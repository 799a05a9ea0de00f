"""Validation of returned forms: schemas/ rules run with pandera, plus file and cross-file checks.

The rules for table rows live in schemas/indicators.toml and schemas/activities.toml; this
module converts each raw cell by its column's type first (so one bad cell never hides
another), builds a pandera DataFrameSchema from the rules, validates lazily, and turns every
failure case back into an Issue at its cell. What a schema cannot say — metadata, the cards a
department owns, two files from one department, departments that sent nothing — is checked
here in Python, each with a stable code from schemas/issues.toml.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time
from fnmatch import fnmatchcase
from functools import cache
from typing import Any

from kbbxl import form as F
from kbbxl.errors import SchemaLoadError
from kbbxl.model import Activity, CardData, Indicator, Program, Source
from kbbxl.raw import Cell, RawCard, RawForm, RawRow
from kbbxl.report import Issue, Locator, issue_type, make_issue
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

    def rule(self, key: str) -> ColumnRule | None:
        return next((r for r in self.columns if fnmatchcase(key, r.pattern)), None)

    @staticmethod
    def matching(patterns: Iterable[str], keys: Iterable[str]) -> tuple[str, ...]:
        pats = tuple(patterns)
        return tuple(k for k in keys if any(fnmatchcase(k, p) for p in pats))


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


def has_content(row: RawRow, keys: Sequence[str]) -> bool:
    """True when any of the row's content cells holds something (spare rows are empty)."""
    for key in keys:
        cell = row.cells.get(key)
        if cell is None:
            continue
        if cell.error or (cell.value is not None and clean_text(cell.value) != ""):
            return True
    return False


# --- one table of all cards of a form ---------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    """A row sent: the card, the raw row and its position among the rows sent in that table."""

    card: RawCard
    row: RawRow
    position: int


@dataclass
class _Context:
    program: Program
    form: RawForm
    department: str
    issues: list[Issue] = field(default_factory=list)
    bad_rows: set[tuple[str, int]] = field(default_factory=set)  # (sheet, worksheet row)
    bad_sheets: set[str] = field(default_factory=set)  # cards left out whole
    cards: list[RawCard] = field(default_factory=list)  # the cards checked

    def add(self, code: str, *, entry: Entry | None = None, table: str | None = None,
            key: str | None = None, sheet: str = "", cell: str = "", value: Any = None,
            target: str = "", **details: Any) -> None:
        locator = None
        if entry is not None:
            sheet, target = entry.card.sheet, entry.card.target
            locator = Locator(target, table, entry.position, key)
            if key is not None and not cell:
                cell = entry.row.ref(key)
        elif target:
            locator = Locator(target, table, None, key)
        issue = make_issue(
            code, department=self.department, file=self.form.file, sheet=sheet, cell=cell,
            value=value, locator=locator, **details,
        )
        self.issues.append(issue)
        if issue.is_error and entry is not None:
            self.bad_rows.add((entry.card.sheet, entry.row.row))


def _table_columns(program: Program, table: str) -> tuple[str, ...]:
    return F.INDICATOR_COLUMNS if table == "indicators" else F.activity_columns(program)


def column_labels(program: Program, table: str) -> dict[str, str]:
    """Turkish column titles, for messages ("03 Mal ve Hizmet Alım Giderleri")."""
    if table == "indicators":
        return F.indicator_headers(program.year)
    return F.activity_headers(program)


@dataclass(frozen=True)
class TableResult:
    """The converted values of a table's rows (same order as the entries)."""

    entries: tuple[Entry, ...]
    values: tuple[dict[str, Any], ...]


def check_table(ctx: _Context, table: str, entries: Sequence[Entry]) -> TableResult:
    """Convert, then validate with pandera, the rows of one table of every card of a form."""
    import pandas as pd
    import pandera.pandas as pa

    rules = load_rules(table)
    keys = [k for k in _table_columns(ctx.program, table) if rules.rule(k)]
    labels = column_labels(ctx.program, table)
    finding_cells = {(f.sheet, f.cell) for f in ctx.form.findings}
    records: list[dict[str, Any]] = []
    values: list[dict[str, Any]] = []
    for entry in entries:
        record: dict[str, Any] = {"_target": entry.card.target}
        failed: set[str] = set()
        for key in keys:
            rule = rules.rule(key)
            assert rule is not None
            cell = entry.row.cells.get(key)
            conv = convert_text(cell) if rule.type == "text" else convert_number(cell)
            if conv.code and (entry.card.sheet, entry.row.ref(key)) not in finding_cells:
                # the reader may already have reported this cell (e.g. an error value)
                ctx.add(conv.code, entry=entry, table=table, key=key,
                        value=None if cell is None else cell.value, column=labels.get(key, key),
                        parsed=conv.value, detail=conv.detail)
            elif conv.code and conv.failed:
                ctx.bad_rows.add((entry.card.sheet, entry.row.row))
            if conv.failed:
                failed.add(key)
            record[key] = conv.value
        record["_failed"] = frozenset(failed)
        cell = entry.row.cells.get("total")
        record["_total_formula"] = bool(cell is not None and cell.formula)
        records.append(record)
        values.append({k: record[k] for k in keys})

    frame = pd.DataFrame.from_records(records, columns=["_target", *keys, "_total_formula"])
    for key in keys:
        frame[key] = frame[key].astype("float64" if rules.rule(key).type == "number" else "str")
    _add_derived(frame, records, rules, keys)
    schema = _schema(rules, tuple(keys))
    try:
        schema.validate(frame, lazy=True)
    except pa.errors.SchemaErrors as exc:
        _failures_to_issues(ctx, table, rules, exc.failure_cases, frame, entries, labels)
    if rules.card_total is not None:
        _check_card_totals(ctx, table, rules, keys, entries, records, labels)
    # units typed in another case or spacing take the vocabulary's spelling
    for key in keys:
        rule = rules.rule(key)
        if rule and rule.vocabulary:
            vocab = vocabulary(rule.vocabulary)
            for v in values:
                v[key] = vocab.get(tr_casefold(v[key]), v[key])
    return TableResult(tuple(entries), tuple(values))


def _add_derived(frame: Any, records: list[dict[str, Any]], rules: TableRules,
                 keys: list[str]) -> None:
    import pandas as pd

    if rules.unique:
        col = rules.unique[0]
        frame["_unique_key"] = [tr_casefold(str(r.get(col, ""))) for r in records]
    if rules.row_total:
        summed = TableRules.matching(rules.row_total.sum_of, keys)
        sums = []
        for r in records:
            if r["_failed"] & set(summed):
                sums.append(math.nan)  # a part is unknown: no comparison, no false alarm
            else:
                sums.append(sum(0.0 if math.isnan(r[k]) else r[k] for k in summed))
        frame["_sum"] = pd.Series(sums, index=frame.index, dtype="float64")


@cache
def _schema(rules: TableRules, keys: tuple[str, ...]) -> Any:
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
                lambda s, folded=folded: s.eq("") | s.map(tr_casefold).isin(folded),
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
            lambda d: d["_unique_key"].eq("") | ~d.duplicated(["_target", "_unique_key"]),
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
    return pa.DataFrameSchema(columns, checks=frame_checks, strict=True)


def _failures_to_issues(ctx: _Context, table: str, rules: TableRules, cases: Any, frame: Any,
                        entries: Sequence[Entry], labels: dict[str, str]) -> None:
    seen: set[tuple[str, int]] = set()
    first_of: dict[tuple[str, str], int] = {}
    if rules.unique:
        for i, (target, k) in enumerate(zip(frame["_target"], frame["_unique_key"], strict=True)):
            first_of.setdefault((target, k), i)
    for case in cases.itertuples(index=False):
        code, index = str(case.check), case.index
        if index is None or (code, int(index)) in seen:
            continue  # frame-level checks report every column of a failing row
        i = int(index)
        seen.add((code, i))
        entry = entries[i]
        if case.schema_context == "Column":
            key = str(case.column)
            cell = entry.row.cells.get(key)
            ctx.add(code, entry=entry, table=table, key=key,
                    value=None if cell is None else cell.value, column=labels.get(key, key),
                    name=frame.at[i, "name"] if "name" in frame else "")
        elif rules.unique and code == rules.unique[1]:
            key = rules.unique[0]
            first = entries[first_of[(frame.at[i, "_target"], frame.at[i, "_unique_key"])]]
            ctx.add(code, entry=entry, table=table, key=key, value=frame.at[i, key],
                    other=first.row.ref(key))
        elif rules.row_total:
            key = rules.row_total.columns[0]
            ctx.add(code, entry=entry, table=table, key=key, value=frame.at[i, key],
                    expected=frame.at[i, "_sum"])


def _check_card_totals(ctx: _Context, table: str, rules: TableRules, keys: list[str],
                       entries: Sequence[Entry], records: list[dict[str, Any]],
                       labels: dict[str, str]) -> None:
    rule = rules.card_total
    assert rule is not None
    compared = TableRules.matching(rule.columns, keys)
    summed = TableRules.matching(rules.row_total.sum_of if rules.row_total else (), keys)
    for card in ctx.cards:
        if card.totals is None:
            continue
        rows = [r for e, r in zip(entries, records, strict=True) if e.card.sheet == card.sheet]
        for key in compared:
            parts = summed if key == "total" else (key,)
            if any(r["_failed"] & set(parts) for r in rows):
                continue  # a bad cell above is reported already; its sum is unknown
            expected = sum(0.0 if math.isnan(r[p]) else r[p] for r in rows for p in parts)
            cell = card.totals.cells.get(key)
            found = convert_number(cell)
            if cell is None or found.failed or math.isnan(found.value):
                continue
            if abs(found.value - expected) > rule.tolerance:
                code = rule.formula_issue if cell.formula else rule.typed_issue
                ctx.add(code, sheet=card.sheet, cell=cell.ref, value=cell.value,
                        target=card.target, table=table, key=key, expected=expected,
                        column=labels.get(key, key))


# --- a whole form ---------------------------------------------------------------------------


@dataclass(frozen=True)
class SentCard:
    """What a department sent on one card, raw values by column key, rows in order."""

    target: str
    sheet: str
    indicators: tuple[dict[str, Any], ...] = ()
    activities: tuple[dict[str, Any], ...] = ()


@dataclass(frozen=True)
class FormCheck:
    """The outcome of checking one returned form."""

    form: RawForm
    department: str  # department code ("" when it cannot be told)
    issues: tuple[Issue, ...]
    data: CardData  # the rows without errors (empty when the file is left out)
    sent: tuple[SentCard, ...]  # what was sent, for the returned copy
    indicators_read: int
    activities_read: int
    accepted: bool  # False: a file-level error, nothing of this file reaches the master

    @property
    def file(self) -> str:
        return self.form.file

    @property
    def has_errors(self) -> bool:
        return any(i.is_error for i in self.issues)


def meta_cell(key: str) -> str:
    """Cell of a metadata value: the writer puts key i in column A and its value in B, row i+1."""
    return f"B{F.META_KEYS.index(key) + 1}"


def guess_department(program: Program, file_name: str) -> str:
    """The department a file name points at ("2021_ULASIM.xlsx" → "ULASIM"), else ""."""
    stem = file_name.rsplit(".", 1)[0]
    for dept in program.departments:
        if stem.upper().endswith("_" + dept.code.upper()):
            return dept.code
    return ""


def _finding_issue(ctx: _Context, finding: Any) -> Issue:
    try:
        kind = issue_type(finding.code)
        severity = kind.severity
    except SchemaLoadError:
        severity = "error"  # an uncatalogued reader problem is never waved through
    return Issue(finding.code, severity, ctx.department, ctx.form.file, finding.sheet,
                 finding.cell, finding.value, finding.message)


def _check_meta(ctx: _Context) -> bool:
    """File-level checks; False when the whole file must stay out of the master."""
    form, program = ctx.form, ctx.program
    ok = not any(i.is_error and not i.sheet for i in ctx.issues)
    if form.meta is None:
        if ok:
            ctx.add("missing-metadata", sheet=F.META_SHEET)
        return False
    meta = form.meta
    year = meta.get("year", "")
    if year != str(program.year):
        ctx.add("wrong-year", sheet=F.META_SHEET, cell=meta_cell("year"), value=year,
                expected=str(program.year))
        ok = False
    version = meta.get("format_version", "")
    if version != F.FORMAT_VERSION:
        ctx.add("wrong-version", sheet=F.META_SHEET, cell=meta_cell("format_version"),
                value=version, expected=F.FORMAT_VERSION)
        ok = False
    dept = meta.get("department", "")
    if not program.has_department(dept):
        ctx.add("unknown-department", sheet=F.META_SHEET, cell=meta_cell("department"),
                value=dept)
        return False
    sent_print = meta.get("fingerprint", "")
    if form.fingerprint and sent_print and form.fingerprint != sent_print:
        ctx.add("structure-altered", value=None)
        ok = False
    elif ok and sent_print != F.fingerprint(program, dept):
        ctx.add("plan-changed", sheet=F.META_SHEET, cell=meta_cell("fingerprint"))
    return ok


def _check_cards(ctx: _Context) -> list[RawCard]:
    """The cards to read: the department's own, each once; the others are reported."""
    program, dept = ctx.program, ctx.department
    by_target: dict[str, list[RawCard]] = {}
    for card in ctx.form.cards:
        by_target.setdefault(card.target, []).append(card)
    accepted: list[RawCard] = []
    for target, cards in by_target.items():
        if not target:
            ctx.bad_sheets.update(c.sheet for c in cards)  # the reader reported the code
            continue
        if not program.has_target(target):
            for c in cards:
                ctx.add("unknown-target", sheet=c.sheet, cell=c.header.get("target", Cell(
                    None, "")).ref, value=target)
            ctx.bad_sheets.update(c.sheet for c in cards)
            continue
        owner = program.target(target).department
        if dept and owner != dept:
            for c in cards:
                ctx.add("foreign-target", sheet=c.sheet, cell=c.header.get("target", Cell(
                    None, "")).ref, value=target, owner=program.department(owner).name)
            ctx.bad_sheets.update(c.sheet for c in cards)
            continue
        if len(cards) > 1:
            for c in cards:
                others = ", ".join(o.sheet for o in cards if o is not c)
                ctx.add("duplicate-card", sheet=c.sheet, value=target, other=others,
                        target=target, table="header", key="target")
            ctx.bad_sheets.update(c.sheet for c in cards)
            continue
        accepted.append(cards[0])
    if dept and ctx.form.meta is not None:
        present = set(by_target)
        for t in program.targets_of(dept):
            if t.code not in present:
                ctx.add("missing-card", sheet=F.sheet_name_for(t.code), value=t.code,
                        target=t.code, table="header", key="target")
    # reader errors on a card sheet without a cell (a missing anchor or column) make the
    # card unreadable as a whole
    broken = {i.sheet for i in ctx.issues if i.is_error and i.sheet and not i.cell}
    ctx.bad_sheets |= broken
    return [c for c in accepted if c.sheet not in ctx.bad_sheets]


def _row_of(cell: str) -> int | None:
    digits = cell.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ$").replace("$", "")
    return int(digits) if digits.isdigit() else None


def check_form(program: Program, form: RawForm) -> FormCheck:
    """Every check of one returned form against the plan (not the cross-file ones)."""
    meta = form.meta or {}
    dept = meta.get("department", "")
    if not program.has_department(dept):
        dept = guess_department(program, form.file) if form.meta is None else dept
    ctx = _Context(program, form, dept)
    for finding in form.findings:
        issue = _finding_issue(ctx, finding)
        ctx.issues.append(issue)
        row = _row_of(finding.cell) if finding.cell else None
        if issue.is_error and finding.sheet and row is not None:
            ctx.bad_rows.add((finding.sheet, row))
    accepted = _check_meta(ctx)
    cards = _check_cards(ctx) if form.meta is not None else []
    ctx.cards = cards
    entries: dict[str, list[Entry]] = {t: [] for t in TABLES}
    sent: list[SentCard] = []
    for card in cards:
        per_table: dict[str, list[dict[str, Any]]] = {}
        for table in TABLES:
            rules = load_rules(table)
            content = TableRules.matching(rules.content, _table_columns(program, table))
            rows = [r for r in getattr(card, table) if has_content(r, content)]
            entries[table].extend(Entry(card, r, i) for i, r in enumerate(rows))
            per_table[table] = [{k: c.value for k, c in r.cells.items()} for r in rows]
        if not per_table["indicators"] and not per_table["activities"]:
            ctx.add("empty-card", sheet=card.sheet, cell=card.header.get(
                "target", Cell(None, "")).ref, value=card.target, target=card.target,
                table="header", key="target")
        sent.append(SentCard(card.target, card.sheet, tuple(per_table["indicators"]),
                             tuple(per_table["activities"])))
    results = {t: check_table(ctx, t, entries[t]) for t in TABLES}
    data = _clean_data(ctx, results) if accepted else CardData()
    return FormCheck(
        form=form, department=dept, issues=tuple(ctx.issues), data=data, sent=tuple(sent),
        indicators_read=len(entries["indicators"]), activities_read=len(entries["activities"]),
        accepted=accepted,
    )


def _number_or_none(value: float) -> float | None:
    return None if math.isnan(value) else float(value)


def _clean_data(ctx: _Context, results: dict[str, TableResult]) -> CardData:
    """The rows without errors, as domain records with their source cells."""
    program, file = ctx.program, ctx.form.file

    def clean(entry: Entry) -> bool:
        return (entry.card.sheet, entry.row.row) not in ctx.bad_rows

    indicators = tuple(
        Indicator(
            target=e.card.target, seq=e.position + 1, name=v["name"], unit=v["unit"],
            past2=_number_or_none(v["past2"]), past1=_number_or_none(v["past1"]),
            goal=_number_or_none(v["goal"]), source=Source(file, e.card.sheet, e.row.row),
        )
        for e, v in zip(results["indicators"].entries, results["indicators"].values, strict=True)
        if clean(e)
    )
    rules = load_rules("activities")
    activities = []
    for e, v in zip(results["activities"].entries, results["activities"].values, strict=True):
        if not clean(e):
            continue
        amounts = {}
        for code in program.form_economic_codes:
            rule = rules.rule(F.economic_key(code))
            value = v.get(F.economic_key(code), math.nan)
            amounts[code] = float(rule.missing or 0.0) if math.isnan(value) else float(value)
        off = v.get("off_budget", math.nan)
        activities.append(Activity(
            target=e.card.target, seq=e.position + 1, name=v["name"], amounts=amounts,
            off_budget=0.0 if math.isnan(off) else float(off),
            source=Source(file, e.card.sheet, e.row.row),
        ))
    return CardData(indicators, tuple(activities))


# --- across files ----------------------------------------------------------------------------


def check_inbox(program: Program, checks: Sequence[FormCheck]) -> tuple[list[FormCheck],
                                                                          list[Issue]]:
    """Cross-file checks: a department with two files (both left out), departments missing.

    Returns the form checks (with the duplicate files left out) and the issues about
    departments that sent nothing.
    """
    by_dept: dict[str, list[FormCheck]] = {}
    for c in checks:
        if c.department and c.form.meta is not None:
            by_dept.setdefault(c.department, []).append(c)
    out: list[FormCheck] = []
    for c in checks:
        same = by_dept.get(c.department, []) if c.form.meta is not None else []
        if len(same) > 1:
            others = ", ".join(o.file for o in same if o is not c)
            issue = make_issue("duplicate-department", department=c.department, file=c.file,
                               others=others)
            c = replace(c, issues=c.issues + (issue,), data=CardData(), accepted=False)
        out.append(c)
    received = {c.department for c in checks if c.department}
    missing = [
        make_issue("missing-department", department=d.code, value=F.form_file_name(program, d.code))
        for d in program.departments
        if d.code not in received and program.targets_of(d.code)
    ]
    return out, missing
