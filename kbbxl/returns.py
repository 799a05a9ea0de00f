"""Returned copies (iade/): a department's form rewritten with what it sent, faulty cells marked.

The copy is made by the one form writer (kbbxl.templates.write_form) from the raw values the
department sent — text stays text, so "abc" in an amount cell comes back as "abc", marked —
with one Mark per issue that points at a cell, and a note listing the problems of the file
as a whole.
"""

from __future__ import annotations

from pathlib import Path

from kbbxl import form as F
from kbbxl.checks import FormCheck, SentCard
from kbbxl.model import Program
from kbbxl.report import Issue, texts
from kbbxl.templates import CardFill, Mark, write_form


def _fill(program: Program, card: SentCard) -> CardFill:
    ind_keys = F.INDICATOR_INPUTS
    act_keys = F.activity_inputs(program)
    return CardFill(
        indicators=tuple({k: row.get(k) for k in ind_keys} for row in card.indicators),
        activities=tuple({k: row.get(k) for k in act_keys} for row in card.activities),
    )


def _mark(issue: Issue, inputs: dict[str, tuple[str, ...]]) -> Mark | None:
    loc = issue.locator
    if loc is None or not loc.target:
        return None
    if loc.table in inputs and loc.index is not None:
        key = loc.key if loc.key in inputs[loc.table] else "name"
        return Mark(loc.target, loc.table, loc.index, key, issue.message)
    # a card as a whole (missing, empty) or its Genel Toplam row: the card's header
    return Mark(loc.target, "header", 0, "target", issue.message)


def returned_copy(program: Program, check: FormCheck, path: str | Path) -> Path:
    """Write the returned copy of one checked form to `path` (atomically)."""
    dept = check.department
    own = {t.code for t in program.targets_of(dept)}
    fills = {c.target: _fill(program, c) for c in check.sent if c.target in own}
    inputs = {"indicators": F.INDICATOR_INPUTS, "activities": F.activity_inputs(program)}
    marks: list[Mark] = []
    general: list[str] = []
    for issue in check.issues:
        mark = _mark(issue, inputs)
        if mark is not None and mark.target in own:
            marks.append(mark)
        else:
            where = " / ".join(p for p in (issue.sheet, issue.cell) if p)
            general.append(f"• {where}: {issue.message}" if where else f"• {issue.message}")
    words = texts()["returned"]
    note = words["note"].format(file=check.file)
    if general:
        note += "\n" + words["form_problems"] + "\n" + "\n".join(general)
    return write_form(program, dept, path, fills, marks, note)
