"""A full inbox where most departments sent a deliberately broken form, merged once.

Each department carries one defect (built by tests/broken.py from the generated forms); each
test asserts the record it must produce — code, file, sheet and cell exactly — and that the
clean rows and clean departments still reach the master.
"""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from broken import Kit, digests, make_kit
from hostile import ziptools as zt

from kbbxl import form
from kbbxl.checks import meta_cell
from kbbxl.ingest import read_form
from kbbxl.master import read_master
from kbbxl.merge import MergeResult, Outputs, merge_inbox, write_outputs
from kbbxl.model import CardData
from kbbxl.report import STATUS_ERRORS, STATUS_MISSING, STATUS_OK, STATUS_RECEIVED, tr_number
from kbbxl.text import tr_upper


@pytest.fixture(scope="module")
def kit(tmp_path_factory: pytest.TempPathFactory) -> Kit:
    return make_kit(tmp_path_factory.mktemp("kit"))


def _target_with(kit: Kit, dept: str, table: str, rows: int) -> str:
    """The department's first target whose card has at least `rows` rows in `table`."""
    fills = kit.fills(dept)
    return next(t.code for t in kit.program.targets_of(dept)
                if len(fills.get(t.code, {}).get(table, [])) >= rows)


class Scenario:
    """The broken inbox, what was done to it, and the merge's answer."""

    def __init__(self, kit: Kit, folder: Path):
        self.kit = kit
        k, work = kit, folder / "work"
        work.mkdir()
        files: dict[str, Path | None] = {}
        self.expect: dict[str, dict[str, object]] = {}

        # BASIN: "abc" in an amount cell (error) and an amount typed as Turkish text (warning)
        f = k.fills("BASIN")
        t = self.basin_target = _target_with(k, "BASIN", "activities", 2)
        f[t]["activities"][0]["ec03"] = "abc"
        self.basin_text_value = f[t]["activities"][1]["ec03"]
        f[t]["activities"][1]["ec03"] = tr_number(self.basin_text_value)
        files["BASIN"] = k.write("BASIN", work / "BASIN.xlsx", f)

        # CEVRE: a negative amount
        f = k.fills("CEVRE")
        t = self.cevre_target = _target_with(k, "CEVRE", "activities", 1)
        f[t]["activities"][0]["ec06"] = -5000
        files["CEVRE"] = k.write("CEVRE", work / "CEVRE.xlsx", f)

        # DESTEK: an indicator row with values but no name
        f = k.fills("DESTEK")
        t = self.destek_target = _target_with(k, "DESTEK", "indicators", 1)
        f[t]["indicators"][0]["name"] = None
        files["DESTEK"] = k.write("DESTEK", work / "DESTEK.xlsx", f)

        # EMLAK: its first card's header rewritten to a PH code of another department
        t = self.emlak_target = k.first_target("EMLAK")
        self.foreign = k.first_target("ULASIM")
        files["EMLAK"] = k.edit_cells(
            k.clean["EMLAK"], work / "EMLAK.xlsx", k.sheet(t),
            {k.header_cell(t, "target"): zt.inline(
                f"{self.foreign} {k.program.target(self.foreign).text}")},
        )

        # FEN: a form of another year (metadata edited inside the zip)
        files["FEN"] = k.edit_cells(k.clean["FEN"], work / "FEN.xlsx", form.META_SHEET,
                                    {meta_cell("year"): zt.inline("2020")})

        # IMAR: sent nothing
        files["IMAR"] = None

        # IK: a row total typed over its formula with a wrong number
        t = self.ik_target = _target_with(k, "IK", "activities", 1)
        files["IK"] = k.edit_cells(k.clean["IK"], work / "IK.xlsx", k.sheet(t),
                                   {k.act_cell(t, 0, "total"): zt.number(1)})

        # ITFAIYE: the same activity twice in one card
        f = k.fills("ITFAIYE")
        t = self.itfaiye_target = _target_with(k, "ITFAIYE", "activities", 2)
        self.duplicate_name = f[t]["activities"][0]["name"]
        f[t]["activities"][1]["name"] = tr_upper(self.duplicate_name)  # case is ignored
        files["ITFAIYE"] = k.write("ITFAIYE", work / "ITFAIYE.xlsx", f)

        # KAYNAK: a unit outside the vocabulary (a warning; the data is used)
        f = k.fills("KAYNAK")
        t = self.kaynak_target = _target_with(k, "KAYNAK", "indicators", 1)
        f[t]["indicators"][0]["unit"] = "Parsek"
        files["KAYNAK"] = k.write("KAYNAK", work / "KAYNAK.xlsx", f)

        # KENTTARIHI: a form of another format version
        files["KENTTARIHI"] = k.edit_cells(
            k.clean["KENTTARIHI"], work / "KENTTARIHI.xlsx", form.META_SHEET,
            {meta_cell("format_version"): zt.inline("0")})

        # KULTUR: a locked header cell edited (the structure no longer matches the metadata)
        t = k.first_target("KULTUR")
        files["KULTUR"] = k.edit_cells(k.clean["KULTUR"], work / "KULTUR.xlsx", k.sheet(t),
                                       {k.header_cell(t, "objective"): zt.inline("Değişti")})

        # MALI: one card left empty
        f = k.fills("MALI")
        t = self.mali_target = k.first_target("MALI")
        f.pop(t)
        files["MALI"] = k.write("MALI", work / "MALI.xlsx", f)

        # MUHTARLIK: an indicator value in a notation that reads two ways
        f = k.fills("MUHTARLIK")
        t = self.muhtarlik_target = _target_with(k, "MUHTARLIK", "indicators", 1)
        f[t]["indicators"][0]["past2"] = "12.45"
        files["MUHTARLIK"] = k.write("MUHTARLIK", work / "MUHTARLIK.xlsx", f)

        extra = [("~$2021_PARK.xlsx", b"lock"), ("notlar.txt", b"not"),
                 ("2021_GENCLIK (2).xlsx", k.clean["GENCLIK"].read_bytes())]
        self.inbox = k.inbox(folder, files, extra)
        self.before = digests(self.inbox)
        self.result: MergeResult = merge_inbox(self.inbox)
        self.outputs: Outputs = write_outputs(self.result)
        self.after = digests(self.inbox)
        _, self.master = read_master(self.outputs.master)

    def issues(self, code: str, dept: str | None = None) -> list[tuple[str, str, str]]:
        """(file, sheet, cell) of every record with this code (of one department)."""
        return [(i.file, i.sheet, i.cell) for i in self.result.report.issues
                if i.code == code and (dept is None or i.department == dept)]

    def master_part(self, dept: str) -> CardData:
        own = {t.code for t in self.kit.program.targets_of(dept)}
        return CardData(tuple(i for i in self.master.indicators if i.target in own),
                        tuple(a for a in self.master.activities if a.target in own))


