"""Problem records (Issue) gathered in a Report, and their console, JSON and sheet renderings.

Every problem kbbxl finds in the inbox becomes one frozen Issue with a stable code from the
catalogue in schemas/issues.toml (severity, Turkish title, message template). The Report is
rendered three ways from the same rows(): the console (rich), --json, and the error sheet of
the master workbook.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from functools import cache
from typing import Any

from kbbxl.errors import SchemaLoadError
from kbbxl.resources import labels, load_toml

ERROR = "error"
WARNING = "warning"
#: How a severity is shown to users.
SEVERITY_TR: dict[str, str] = {ERROR: "hata", WARNING: "uyarı"}

#: A department's one-line status in the console, JSON and the master's Kontrol sheet.
STATUS_OK = "tamam"  # received, no problems
STATUS_RECEIVED = "alındı"  # received, warnings only
STATUS_ERRORS = "hatalı"  # received, at least one error
STATUS_MISSING = "gönderilmedi"  # no file from this department



def texts() -> dict[str, Any]:
    """Turkish labels of the report renderings (workbook_templates/report.toml)."""
    return labels("report")


def row_headers() -> tuple[str, ...]:
    """Column headers of the error sheet, in the order of Issue.row()."""
    return tuple(texts()["issues"]["headers"])


@dataclass(frozen=True)
class IssueType:
    """One entry of the catalogue: a code, its severity, Turkish title and message template."""

    code: str
    severity: str
    title: str
    message: str
    section: str


@cache
def catalogue() -> dict[str, IssueType]:
    """Every issue code kbbxl knows, from schemas/issues.toml (checked once per process)."""
    data = load_toml("schemas", "issues.toml")
    types: dict[str, IssueType] = {}
    for section, entries in data.items():
        if not isinstance(entries, dict):
            raise SchemaLoadError(f"issues.toml: '{section}' bir bölüm değil")
        for code, entry in entries.items():
            try:
                severity, title, message = entry["severity"], entry["title"], entry["message"]
            except (KeyError, TypeError) as exc:
                raise SchemaLoadError(f"issues.toml: [{section}.{code}] eksik: {exc}") from exc
            if severity not in SEVERITY_TR:
                raise SchemaLoadError(f"issues.toml: [{section}.{code}] önem '{severity}'?")
            if code in types:
                raise SchemaLoadError(f"issues.toml: '{code}' kodu iki kez tanımlı")
            types[code] = IssueType(code, severity, title, message, section)
    return types


def issue_type(code: str) -> IssueType:
    try:
        return catalogue()[code]
    except KeyError:
        raise SchemaLoadError(f"issues.toml: '{code}' kodu katalogda yok") from None


def tr_number(value: float | int) -> str:
    """A number as a Turkish reader writes it: 2236009100 → "2.236.009.100", 12.5 → "12,5"."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if float(value).is_integer():
        return f"{int(value):,}".replace(",", ".")
    text = f"{value:,.2f}".rstrip("0").rstrip(".")
    return text.replace(",", "\0").replace(".", ",").replace("\0", ".")


