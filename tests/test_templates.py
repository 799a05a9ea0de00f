"""Department forms: structure, protection, validation, text safety, marks, prefill, CLI."""

from __future__ import annotations

import dataclasses
import sys
import types

import openpyxl
import pytest
from click.testing import CliRunner
from openpyxl.worksheet.cell_range import CellRange

from kbbxl import form, prefill, templates
from kbbxl.cli import cli
from kbbxl.errors import TemplateError
from kbbxl.ingest import read_form
from kbbxl.model import Activity, CardData, Indicator
from kbbxl.templates import CardFill, Mark, write_form, write_forms

DEPT = "ULASIM"


@pytest.fixture(scope="module")
def forms(tmp_path_factory, program, carddata):
    """The 21 prefilled forms of the example (written once for this module)."""
    out = tmp_path_factory.mktemp("forms")
    return write_forms(program, out, carddata)


def test_one_file_per_department_with_its_own_cards_only(forms, program):
    import python_calamine

    assert sorted(p.name for p in forms) == sorted(
        form.form_file_name(program, d.code) for d in program.departments
    )
    assert len(forms) == 21
    seen: list[str] = []
    for path in forms:
        dept = path.stem.split("_", 1)[1]
        wb = python_calamine.CalamineWorkbook.from_path(str(path))
        names = wb.sheet_names
        assert names[0] == form.INSTRUCTIONS_SHEET and names[-1] == form.META_SHEET
        expected = [form.sheet_name_for(t.code) for t in program.targets_of(dept)]
        assert names[1:-1] == expected
        seen.extend(names[1:-1])
    assert len(seen) == 99 == len(set(seen))


def test_sheet_names_are_legal():
    for code in ("KE/PH.1.10.1", "KU/PH.12.34.56", "TO/PH.999.999.999"):
        name = form.sheet_name_for(code)
        assert len(name) <= 31 and not set(name) & set("/\\?*[]:")
    assert form.sheet_name_for("KE/PH.1.10.1") == "KE-PH.1.10.1"


def test_card_headers_carry_the_real_years_and_official_names(program):
    assert list(form.indicator_headers(2021).values()) == [
        "Sıra", "Performans Göstergeleri", "Ölçü Birimi", "2019", "2020*", "2021 Yılı Hedefi",
    ]
    assert list(form.activity_headers(program).values()) == [
        "Sıra", "Faaliyet ve Projeler", "03 Mal ve Hizmet Alım Giderleri", "05 Cari Transferler",
        "06 Sermaye Giderleri", "Bütçe Dışı (TL)", "2021 Yılı Kaynak İhtiyacı (TL)",
    ]
    assert form.activity_columns(program) == (
        "seq", "name", "ec03", "ec05", "ec06", "off_budget", "total",
    )


def _in_validation(ws, ref: str, kind: str) -> bool:
    return any(
        dv.type == kind and any(ref in CellRange(str(r)) for r in dv.sqref.ranges)
        for dv in ws.data_validations.dataValidation
    )


def test_protection_and_validation_on_the_cells_the_reader_reads(forms, program):
    path = next(p for p in forms if p.stem.endswith(DEPT))
    raw = read_form(path)
    wb = openpyxl.load_workbook(path)
    assert wb[form.META_SHEET].sheet_state == "hidden"
    assert wb[form.INSTRUCTIONS_SHEET].protection.sheet
    for card in raw.cards:
        ws = wb[card.sheet]
        assert ws.protection.sheet and ws.protection.insertRows is False  # False = allowed
        for cell in card.header.values():
            assert ws[cell.ref].protection.locked, cell.ref
            assert ws[cell.ref].value == cell.value
        for row in card.indicators:
            for key in form.INDICATOR_COLUMNS:
                assert not ws[row.ref(key)].protection.locked, row.ref(key)
            assert _in_validation(ws, row.ref("unit"), "list")
            for key in form.INDICATOR_VALUES:
                assert _in_validation(ws, row.ref(key), "custom")
        for row in card.activities:
            for key in form.activity_inputs(program):
                assert not ws[row.ref(key)].protection.locked, row.ref(key)
            for key in form.amount_columns(program):
                assert _in_validation(ws, row.ref(key), "decimal")
            assert ws[row.ref("total")].protection.locked
            assert str(ws[row.ref("total")].value).startswith("=SUM(")
        assert card.totals is not None
        assert all(ws[c.ref].protection.locked for c in card.totals.cells.values())
        # the spare rows are inputs too, up to the last row of each table
        lay = form.card_layout(program, len(card.indicators), len(card.activities))
        last_ind = f"C{lay.indicator_first + lay.indicator_rows}"
        last_act = f"C{lay.activity_first + lay.activity_rows}"
        assert not ws[last_ind].protection.locked and _in_validation(ws, last_ind, "list")
        assert not ws[last_act].protection.locked and _in_validation(ws, last_act, "decimal")
        assert ws[f"C{lay.total_row + 1}"].protection.locked  # Genel Toplam, right below
        unit_dv = next(dv for dv in ws.data_validations.dataValidation if dv.type == "list")
        assert unit_dv.errorStyle == "warning" and "Adet/Yıl" in unit_dv.formula1


