"""What the reader finds in a returned form, before any validation: raw cells with addresses.

This is the contract between `ingest` (which locates the tables by their anchors, using the
layout in `form`) and `checks` (which converts and validates). Nothing here is interpreted:
values are exactly what the workbook holds, each with its cell address, so that every
problem found later can name file, sheet and cell.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Cell:
    """One cell as read: its value (a formula's cached value), address and oddities."""

    value: Any  # str | float | int | bool | datetime | None
    ref: str  # "D12"
    formula: str | None = None  # formula text, when the cell held a formula
    error: str | None = None  # an error value such as "#REF!"


_new = object.__new__


def new_cell(value: Any, ref: str, formula: str | None = None, error: str | None = None) -> Cell:
    """Cell(value, ref, formula, error), for the reader's loop over every cell of a form: the
    frozen dataclass's __init__ sets each field through object.__setattr__, three times the
    cost of filling the new instance's dict. The result is the same frozen Cell."""
    cell = _new(Cell)
    fields = cell.__dict__
    fields["value"] = value
    fields["ref"] = ref
    fields["formula"] = formula
    fields["error"] = error
    return cell


@dataclass(frozen=True)
class RawRow:
    """One table row: 1-based worksheet row and its cells by column key.

    Indicator rows use the keys of form.INDICATOR_COLUMNS (seq, name, unit, past2, past1,
    goal); activity rows those of form.activity_columns() (seq, name, ec03 ..., off_budget,
    total).
    """

    row: int
    cells: dict[str, Cell]

    def value(self, key: str) -> Any:
        cell = self.cells.get(key)
        return None if cell is None else cell.value

    def ref(self, key: str) -> str:
        cell = self.cells.get(key)
        return "" if cell is None else cell.ref


@dataclass(frozen=True)
class Finding:
    """A structural problem the reader met (missing anchor, unknown sheet ...)."""

    code: str  # stable issue code, see schemas/issues.toml
    sheet: str
    cell: str
    message: str  # Turkish, for the clerk
    value: Any = None


@dataclass
class RawCard:
    """One performance-target sheet of a form."""

    sheet: str
    target: str  # PH code from the sheet's header block (canonical when parsable)
    header: dict[str, Cell] = field(default_factory=dict)  # department, goal, objective, target
    indicators: list[RawRow] = field(default_factory=list)
    activities: list[RawRow] = field(default_factory=list)
    economic_codes: tuple[str, ...] = ()  # the amount columns found, in order
    totals: RawRow | None = None  # the Genel Toplam row as found


@dataclass
class RawForm:
    """A whole returned workbook as read."""

    path: Path
    meta: dict[str, str] | None  # the hidden metadata sheet; None when missing
    cards: list[RawCard] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    #: fingerprint recomputed from the locked parts as read (compare with meta["fingerprint"])
    fingerprint: str = ""

    @property
    def file(self) -> str:
        return self.path.name
