"""Validation of returned forms: the schemas/ rules run with pandera, file and cross-file checks.

Rows of every form are converted first, each cell on its own (kbbxl.rules: so one bad cell
never hides another), gathered in one frame per table (a column per key, plus the card each
row belongs to), validated lazily by the pandera schema built from schemas/, and every
failure case is turned back into an Issue at its cell (RawRow.cells gives the address).
What a schema cannot say — metadata, the cards a department owns, totals against the Genel
Toplam row, two files from one department, departments that sent nothing — is checked here
in Python, each with a stable code from schemas/issues.toml.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from kbbxl import form as F
from kbbxl.errors import SchemaLoadError
from kbbxl.model import Activity, CardData, Indicator, Program, Source
from kbbxl.raw import Cell, RawCard, RawForm, RawRow
from kbbxl.report import Issue, Locator, issue_type, make_issue
from kbbxl.rules import (
    Converted,
    TableRules,
    convert_number,
    convert_numbers,
    convert_texts,
    folded_key,
    has_content,
    load_rules,
    table_columns,
    table_schema,
    vocabulary,
)
from kbbxl.text import tr_casefold

TABLES = ("indicators", "activities")


# --- one form's context ---------------------------------------------------------------------


@dataclass
class _Context:
    program: Program
    form: RawForm
    department: str
    issues: list[Issue] = field(default_factory=list)
    bad_rows: set[tuple[str, int]] = field(default_factory=set)  # (sheet, worksheet row)
    bad_sheets: set[str] = field(default_factory=set)  # cards left out whole
    cards: list[RawCard] = field(default_factory=list)  # the cards checked
    finding_cells: set[tuple[str, str]] = field(default_factory=set)  # reported by the reader

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


def column_labels(program: Program, table: str) -> dict[str, str]:
    """Turkish column titles, for messages ("03 Mal ve Hizmet Alım Giderleri")."""
    if table == "indicators":
        return F.indicator_headers(program.year)
    return F.activity_headers(program)


# --- the rows of one table, of any number of forms -------------------------------------------


@dataclass(frozen=True)
class Entry:
    """A row sent: its form's context, the card, the raw row and its position among the rows
    sent in that table of that card."""

    ctx: _Context
    card: RawCard
    row: RawRow
    position: int


class TableRows:
    """The rows sent in one table by any number of forms, as parallel lists.

    An Entry is made only for a row with an issue: one object per row sent would be
    ~400.000 at national scale, each one more for the garbage collector to walk.
    """

    def __init__(self) -> None:
        self.ctxs: list[_Context] = []
        self.cards: list[RawCard] = []
        self.rows: list[RawRow] = []
        self.positions: list[int] = []
        self.card_ids: list[int] = []  # one number per card (a form's sheet)
        self.card_id: dict[tuple[int, str], int] = {}  # (id(ctx), sheet) → number
        self.contexts: list[_Context] = []  # the forms with rows, in order
        self._with_rows: set[int] = set()

    def __len__(self) -> int:
        return len(self.rows)

    def add(self, ctx: _Context, card: RawCard, rows: Sequence[RawRow]) -> None:
        """The rows sent on one card, in order."""
        if not rows:
            return
        n = len(rows)
        number = self.card_id.setdefault((id(ctx), card.sheet), len(self.card_id))
        if id(ctx) not in self._with_rows:
            self._with_rows.add(id(ctx))
            self.contexts.append(ctx)
        self.ctxs.extend([ctx] * n)
        self.cards.extend([card] * n)
        self.rows.extend(rows)
        self.positions.extend(range(n))
        self.card_ids.extend([number] * n)

    def entry(self, i: int) -> Entry:
        return Entry(self.ctxs[i], self.cards[i], self.rows[i], self.positions[i])


def check_table(program: Program, table: str, rows: TableRows) -> dict[str, list[Any]]:
    """Convert, then validate with pandera, rows of one table; returns the converted values,
    a list per column key.

    One frame for all the rows given (of every card of every form): pandera runs once per
    table, not once per form. Issues go to each row's form context.
    """
    import pandas as pd
    import pandera.pandas as pa

    rules = load_rules(table)
    keys = [k for k in table_columns(program, table) if rules.rule(k)]
    labels = column_labels(program, table)
    columns: dict[str, list[Any]] = {}
    found: list[tuple[int, int, str, Converted]] = []
    by_key = [r.cells for r in rows.rows]
    for j, key in enumerate(keys):
        rule = rules.rule(key)
        assert rule is not None
        cells = [c.get(key) for c in by_key]
        values, odd = (convert_texts if rule.type == "text" else convert_numbers)(cells)
        columns[key] = values
        found.extend((i, j, key, conv) for i, conv in odd)
    # issues in the order of the rows, then of the columns
    found.sort(key=lambda f: (f[0], f[1]))
    unsure: dict[int, set[str]] = {}  # row → columns whose value is unknown
    for i, _, key, conv in found:
        entry = rows.entry(i)
        ctx = entry.ctx
        if (entry.card.sheet, entry.row.ref(key)) not in ctx.finding_cells:
            cell = entry.row.cells.get(key)
            ctx.add(conv.code or "", entry=entry, table=table, key=key,
                    value=None if cell is None else cell.value, column=labels.get(key, key),
                    parsed=conv.value, detail=conv.detail)
        elif conv.failed:
            # the reader reported this cell already (an error value, a formula...)
            ctx.bad_rows.add((entry.card.sheet, entry.row.row))
        # a total over this cell cannot be compared: SUM() skips text, so the file's total
        # differs for a reason already reported at this cell
        unsure.setdefault(i, set()).add(key)

    data: dict[str, Any] = {"_card": rows.card_ids}
    for key in keys:
        rule = rules.rule(key)
        data[key] = pd.Series(columns[key], dtype="float64" if rule and rule.type == "number"
                              else "str")
    data["_total_formula"] = [
        bool(c is not None and c.formula) for c in (c.get("total") for c in by_key)]
    frame = pd.DataFrame(data)
    _add_derived(frame, columns, unsure, rules, keys)
    try:
        table_schema(rules, tuple(keys)).validate(frame, lazy=True)
    except pa.errors.SchemaErrors as exc:
        _failures_to_issues(table, rules, exc.failure_cases, frame, rows, labels)
    if rules.card_total is not None:
        _check_card_totals(table, rules, keys, rows, columns, unsure, labels)
    # units typed in another case or spacing take the vocabulary's spelling
    for key in keys:
        rule = rules.rule(key)
        if rule and rule.vocabulary:
            vocab = vocabulary(rule.vocabulary)
            columns[key] = [vocab.get(folded_key(v), v) for v in columns[key]]
    return columns


def _zeroed(values: list[float]) -> list[float]:
    """A number column with its empty cells (NaN) as 0: what a sum adds."""
    return [0.0 if v != v else v for v in values]


def _add_derived(frame: Any, columns: dict[str, list[Any]], unsure: dict[int, set[str]],
                 rules: TableRules, keys: list[str]) -> None:
    import pandas as pd

    n = len(frame)
    if rules.unique:
        col = rules.unique[0]
        frame["_unique_key"] = [tr_casefold(str(v)) for v in columns.get(col, [""] * n)]
    if rules.row_total:
        summed = TableRules.matching(rules.row_total.sum_of, keys)
        # sum() of the same floats in the same order as row by row: the very same totals
        parts = [_zeroed(columns[k]) for k in summed]
        sums: list[float] = [sum(r) for r in zip(*parts, strict=True)] if parts else [0.0] * n
        for i, bad in unsure.items():
            if not bad.isdisjoint(summed):
                sums[i] = math.nan  # a part is unknown: no comparison, no false alarm
        frame["_sum"] = pd.Series(sums, index=frame.index, dtype="float64")


def _failures_to_issues(table: str, rules: TableRules, cases: Any, frame: Any,
                        rows: TableRows, labels: dict[str, str]) -> None:
    seen: set[tuple[str, int]] = set()
    first_of: dict[tuple[int, str], int] = {}
    if rules.unique:
        for i, (card, k) in enumerate(zip(frame["_card"], frame["_unique_key"], strict=True)):
            first_of.setdefault((card, k), i)
    for case in cases.itertuples(index=False):
        code, index = str(case.check), case.index
        if index is None or (code, int(index)) in seen:
            continue  # frame-level checks report every column of a failing row
        i = int(index)
        seen.add((code, i))
        entry = rows.entry(i)
        if case.schema_context == "Column":
            key = str(case.column)
            cell = entry.row.cells.get(key)
            entry.ctx.add(code, entry=entry, table=table, key=key,
                          value=None if cell is None else cell.value,
                          column=labels.get(key, key),
                          name=frame.at[i, "name"] if "name" in frame else "")
        elif rules.unique and code == rules.unique[1]:
            key = rules.unique[0]
            first = rows.entry(first_of[(frame.at[i, "_card"], frame.at[i, "_unique_key"])])
            entry.ctx.add(code, entry=entry, table=table, key=key, value=frame.at[i, key],
                          other=first.row.ref(key))
        elif rules.row_total:
            key = rules.row_total.columns[0]
            entry.ctx.add(code, entry=entry, table=table, key=key, value=frame.at[i, key],
                          expected=frame.at[i, "_sum"])


def _check_card_totals(table: str, rules: TableRules, keys: list[str], rows: TableRows,
                       columns: dict[str, list[Any]], unsure: dict[int, set[str]],
                       labels: dict[str, str]) -> None:
    """The Genel Toplam row of each card against the sum of the rows sent."""
    rule = rules.card_total
    assert rule is not None
    compared = TableRules.matching(rule.columns, keys)
    summed = TableRules.matching(rules.row_total.sum_of if rules.row_total else (), keys)
    zeroed = {k: _zeroed(columns[k]) for k in {*compared, *summed}}
    by_card: dict[int, list[int]] = {}
    for i, number in enumerate(rows.card_ids):
        by_card.setdefault(number, []).append(i)
    unsure_of: dict[int, set[str]] = {}  # card → columns with an unknown value
    for i, bad in unsure.items():
        unsure_of.setdefault(rows.card_ids[i], set()).update(bad)
    for ctx in rows.contexts:
        for card in ctx.cards:
            if card.totals is None:
                continue
            number = rows.card_id.get((id(ctx), card.sheet))
            indices = by_card.get(number, []) if number is not None else []
            bad = unsure_of.get(number, set()) if number is not None else set()
            for key in compared:
                parts = summed if key == "total" else (key,)
                if not bad.isdisjoint(parts):
                    continue  # a bad cell above is reported already; its sum is unknown
                cell = card.totals.cells.get(key)
                if cell is None:
                    continue
                value = cell.value
                if type(value) is not float or cell.error or value - value != 0.0:
                    found = convert_number(cell)  # not a plain number: convert to tell
                    if found.failed or math.isnan(found.value):
                        continue
                    value = found.value
                # added up in the order of the rows, then of the columns, as ever
                cols = [zeroed[p] for p in parts]
                expected = sum([c[i] for i in indices for c in cols])
                if abs(value - expected) > rule.tolerance:
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
    #: what was sent, for the returned copy: kept for a form with issues only (a clean form
    #: gets no copy, and at national scale these raw values would fill the memory)
    sent: tuple[SentCard, ...]
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


@dataclass
class _Prepared:
    """A form after its file and card checks, its rows waiting for the table checks."""

    ctx: _Context
    accepted: bool
    rows: dict[str, list[tuple[RawCard, list[RawRow]]]]  # per table: the rows of each card
    #: per table, where the form's rows start in the TableRows of all forms
    start: dict[str, int] = field(default_factory=dict)

    def count(self, table: str) -> int:
        return sum(len(rows) for _, rows in self.rows[table])


def _prepare(program: Program, form: RawForm) -> _Prepared:
    meta = form.meta or {}
    dept = meta.get("department", "")
    if not program.has_department(dept):
        dept = guess_department(program, form.file) if form.meta is None else dept
    ctx = _Context(program, form, dept)
    for finding in form.findings:
        issue = _finding_issue(ctx, finding)
        ctx.issues.append(issue)
        ctx.finding_cells.add((finding.sheet, finding.cell))
        row = _row_of(finding.cell) if finding.cell else None
        if issue.is_error and finding.sheet and row is not None:
            ctx.bad_rows.add((finding.sheet, row))
    accepted = _check_meta(ctx)
    ctx.cards = _check_cards(ctx) if form.meta is not None else []
    content = {t: TableRules.matching(load_rules(t).content, table_columns(program, t))
               for t in TABLES}
    per_table: dict[str, list[tuple[RawCard, list[RawRow]]]] = {t: [] for t in TABLES}
    for card in ctx.cards:
        ind = [r for r in card.indicators if has_content(r, content["indicators"])]
        act = [r for r in card.activities if has_content(r, content["activities"])]
        per_table["indicators"].append((card, ind))
        per_table["activities"].append((card, act))
        if not ind and not act:
            ctx.add("empty-card", sheet=card.sheet, cell=card.header.get(
                "target", Cell(None, "")).ref, value=card.target, target=card.target,
                table="header", key="target")
    return _Prepared(ctx, accepted, per_table)


def _sent(p: _Prepared) -> tuple[SentCard, ...]:
    """What the form sent on each card, raw values by column key."""
    return tuple(
        SentCard(card.target, card.sheet, _values(ind), _values(act))
        for (card, ind), (_, act) in zip(p.rows["indicators"], p.rows["activities"], strict=True)
    )


def _values(rows: list[RawRow]) -> tuple[dict[str, Any], ...]:
    return tuple([{k: c.value for k, c in r.cells.items()} for r in rows])


def check_forms(program: Program, forms: Sequence[RawForm]) -> list[FormCheck]:
    """Every check of each returned form against the plan (not the cross-file ones).

    The table rows of all the forms are validated together (one pandera run per table).
    """
    prepared = [_prepare(program, f) for f in forms]
    values: dict[str, dict[str, list[Any]]] = {}
    for table in TABLES:
        rows = TableRows()
        for p in prepared:
            p.start[table] = len(rows)
            for card, card_rows in p.rows[table]:
                rows.add(p.ctx, card, card_rows)
        values[table] = check_table(program, table, rows)
    checks = []
    for p in prepared:
        ctx = p.ctx
        checks.append(FormCheck(
            form=ctx.form, department=ctx.department, issues=tuple(ctx.issues),
            data=_clean_data(p, values) if p.accepted else CardData(),
            sent=_sent(p) if ctx.issues else (),
            indicators_read=p.count("indicators"),
            activities_read=p.count("activities"), accepted=p.accepted,
        ))
    return checks


def check_form(program: Program, form: RawForm) -> FormCheck:
    """Every check of one returned form against the plan (not the cross-file ones)."""
    return check_forms(program, [form])[0]


def _number_or_none(value: float) -> float | None:
    return None if value != value else value  # converted numbers are floats: NaN or a value


def _clean_rows(p: _Prepared, table: str) -> Iterator[tuple[int, int, str, str, int]]:
    """(index in the table's columns, position in its card, sheet, target, worksheet row)
    of each of the form's rows without errors."""
    i, bad = p.start[table], p.ctx.bad_rows
    for card, rows in p.rows[table]:
        for position, row in enumerate(rows):
            if (card.sheet, row.row) not in bad:
                yield i, position, card.sheet, card.target, row.row
            i += 1


def _clean_data(p: _Prepared, values: dict[str, dict[str, list[Any]]]) -> CardData:
    """The rows without errors, as domain records with their source cells."""
    program, file = p.ctx.program, p.ctx.form.file

    ind = values["indicators"]
    name, unit = ind["name"], ind["unit"]
    past2, past1, goal = ind["past2"], ind["past1"], ind["goal"]
    indicators = tuple(
        Indicator(target, position + 1, name[i], unit[i], _number_or_none(past2[i]),
                  _number_or_none(past1[i]), _number_or_none(goal[i]), Source(file, sheet, row))
        for i, position, sheet, target, row in _clean_rows(p, "indicators")
    )

    act = values["activities"]
    rules = load_rules("activities")
    amount_columns = []
    for code in program.form_economic_codes:
        rule = rules.rule(F.economic_key(code))
        missing = rule.missing if rule is not None and rule.missing is not None else 0.0
        amount_columns.append((code, act.get(F.economic_key(code)), float(missing)))
    name, off = act["name"], act.get("off_budget")
    activities = []
    for i, position, sheet, target, row in _clean_rows(p, "activities"):
        amounts = {}
        for code, column, missing in amount_columns:
            value = math.nan if column is None else column[i]
            amounts[code] = missing if value != value else value
        off_budget = math.nan if off is None else off[i]
        activities.append(Activity(
            target, position + 1, name[i], amounts,
            0.0 if off_budget != off_budget else off_budget, Source(file, sheet, row)))
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
