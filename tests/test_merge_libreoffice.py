"""Submissions edited in the real client: rows inserted into both tables, files re-saved by
LibreOffice. One inbox, one merge; the LibreOffice edits are batched into few starts."""

from __future__ import annotations

import pytest
from broken import Kit, make_kit
from lo_edit import insert_rows
from xlsxwriter.utility import xl_rowcol_to_cell

from kbbxl.libreoffice import convert_many
from kbbxl.master import read_master
from kbbxl.merge import merge_inbox, write_outputs
from kbbxl.model import CardData

pytestmark = pytest.mark.libreoffice

DEPTS = ("KENTTARIHI", "MALI", "ZABITA")


class Edited:
    def __init__(self, kit: Kit, folder):  # type: ignore[no-untyped-def]
        self.kit = k = kit
        work = folder / "work"
        work.mkdir()

        # MALI: one row inserted into the indicators table and two into the activities table
        # of the first card, new rows typed in, and "abc" typed into a row below the insertions
        t = self.mali_target = k.first_target("MALI")
        lay = k.layout(t)
        ind_at, act_at = lay.indicator_first + 1, lay.activity_first + 1
        shift = 1 + 2  # rows above the original activity 1 after both insertions
        c = lay.activity_col
        self.new_activity = ("Yeni Eklenen Faaliyet", 12_345.0)
        self.new_indicator = ("Yeni Eklenen Gösterge", "Adet", 7.0)
        new_act_row = act_at + 1  # the first inserted activity row (after the indicator shift)
        self.abc_cell = xl_rowcol_to_cell(lay.activity_first + 1 + shift, c("ec03"))
        typed = {
            xl_rowcol_to_cell(ind_at, lay.indicator_col("name")): self.new_indicator[0],
            xl_rowcol_to_cell(ind_at, lay.indicator_col("unit")): self.new_indicator[1],
            xl_rowcol_to_cell(ind_at, lay.indicator_col("goal")): self.new_indicator[2],
            xl_rowcol_to_cell(new_act_row, c("name")): self.new_activity[0],
            xl_rowcol_to_cell(new_act_row, c("ec06")): self.new_activity[1],
            self.abc_cell: "abc",
        }
        self.abc_row_name = k.fills("MALI")[t]["activities"][1]["name"]
        mali = insert_rows(k.clean["MALI"], work / k.file("MALI"), k.sheet(t),
                           [(act_at, 2), (ind_at, 1)], typed)

        # KENTTARIHI: "abc" in an amount cell, then re-saved by LibreOffice
        f = k.fills("KENTTARIHI")
        t2 = self.kt_target = k.first_target("KENTTARIHI")
        f[t2]["activities"][0]["ec03"] = "abc"
        self.kt_cell = k.act_cell(t2, 0, "ec03")
        broken = k.write("KENTTARIHI", work / "src" / k.file("KENTTARIHI"), f)
        # ZABITA: a clean form re-saved by LibreOffice
        resaved = convert_many([broken, k.clean["ZABITA"]], "xlsx", work / "lo")
        self.inbox = k.inbox(folder, {"MALI": mali, "KENTTARIHI": resaved[0],
                                      "ZABITA": resaved[1]})
        self.result = merge_inbox(self.inbox)
        self.outputs = write_outputs(self.result)
        _, self.master = read_master(self.outputs.master)

    def part(self, dept: str) -> CardData:
        own = {t.code for t in self.kit.program.targets_of(dept)}
        return CardData(tuple(i for i in self.master.indicators if i.target in own),
                        tuple(a for a in self.master.activities if a.target in own))

    def errors(self, dept: str) -> list[tuple[str, str, str]]:
        return [(i.code, i.sheet, i.cell) for i in self.result.report.errors
                if i.department == dept]


@pytest.fixture(scope="module")
def edited(libreoffice: str, tmp_path_factory: pytest.TempPathFactory) -> Edited:
    kit = make_kit(tmp_path_factory.mktemp("lo-kit"), DEPTS)
    return Edited(kit, tmp_path_factory.mktemp("lo"))


def _acts(d: CardData) -> list[tuple]:
    return sorted((a.target, a.name, a.total) for a in d.activities)


def _inds(d: CardData) -> list[tuple]:
    return sorted((i.target, i.name, i.unit, i.past2, i.past1, i.goal) for i in d.indicators)


def test_rows_inserted_into_both_tables_are_read_at_their_new_cells(edited: Edited) -> None:
    k, t = edited.kit, edited.mali_target
    assert edited.errors("MALI") == [("not-a-number", k.sheet(t), edited.abc_cell)]
    got = edited.part("MALI")
    sent = k.department_data("MALI")
    name, amount = edited.new_activity
    assert (t, name, amount) in _acts(got)
    assert edited.abc_row_name not in {a.name for a in got.activities if a.target == t}
    assert len(got.activities) == len(sent.activities) + 1 - 1
    ind = next(i for i in got.indicators if i.name == edited.new_indicator[0])
    assert (ind.target, ind.unit, ind.goal) == (t, "Adet", 7.0)
    assert len(got.indicators) == len(sent.indicators) + 1


def test_a_file_resaved_by_libreoffice_merges_clean(edited: Edited) -> None:
    k = edited.kit
    assert [i for i in edited.result.report.issues if i.department == "ZABITA"] == []
    assert edited.result.statuses()["ZABITA"] == "tamam"
    got, sent = edited.part("ZABITA"), k.department_data("ZABITA")
    assert _acts(got) == _acts(sent)
    assert _inds(got) == _inds(sent)


def test_an_error_survives_a_libreoffice_resave_at_the_same_cell(edited: Edited) -> None:
    k, t = edited.kit, edited.kt_target
    assert edited.errors("KENTTARIHI") == [("not-a-number", k.sheet(t), edited.kt_cell)]
    sent = k.department_data("KENTTARIHI")
    assert len(edited.part("KENTTARIHI").activities) == len(sent.activities) - 1