def test_spare_rows_grow_with_the_card():
    assert form.table_rows(0) == 20 and form.table_rows(16) == 26


def test_instructions_list_every_target_as_a_link_and_the_contact(forms, program):
    path = next(p for p in forms if p.stem.endswith(DEPT))
    ws = openpyxl.load_workbook(path)[form.INSTRUCTIONS_SHEET]
    links = {c.value: c.hyperlink.location for row in ws.iter_rows() for c in row if c.hyperlink}
    assert links == {
        t.code: f"'{form.sheet_name_for(t.code)}'!A1" for t in program.targets_of(DEPT)
    }
    texts = [c.value for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    assert program.phone in texts and program.email in texts
    assert any("15.10.2020" in t for t in texts)


HOSTILE = ["=HYPERLINK(\"http://x\",\"y\")", "+90 262 318 17 00", "@x", "-1+2", "=1+1"]


def test_formula_looking_text_stays_text(tmp_path, program):
    hostile = dataclasses.replace(program, phone=HOSTILE[1], email=HOSTILE[0], contact=HOSTILE[2])
    target = program.targets_of(DEPT)[0].code
    fill = CardFill(
        indicators=[{"name": t, "unit": t, "past2": t, "past1": None, "goal": 1} for t in HOSTILE],
        activities=[{"name": t, "ec03": t, "ec05": 1.5} for t in HOSTILE],
    )
    path = write_form(hostile, DEPT, tmp_path / "f.xlsx", {target: fill},
                      [Mark(target, "activities", 0, "ec03", HOSTILE[0])], note=HOSTILE[3])
    wb = openpyxl.load_workbook(path)
    cells = [c for ws in wb.worksheets for row in ws.iter_rows() for c in row]
    hits = [c for c in cells if c.value in HOSTILE]
    # contact x3, note, mark message; indicator name/unit/past2 and activity name/ec03 per text
    assert len(hits) >= 3 + 1 + 1 + 5 * len(HOSTILE)
    assert all(c.data_type == "s" for c in hits)
    formulas = [c.value for c in cells if c.data_type == "f"]
    assert formulas and all(f.startswith("=SUM(") for f in formulas)


def test_raw_values_written_as_they_are_and_totals_ignore_text(tmp_path, program):
    target = program.targets_of(DEPT)[0].code
    fill = CardFill(activities=[
        {"name": "A", "ec03": "abc", "ec05": 5, "ec06": 2.5, "off_budget": 1},
        {"name": "B", "ec03": 10, "ec05": None, "ec06": "1.500", "off_budget": None},
    ])
    path = write_form(program, DEPT, tmp_path / "f.xlsx", {target: fill})
    card = next(c for c in read_form(path).cards if c.target == target)
    a, b = card.activities
    assert (a.value("ec03"), a.value("ec05"), a.value("total")) == ("abc", 5, 8.5)
    assert (b.value("ec06"), b.value("total")) == ("1.500", 10)
    assert card.totals.value("total") == 18.5 and card.totals.value("ec03") == 10


def test_marks_highlight_and_comment_cells_and_note_goes_on_instructions(tmp_path, program):
    target = program.targets_of(DEPT)[1].code
    fill = CardFill(indicators=[{"name": "G", "unit": "Adet", "past2": 1, "past1": 2,
                                 "goal": "x"}])
    marks = [
        Mark(target, "indicators", 0, "goal", "Sayı bekleniyor"),
        Mark(target, "header", 0, "target", "Başlık değişmiş"),
        Mark(target, "activities", 3, "ec05", "Negatif tutar"),
    ]
    path = write_form(program, DEPT, tmp_path / "iade.xlsx", {target: fill}, marks,
                      note="Lütfen işaretli hücreleri düzeltin.")
    wb = openpyxl.load_workbook(path)
    ws = wb[form.sheet_name_for(target)]
    lay = form.card_layout(program, 1, 0)
    refs = {
        "goal": f"F{lay.indicator_first + 1}",
        "target": f"C{lay.header_row('target') + 1}",
        "ec05": f"D{lay.activity_first + 3 + 1}",
    }
    colour = form.L()["colors"]["mark"].lstrip("#").upper()
    for m, ref in zip(marks, refs.values(), strict=True):
        assert ws[ref].comment is not None and m.message in ws[ref].comment.text
        assert ws[ref].fill.fgColor.rgb.endswith(colour)
    unmarked = ws[f"E{lay.indicator_first + 1}"]
    assert unmarked.comment is None and not unmarked.fill.fgColor.rgb.endswith(colour)
    intro = wb[form.INSTRUCTIONS_SHEET]
    texts = [c.value for row in intro.iter_rows() for c in row]
    assert "Lütfen işaretli hücreleri düzeltin." in texts
    links = [c.hyperlink.location for row in intro.iter_rows() for c in row if c.hyperlink]
    for ref in refs.values():
        assert f"'{form.sheet_name_for(target)}'!{ref}" in links


def test_writer_refuses_data_it_would_lose(tmp_path, program):
    other = next(t for t in program.targets if t.department != DEPT).code
    with pytest.raises(TemplateError, match="ait olmayan"):
        write_form(program, DEPT, tmp_path / "x.xlsx", {other: CardFill()})
    own = program.targets_of(DEPT)[0].code
    with pytest.raises(TemplateError, match="sütunu olmayan"):
        write_form(program, DEPT, tmp_path / "x.xlsx",
                   {own: CardFill(activities=[{"name": "A", "ec01": 5}])})
    with pytest.raises(TemplateError, match="birim değil"):
        write_form(program, "YOK", tmp_path / "x.xlsx")
    assert not (tmp_path / "x.xlsx").exists()
    assert list(tmp_path.iterdir()) == []  # no temporary file left behind


def test_same_input_same_bytes(tmp_path, program, carddata):
    fills = templates.fills_from_carddata(carddata.for_target(program.targets_of(DEPT)[0].code))
    a = write_form(program, DEPT, tmp_path / "a.xlsx", fills)
    b = write_form(program, DEPT, tmp_path / "b.xlsx", fills)
    assert a.read_bytes() == b.read_bytes()


def test_fingerprint_follows_the_plan(program):
    fp = form.fingerprint(program, DEPT)
    assert fp == form.fingerprint(program, DEPT)
    t = program.targets_of(DEPT)[0]
    changed = dataclasses.replace(program, targets=tuple(
        dataclasses.replace(x, text=x.text + " (değişti)") if x == t else x
        for x in program.targets))
    assert form.fingerprint(changed, DEPT) != fp
    assert form.fingerprint(dataclasses.replace(program, year=2022), DEPT) != fp
    assert form.fingerprint(dataclasses.replace(program, off_budget=False), DEPT) != fp


# --- prefill and roll-over ------------------------------------------------------------------


def test_roll_over_shifts_values_one_year_back():
    data = CardData(
        (Indicator("KE/PH.1.1.1", 1, "Kavşak", "Adet", 55.0, 60.0, 30.0),
         Indicator("KE/PH.1.1.1", 2, "Yaya", "Adet", None, 1.0, "-")),
        (Activity("KE/PH.1.1.1", 1, "Kavşak yapımı", {"03": 90000.0, "05": 0.0}),),
    )
    fill = prefill.rolled_over(data)["KE/PH.1.1.1"]
    assert list(fill.indicators) == [
        {"name": "Kavşak", "unit": "Adet", "past2": 60.0, "past1": 30.0, "goal": None},
        {"name": "Yaya", "unit": "Adet", "past2": 1.0, "past1": "-", "goal": None},
    ]
    assert list(fill.activities) == [{"name": "Kavşak yapımı"}]


def test_prefill_from_a_master_rolls_over_and_drops_retired_targets(
    tmp_path, monkeypatch, program, carddata
):
    last_year = dataclasses.replace(program, year=2020)
    retired = Indicator("KE/PH.9.9.9", 1, "Eski", "Adet", 1.0, 2.0, 3.0)
    master_data = CardData(carddata.indicators + (retired,), carddata.activities)
    fake = types.ModuleType("kbbxl.master")
    fake.read_master = lambda path: (last_year, master_data)  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "kbbxl.master", fake)
    loaded = prefill.load_prefill(program, tmp_path / "master.xlsx")
    assert loaded.dropped == ("KE/PH.9.9.9",)
    first = carddata.indicators[0]
    got = loaded.fills[first.target].indicators[0]
    assert (got["past2"], got["past1"], got["goal"]) == (first.past1, first.goal, None)

    fake.read_master = lambda path: (dataclasses.replace(program, year=2018), carddata)
    with pytest.raises(TemplateError, match="2018"):
        prefill.load_prefill(program, tmp_path / "master.xlsx")