@pytest.fixture(scope="module")
def sc(kit: Kit, tmp_path_factory: pytest.TempPathFactory) -> Scenario:
    return Scenario(kit, tmp_path_factory.mktemp("broken"))


def _ind_keys(data: CardData) -> list[tuple]:
    return sorted((i.target, i.name, i.unit, i.past2, i.past1, i.goal) for i in data.indicators)


def _act_keys(data: CardData) -> list[tuple]:
    return sorted(
        (a.target, a.name, tuple(sorted((c, v) for c, v in a.amounts.items() if v)),
         a.off_budget, a.total)
        for a in data.activities
    )


# --- each defect gives its record at its cell ---------------------------------------------------


def test_text_in_amount_cell(sc: Scenario) -> None:
    k, t = sc.kit, sc.basin_target
    assert sc.issues("not-a-number", "BASIN") == [
        (k.file("BASIN"), k.sheet(t), k.act_cell(t, 0, "ec03"))]
    issue = next(i for i in sc.result.report.issues if i.code == "not-a-number")
    assert issue.severity == "error" and issue.value == "abc"
    assert "'abc'" in issue.message


def test_number_typed_as_turkish_text_is_a_warning_and_used(sc: Scenario) -> None:
    k, t = sc.kit, sc.basin_target
    assert sc.issues("number-as-text", "BASIN") == [
        (k.file("BASIN"), k.sheet(t), k.act_cell(t, 1, "ec03"))]
    # the row reached the master with the number; the "abc" row did not
    sent = k.department_data("BASIN")
    bad = [a for a in sent.activities if a.target == t][0]
    got = sc.master_part("BASIN")
    assert bad.name not in {a.name for a in got.activities if a.target == t}
    second = [a for a in sent.activities if a.target == t][1]
    row = next(a for a in got.activities if a.target == t and a.name == second.name)
    assert row.amounts.get("03", 0.0) == sc.basin_text_value
    assert len(got.activities) == len(sent.activities) - 1
    assert _ind_keys(got) == _ind_keys(sent)