def display_value(value: Any) -> str:
    """A cell value as shown in messages: numbers in Turkish notation, dates as dd.mm.yyyy."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "DOĞRU" if value else "YANLIŞ"
    if isinstance(value, (int, float)):
        return tr_number(value)
    if isinstance(value, datetime):
        return value.strftime("%d.%m.%Y %H:%M") if (value.hour or value.minute) else (
            value.strftime("%d.%m.%Y")
        )
    if isinstance(value, date):
        return value.strftime("%d.%m.%Y")
    return shortened(str(value))


#: The longest value shown in a message or a report row, and the longest message: a cell of
#: 32.767 characters helps no reader and would not fit in a comment or a cell with the rest.
SHOWN_VALUE = 500
SHOWN_MESSAGE = 2000


def shortened(text: str, limit: int = SHOWN_VALUE) -> str:
    """`text` cut to `limit` characters, marked with "…" when cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _json_value(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    return display_value(value)


class _Blank(dict):
    # A template field the caller did not pass is shown empty rather than raising:
    # a missing detail must never turn a report into a traceback.
    def __missing__(self, key: str) -> str:
        return ""


@dataclass(frozen=True)
class Locator:
    """Where in a card a problem sits, for marking the cell in the returned copy."""

    target: str  # PH code of the card
    table: str | None = None  # "indicators" | "activities" | None for the card as a whole
    index: int | None = None  # position of the row among the rows sent (0-based)
    key: str | None = None  # column key (form.INDICATOR_COLUMNS / activity_columns)


@dataclass(frozen=True)
class Issue:
    """One problem: code, severity, where (department, file, sheet, cell), value and message."""

    code: str
    severity: str  # ERROR | WARNING
    department: str
    file: str
    sheet: str
    cell: str
    value: Any
    message: str
    #: where to mark it in a returned copy; not part of the rendered record
    locator: Locator | None = field(default=None, compare=False, repr=False)

    @property
    def is_error(self) -> bool:
        return self.severity == ERROR

    @property
    def title(self) -> str:
        return issue_type(self.code).title

    def row(self) -> tuple[str, ...]:
        """The record as shown in tables (row_headers() order), all text."""
        return (
            SEVERITY_TR[self.severity], self.code, self.department, self.file, self.sheet,
            self.cell, display_value(self.value), self.message,
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "severity": self.severity,
            "severity_tr": SEVERITY_TR[self.severity],
            "department": self.department,
            "file": self.file,
            "sheet": self.sheet,
            "cell": self.cell,
            "value": _json_value(self.value),
            "message": self.message,
        }


def make_issue(
    code: str,
    *,
    department: str = "",
    file: str = "",
    sheet: str = "",
    cell: str = "",
    value: Any = None,
    locator: Locator | None = None,
    message: str | None = None,
    **details: Any,
) -> Issue:
    """An Issue of a catalogued code; its message is the catalogue template filled in.

    `details` fill the template's extra placeholders; numbers are shown Turkish-style.
    `message` overrides the template (used for the reader's own findings).
    """
    kind = issue_type(code)
    if message is None:
        fields = _Blank(
            {k: display_value(v) if not isinstance(v, str) else shortened(v)
             for k, v in details.items()}
        )
        fields.update(
            file=file, sheet=sheet, cell=cell, department=department, value=display_value(value)
        )
        message = kind.message.format_map(fields).strip()
    message = shortened(message, SHOWN_MESSAGE)
    return Issue(code, kind.severity, department, file, sheet, cell, value, message, locator)


@dataclass(frozen=True)
class Report:
    """All issues of a run, in the order found; immutable, combined with merge()."""

    issues: tuple[Issue, ...] = ()
    #: issues grouped by department / file, built on first use (asked once per file)
    _groups: dict[str, dict[str, tuple[Issue, ...]]] = field(
        default_factory=dict, init=False, repr=False, compare=False, hash=False)

    def _group(self, attr: str) -> dict[str, tuple[Issue, ...]]:
        if attr not in self._groups:
            by: dict[str, list[Issue]] = {}
            for i in self.issues:
                by.setdefault(getattr(i, attr), []).append(i)
            self._groups[attr] = {k: tuple(v) for k, v in by.items()}
        return self._groups[attr]

    def merge(self, other: Report | Iterable[Issue]) -> Report:
        more = other.issues if isinstance(other, Report) else tuple(other)
        return Report(self.issues + tuple(more))

    @property
    def errors(self) -> tuple[Issue, ...]:
        return tuple(i for i in self.issues if i.is_error)

    @property
    def warnings(self) -> tuple[Issue, ...]:
        return tuple(i for i in self.issues if not i.is_error)

    @property
    def valid(self) -> bool:
        """True when there is no error (warnings alone keep a report valid)."""
        return not self.errors

    def for_department(self, code: str) -> Report:
        return Report(self._group("department").get(code, ()))

    def for_file(self, name: str) -> Report:
        return Report(self._group("file").get(name, ()))

    def codes(self) -> list[str]:
        return [i.code for i in self.issues]

    def rows(self) -> list[tuple[str, ...]]:
        """One tuple per issue in row_headers() order, sorted by department, file, sheet, cell."""
        return [i.row() for i in self.sorted()]

    def sorted(self) -> list[Issue]:
        return sorted(self.issues, key=_issue_order)

    def as_list(self) -> list[dict[str, Any]]:
        return [i.as_dict() for i in self.sorted()]

    def __len__(self) -> int:
        return len(self.issues)


def _cell_order(cell: str) -> tuple[int, str]:
    # "D12" sorts by row then column, so a sheet's issues read top to bottom.
    letters = cell.rstrip("0123456789")
    digits = cell[len(letters):]
    return (int(digits) if digits.isdigit() else 0, letters.rjust(3))


def _issue_order(issue: Issue) -> tuple[Any, ...]:
    # the message last: issues of one cell and code (checks that pandera reports in an order
    # that depends on how files were chunked) come out the same way on every machine
    return (issue.department, issue.file, issue.sheet, _cell_order(issue.cell), issue.code,
            issue.message)


def department_status(report: Report, received: bool) -> str:
    """The one-word status of a department from its issues."""
    if not received:
        return STATUS_MISSING
    if report.errors:
        return STATUS_ERRORS
    return STATUS_RECEIVED if report.issues else STATUS_OK


# --- console ------------------------------------------------------------------------------


@dataclass(frozen=True)
class DepartmentLine:
    """One department in the summary: status and what reached the master."""

    code: str
    name: str
    status: str
    files: tuple[str, ...]
    targets: int
    indicators: int
    activities: int
    total: float
    errors: int
    warnings: int

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "files": list(self.files)}