def test_cli_writes_blank_and_prefilled_forms_and_never_overwrites(tmp_path, example_dir):
    runner = CliRunner()
    plan = str(example_dir / "plan.xlsx")
    out = tmp_path / "outbox"
    result = runner.invoke(cli, ["templates", plan, "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert result.output == f"21 form yazıldı: {out} (99 performans hedefi kartı)\n"
    blank = read_form(out / "2021_ULASIM.xlsx")
    assert blank.findings == [] and all(not c.indicators and not c.activities for c in blank.cards)

    before = (out / "2021_ULASIM.xlsx").read_bytes()
    result = runner.invoke(cli, ["templates", plan, "--prefill", str(example_dir), "-o", str(out)])
    assert result.exit_code == 2  # a usage error, like `kbbxl init` over an existing plan
    assert "zaten var" in result.output and "--force" in result.output
    assert (out / "2021_ULASIM.xlsx").read_bytes() == before

    result = runner.invoke(
        cli, ["templates", plan, "--prefill", str(example_dir), "-o", str(out), "--force"]
    )
    assert result.exit_code == 0, result.output
    assert result.output.endswith("(99 performans hedefi kartı, 99 kart dolduruldu)\n")
    assert sum(len(c.activities) for c in read_form(out / "2021_ULASIM.xlsx").cards) > 0


def test_roll_over_from_a_real_master_workbook(tmp_path, program, carddata):
    """Last year's master (kbbxl.master) → next year's forms with the values shifted."""
    from kbbxl.master import write_master
    from kbbxl.plan import carry_forward, write_plan

    master = write_master(tmp_path / "master.xlsx", program, carddata)
    plan_2022 = write_plan(carry_forward(program, 2022), tmp_path / "plan.xlsx")
    result = prefill.generate(plan_2022, tmp_path / "out", master)
    assert (len(result.paths), result.prefilled, result.dropped) == (21, 99, ())
    raw = read_form(tmp_path / "out" / "2022_ULASIM.xlsx")
    assert raw.meta["year"] == "2022" and raw.findings == []
    card = raw.cards[0]
    assert [c.value for c in card.header.values()][0] == program.department(DEPT).name
    want = [i for i in carddata.indicators if i.target == card.target]
    assert [(r.value("name"), r.value("unit"), r.value("past2"), r.value("past1"), r.value("goal"))
            for r in card.indicators] == [(i.name, i.unit, i.past1, i.goal, None) for i in want]
    names = [a.name for a in carddata.activities if a.target == card.target]
    assert [r.value("name") for r in card.activities] == names
    assert all(r.value(k) is None for r in card.activities for k in ("ec03", "ec05", "ec06"))