def test_negative_amount(sc: Scenario) -> None:
    k, t = sc.kit, sc.cevre_target
    assert sc.issues("negative-amount", "CEVRE") == [
        (k.file("CEVRE"), k.sheet(t), k.act_cell(t, 0, "ec06"))]
    assert len(sc.master_part("CEVRE").activities) == len(k.department_data("CEVRE").activities) - 1


def test_missing_indicator_name(sc: Scenario) -> None:
    k, t = sc.kit, sc.destek_target
    assert sc.issues("missing-indicator-name", "DESTEK") == [
        (k.file("DESTEK"), k.sheet(t), k.ind_cell(t, 0, "name"))]
    sent = k.department_data("DESTEK").indicators
    assert len(sc.master_part("DESTEK").indicators) == len(sent) - 1


def test_target_code_of_another_department(sc: Scenario) -> None:
    k, t = sc.kit, sc.emlak_target
    assert sc.issues("foreign-target", "EMLAK") == [
        (k.file("EMLAK"), k.sheet(t), k.header_cell(t, "target"))]
    issue = next(i for i in sc.result.report.issues if i.code == "foreign-target")
    assert issue.value == sc.foreign
    assert k.program.department("ULASIM").name in issue.message
    # the edited header also breaks the locked structure: nothing of the file is used
    assert sc.issues("structure-altered", "EMLAK") == [(k.file("EMLAK"), "", "")]
    assert sc.master_part("EMLAK") == CardData()
    # ULASIM's own card is not disturbed by EMLAK's claim
    assert _act_keys(sc.master_part("ULASIM")) == _act_keys(k.department_data("ULASIM"))


def test_file_of_another_year(sc: Scenario) -> None:
    assert sc.issues("wrong-year", "FEN") == [(sc.kit.file("FEN"), form.META_SHEET, "B2")]
    assert sc.master_part("FEN") == CardData()


def test_two_files_from_one_department(sc: Scenario) -> None:
    assert sorted(sc.issues("duplicate-department", "GENCLIK")) == [
        ("2021_GENCLIK (2).xlsx", "", ""), (sc.kit.file("GENCLIK"), "", "")]
    assert sc.master_part("GENCLIK") == CardData()


def test_missing_department(sc: Scenario) -> None:
    assert sc.issues("missing-department") == [("", "", "")]
    issue = next(i for i in sc.result.report.issues if i.code == "missing-department")
    assert issue.department == "IMAR" and issue.value == sc.kit.file("IMAR")
    assert sc.result.statuses()["IMAR"] == STATUS_MISSING


def test_row_total_typed_over_its_formula(sc: Scenario) -> None:
    k, t = sc.kit, sc.ik_target
    assert sc.issues("row-total-mismatch", "IK") == [
        (k.file("IK"), k.sheet(t), k.act_cell(t, 0, "total"))]


def test_duplicate_activity(sc: Scenario) -> None:
    k, t = sc.kit, sc.itfaiye_target
    assert sc.issues("duplicate-activity", "ITFAIYE") == [
        (k.file("ITFAIYE"), k.sheet(t), k.act_cell(t, 1, "name"))]
    issue = next(i for i in sc.result.report.issues if i.code == "duplicate-activity")
    assert k.act_cell(t, 0, "name") in issue.message  # points at the first one


