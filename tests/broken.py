"""Test helper: deliberately broken department submissions, built by script from generated forms.

Everything starts from the Kocaeli 2021 example: the plan is written to plan.xlsx, and each
department's form is written by the one form writer (kbbxl.templates.write_form) prefilled
with the example's data. A broken submission is then made the way a clerk would make it:
- wrong values in input cells: write_form with edited fills ("abc" in an amount cell stays
  text, exactly as a clerk's typing would);
- edits the form does not allow (metadata, locked header cells, a total typed over its
  formula): a copy whose sheet XML is edited inside the zip (no re-save by any library);
- rows inserted into a table, or a re-save: headless LibreOffice (tests/lo_edit.py,
  kbbxl.libreoffice).
Every expected cell address is computed from the writer's layout (kbbxl.form.card_layout),
independently of the reader.
"""

from __future__ import annotations

import hashlib
import shutil
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from xlsxwriter.utility import xl_rowcol_to_cell

from kbbxl import form, plan, templates, textdata
from kbbxl.model import CardData, Program

HERE = Path(__file__).resolve().parent
EXAMPLE = HERE.parent / "examples" / "kocaeli-2021"
if str(HERE / "hostile") not in sys.path:
    sys.path.insert(0, str(HERE / "hostile"))

import ziptools as zt  # noqa: E402  (zip/XML cell edits, shared with the hostile corpus)

Fills = dict[str, templates.CardFill]


@dataclass
class Kit:
    """The example plan and clean prefilled forms, and tools to break copies of them."""

    program: Program
    data: CardData
    root: Path
    plan: Path
    clean: dict[str, Path]  # department code → clean prefilled form

    # --- data ------------------------------------------------------------------------------

    def fills(self, dept: str) -> dict[str, dict[str, list[dict[str, Any]]]]:
        """The department's fills as plain editable lists of dicts, per PH code."""
        own = {t.code for t in self.program.targets_of(dept)}
        return {
            code: {"indicators": [dict(r) for r in f.indicators],
                   "activities": [dict(r) for r in f.activities]}
            for code, f in templates.fills_from_carddata(self.data).items() if code in own
        }

    def department_data(self, dept: str) -> CardData:
        own = {t.code for t in self.program.targets_of(dept)}
        return CardData(tuple(i for i in self.data.indicators if i.target in own),
                        tuple(a for a in self.data.activities if a.target in own))

    def first_target(self, dept: str) -> str:
        return self.program.targets_of(dept)[0].code

    # --- where things are -----------------------------------------------------------------------

    def layout(self, target: str, fills: Mapping[str, Any] | None = None) -> form.CardLayout:
        """Where the writer put the card of `target` (filled from `fills` or the example)."""
        dept = self.program.target(target).department
        card = (fills or self.fills(dept)).get(target, {"indicators": [], "activities": []})
        return form.card_layout(self.program, len(card["indicators"]), len(card["activities"]))

    def ind_cell(self, target: str, index: int, key: str, fills: Any = None) -> str:
        lay = self.layout(target, fills)
        return xl_rowcol_to_cell(lay.indicator_first + index, lay.indicator_col(key))

    def act_cell(self, target: str, index: int, key: str, fills: Any = None) -> str:
        lay = self.layout(target, fills)
        return xl_rowcol_to_cell(lay.activity_first + index, lay.activity_col(key))

    def header_cell(self, target: str, key: str) -> str:
        lay = self.layout(target)
        return xl_rowcol_to_cell(lay.header_row(key), form.HEADER_COL_VALUE)

    @staticmethod
    def sheet(target: str) -> str:
        return form.sheet_name_for(target)

    def file(self, dept: str) -> str:
        return form.form_file_name(self.program, dept)

    # --- making files -----------------------------------------------------------------------

    def write(self, dept: str, path: Path, fills: Mapping[str, Any]) -> Path:
        """The department's form written with these fills (what a clerk typed)."""
        cards = {
            code: templates.CardFill(tuple(c["indicators"]), tuple(c["activities"]))
            for code, c in fills.items()
        }
        return templates.write_form(self.program, dept, path, cards)

    def edit_cells(self, src: Path, dst: Path, sheet: str,
                   cells: Mapping[str, tuple[str, str | None]]) -> Path:
        """A copy of `src` with cells of `sheet` replaced in the sheet XML (zt.inline, ...)."""
        part = zt.sheet_part(src, sheet)

        def edit(xml: bytes) -> bytes:
            for ref, cell in cells.items():
                xml = zt.put(xml, ref, cell)
            return xml

        zt.rewrite(src, dst, {part: edit})
        return dst

    def inbox(self, folder: Path, files: Mapping[str, Path | None] | None = None,
              extra: Iterable[tuple[str, bytes]] = ()) -> Path:
        """folder/inbox with every clean form, except: files[dept] replaces the department's
        form (None: the department sent nothing); extra: (name, bytes) more files. The plan is
        copied beside the inbox."""
        files = dict(files or {})
        inbox = folder / "inbox"
        inbox.mkdir(parents=True)
        shutil.copy2(self.plan, folder / "plan.xlsx")
        for dept, clean in self.clean.items():
            src = files.get(dept, clean)
            if src is not None:
                shutil.copy2(src, inbox / self.file(dept))
        for name, data in extra:
            (inbox / name).write_bytes(data)
        return inbox


def make_kit(root: Path, departments: Iterable[str] | None = None) -> Kit:
    """Write the plan and every department's clean prefilled form under `root`.

    `departments` keeps only those departments (and their targets and data) in the plan: a
    small program whose merges run fast.
    """
    program = textdata.read_text_plan(EXAMPLE)
    data = textdata.read_text_cards(EXAMPLE)
    if departments is not None:
        keep = set(departments)
        program = replace(
            program, departments=tuple(d for d in program.departments if d.code in keep),
            targets=tuple(t for t in program.targets if t.department in keep),
        )
        own = {t.code for t in program.targets}
        data = CardData(tuple(i for i in data.indicators if i.target in own),
                        tuple(a for a in data.activities if a.target in own))
    root.mkdir(parents=True, exist_ok=True)
    plan_path = plan.write_plan(program, root / "plan.xlsx")
    paths = templates.write_forms(program, root / "clean", data)
    clean = {d.code: p for d, p in zip(program.departments, paths, strict=True)}
    return Kit(program, data, root, plan_path, clean)


def digests(folder: Path) -> dict[str, str]:
    """sha256 of every file in a folder (to show a merge leaves its inputs untouched)."""
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.iterdir()) if p.is_file()}


def source_department_table(example: Path = EXAMPLE) -> dict[str, tuple[int, int, int, float]]:
    """The source document's "Dairelere Göre" table: department name → (targets, activities,
    indicators, resource need in TL), read from the committed text of the document."""
    text = (example / "source" / "2021-performans-programi.txt").read_text(encoding="utf-8")
    start = text.index("### Dairelere Göre Faaliyet Sayısı")
    rows: dict[str, tuple[int, int, int, float]] = {}
    for line in text[start:].splitlines()[2:]:
        parts = line.split("\t")
        if len(parts) != 5 or not parts[1].isdigit() or "Genel Toplam" in parts[0]:
            if rows:
                break
            continue
        name, targets, activities, indicators, amount = parts
        rows[name.strip()] = (int(targets), int(activities), int(indicators),
                              float(amount.replace(".", "")))
    return rows