_STATUS_STYLE = {
    STATUS_OK: "green", STATUS_RECEIVED: "yellow", STATUS_ERRORS: "bold red",
    STATUS_MISSING: "red",
}


def render_console(
    report: Report,
    departments: Sequence[DepartmentLine],
    console: Any,
    *,
    footer: Mapping[str, str] | None = None,
) -> None:
    """Print the issues grouped by department, then the summary table (rich console)."""
    from rich.table import Table
    from rich.text import Text

    names = {d.code: d.name for d in departments}
    by_dept: dict[str, list[Issue]] = {}
    for issue in report.sorted():
        by_dept.setdefault(issue.department, []).append(issue)
    order = [d.code for d in departments if d.code in by_dept]
    order += [c for c in by_dept if c not in names]
    for code in order:
        issues = by_dept[code]
        title = names.get(code) or code or texts()["console"]["general"]
        console.print(Text(title, style="bold"))
        for i in issues:
            where = " / ".join(p for p in (i.file, i.sheet, i.cell) if p)
            style = "red" if i.is_error else "yellow"
            line = Text("  ")
            line.append(f"{SEVERITY_TR[i.severity]:<5}", style=style)
            line.append(f" {where}: " if where else " ")
            line.append(i.message)
            line.append(f"  [{i.code}]", style="dim")
            console.print(line)
        console.print()

    words = texts()["console"]
    table = Table(title=words["summary"], title_justify="left", show_lines=False)
    for n, header in enumerate(words["summary_headers"]):
        table.add_column(header, justify="left" if n < 2 else "right", no_wrap=n > 0)
    for d in departments:
        table.add_row(
            d.name, Text(d.status, style=_STATUS_STYLE.get(d.status, "")), str(d.targets),
            str(d.indicators), str(d.activities), tr_number(d.total), str(d.errors),
            str(d.warnings),
        )
    table.add_row(
        Text(words["total"], style="bold"), "", str(sum(d.targets for d in departments)),
        str(sum(d.indicators for d in departments)), str(sum(d.activities for d in departments)),
        Text(tr_number(sum(d.total for d in departments)), style="bold"),
        str(len(report.errors)), str(len(report.warnings)),
    )
    console.print(table)
    for label, text in (footer or {}).items():
        console.print(f"{label}: {text}")