def test_unknown_unit_is_a_warning_and_the_data_is_used(sc: Scenario) -> None:
    k, t = sc.kit, sc.kaynak_target
    assert sc.issues("unknown-unit", "KAYNAK") == [
        (k.file("KAYNAK"), k.sheet(t), k.ind_cell(t, 0, "unit"))]
    assert sc.result.statuses()["KAYNAK"] == STATUS_RECEIVED
    got = sc.master_part("KAYNAK")
    assert "Parsek" in {i.unit for i in got.indicators}
    assert len(got.indicators) == len(k.department_data("KAYNAK").indicators)


def test_wrong_format_version(sc: Scenario) -> None:
    assert sc.issues("wrong-version", "KENTTARIHI") == [
        (sc.kit.file("KENTTARIHI"), form.META_SHEET, "B1")]
    assert sc.master_part("KENTTARIHI") == CardData()


def test_locked_structure_altered(sc: Scenario) -> None:
    assert sc.issues("structure-altered", "KULTUR") == [(sc.kit.file("KULTUR"), "", "")]
    assert sc.master_part("KULTUR") == CardData()


def test_empty_card(sc: Scenario) -> None:
    k, t = sc.kit, sc.mali_target
    assert sc.issues("empty-card", "MALI") == [
        (k.file("MALI"), k.sheet(t), k.header_cell(t, "target"))]
    sent = k.department_data("MALI").for_target  # the other cards are merged
    others = [x.code for x in k.program.targets_of("MALI") if x.code != t]
    assert _act_keys(sc.master_part("MALI")) == _act_keys(CardData.concat(sent(c) for c in others))


def test_ambiguous_number_in_an_indicator(sc: Scenario) -> None:
    k, t = sc.kit, sc.muhtarlik_target
    assert sc.issues("not-a-number", "MUHTARLIK") == [
        (k.file("MUHTARLIK"), k.sheet(t), k.ind_cell(t, 0, "past2"))]
    issue = next(i for i in sc.result.report.issues
                 if i.code == "not-a-number" and i.department == "MUHTARLIK")
    assert "virgül" in issue.message  # tells the clerk how to write it


def test_lock_and_other_files_are_skipped_with_a_note(sc: Scenario) -> None:
    assert sc.issues("lock-file") == [("~$2021_PARK.xlsx", "", "")]
    assert sc.issues("not-xlsx") == [("notlar.txt", "", "")]
    assert all(i.severity == "warning" for i in sc.result.report.issues
               if i.code in ("lock-file", "not-xlsx"))


# --- what reaches the master --------------------------------------------------------------------


CLEAN = ("BILGIISLEM", "PARK", "SAGLIK", "ULASIM", "YAPIKONTROL", "YAZIISLERI", "ZABITA")


@pytest.mark.parametrize("dept", CLEAN)
def test_clean_departments_reach_the_master_unchanged(sc: Scenario, dept: str) -> None:
    assert sc.result.statuses()[dept] == STATUS_OK
    got, sent = sc.master_part(dept), sc.kit.department_data(dept)
    assert _ind_keys(got) == _ind_keys(sent)
    assert _act_keys(got) == _act_keys(sent)


def test_statuses(sc: Scenario) -> None:
    statuses = sc.result.statuses()
    for dept in ("BASIN", "CEVRE", "DESTEK", "EMLAK", "FEN", "GENCLIK", "IK", "ITFAIYE",
                 "KENTTARIHI", "KULTUR", "MALI", "MUHTARLIK"):
        assert statuses[dept] == STATUS_ERRORS, dept
    assert not sc.result.valid and sc.result.exit_code == 1


def test_inputs_are_byte_identical_after_the_merge(sc: Scenario) -> None:
    assert sc.before == sc.after
    assert len(sc.before) == 23  # 20 forms, the second GENCLIK file, the lock file, notlar.txt


def test_master_holds_exactly_the_clean_rows(sc: Scenario) -> None:
    assert _ind_keys(sc.master) == _ind_keys(sc.result.data)
    assert _act_keys(sc.master) == _act_keys(sc.result.data)


def test_control_sheet_reconciles_rows_read_and_written(sc: Scenario) -> None:
    wb = openpyxl.load_workbook(sc.outputs.master, read_only=True)
    rows = list(wb["Kontrol"].iter_rows(values_only=True))
    wb.close()
    header, body = rows[0], rows[1:]
    col = {h: n for n, h in enumerate(header)}
    by_file = {r[col["Dosya"]]: r for r in body}
    k = sc.kit
    basin = by_file[k.file("BASIN")]
    n_act = len(k.department_data("BASIN").activities)
    assert basin[col["Okunan Faaliyet"]] == n_act
    assert basin[col["Yazılan Faaliyet"]] == n_act - 1
    assert basin[col["Dışarıda Kalan Satır"]] == 1
    fen = by_file[k.file("FEN")]
    assert fen[col["Yazılan Faaliyet"]] == 0 and fen[col["Yazılan Gösterge"]] == 0
    assert fen[col["Okunan Faaliyet"]] == len(k.department_data("FEN").activities)
    imar = next(r for r in body if r[col["Birim Kodu"]] == "IMAR")
    assert imar[col["Durum"]] == STATUS_MISSING
    total = body[-1]
    assert total[col["Yazılan Faaliyet"]] == len(sc.result.data.activities)
    assert total[col["Yazılan Gösterge"]] == len(sc.result.data.indicators)
    for r in body:
        read = r[col["Okunan Gösterge"]] + r[col["Okunan Faaliyet"]]
        written = r[col["Yazılan Gösterge"]] + r[col["Yazılan Faaliyet"]]
        assert read - written == r[col["Dışarıda Kalan Satır"]]


def test_error_sheet_lists_every_issue(sc: Scenario) -> None:
    wb = openpyxl.load_workbook(sc.outputs.master, read_only=True)
    rows = list(wb["Hatalar"].iter_rows(values_only=True))
    wb.close()
    assert len(rows) - 1 == len(sc.result.report.issues)
    assert [tuple("" if v is None else str(v) for v in r) for r in rows[1:]] == [
        tuple(x) for x in sc.result.report.rows()]


# --- returned copies ----------------------------------------------------------------------------


def test_returned_copies_only_for_departments_with_problems(sc: Scenario) -> None:
    names = {p.name for p in sc.outputs.returned}
    k = sc.kit
    for dept in ("BASIN", "CEVRE", "DESTEK", "FEN", "IK", "KAYNAK", "MALI"):
        assert k.file(dept) in names, dept
    for dept in CLEAN:
        assert k.file(dept) not in names
    assert k.file("GENCLIK") not in names  # two files: the office decides, nothing to mail
    assert all(p.parent == sc.inbox.parent / "iade" for p in sc.outputs.returned)


def test_returned_copy_keeps_what_was_sent_and_marks_the_cell(sc: Scenario) -> None:
    k, t = sc.kit, sc.basin_target
    path = sc.inbox.parent / "iade" / k.file("BASIN")
    back = read_form(path)
    card = next(c for c in back.cards if c.target == t)
    cell = k.act_cell(t, 0, "ec03")
    assert card.activities[0].cells["ec03"].value == "abc"  # text stays text
    assert card.activities[0].cells["ec03"].ref == cell
    wb = openpyxl.load_workbook(path)
    ws = wb[k.sheet(t)]
    assert ws[cell].comment is not None and "abc" in ws[cell].comment.text
    assert ws[k.act_cell(t, 2, "ec03")].comment is None  # only faulty cells are marked
    wb.close()


def test_returned_copy_of_a_wrong_year_file_is_this_years_form(sc: Scenario) -> None:
    path = sc.inbox.parent / "iade" / sc.kit.file("FEN")
    back = read_form(path)
    assert back.meta is not None and back.meta["year"] == str(sc.kit.program.year)
    wb = openpyxl.load_workbook(path, read_only=True)
    texts = [str(v) for row in wb[form.INSTRUCTIONS_SHEET].iter_rows(values_only=True)
             for v in row if v]
    wb.close()
    assert any("2020" in t and "yılına ait" in t for t in texts)
