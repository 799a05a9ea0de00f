"""The plan workbook: the example reads into the right model; malformed plans name the cell."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import openpyxl
import pytest

from kbbxl.errors import PlanError
from kbbxl.model import PerformanceTarget
from kbbxl.plan import blank_program, carry_forward, read_plan, write_plan
from kbbxl.textdata import read_text_plan


@pytest.fixture(scope="module")
def example_plan(example_dir):
    return read_plan(example_dir / "plan.xlsx")


def test_example_plan_counts_and_budget(example_plan):
    p = example_plan
    assert p.institution == "KOCAELİ BÜYÜKŞEHİR BELEDİYESİ"
    assert p.year == 2021
    assert (len(p.departments), len(p.axes), len(p.service_areas)) == (21, 3, 11)
    assert (len(p.goals), len(p.objectives), len(p.targets)) == (17, 82, 99)
    assert p.general_administration_total == 1_163_979_900
    assert p.transfers_total == 11_000
    assert p.budget == 3_400_000_000
    assert p.form_economic_codes == ("03", "05", "06")
    assert p.off_budget is True
    assert p.general_administration["01"] == 339_844_036
    assert p.transfers == {**{c: 0.0 for c in p.transfers if c != "08"}, "08": 11_000}


def test_example_plan_matches_its_text_form(example_plan, example_dir):
    assert example_plan == read_text_plan(example_dir)


def test_every_target_has_a_known_owner_and_objective(example_plan):
    p = example_plan
    for t in p.targets:
        assert p.has_department(t.department)
        assert p.objective_of(t).code == t.objective_code
        assert p.service_area_of(t).axis == t.code[:2]


def test_blank_plan_round_trip(tmp_path):
    path = write_plan(blank_program(2022), tmp_path / "p.xlsx")
    program = read_plan(path)
    assert program.year == 2022
    assert program.targets == ()


def test_carry_forward_keeps_hierarchy_and_clears_amounts(example_plan, tmp_path):
    nxt = carry_forward(example_plan, 2022)
    path = write_plan(nxt, tmp_path / "p2022.xlsx")
    again = read_plan(path)
    assert again.year == 2022
    assert again.targets == example_plan.targets
    assert again.general_administration_total == 0
    assert again.deadline.year == example_plan.deadline.year + 1


def _problems(path: Path) -> list[tuple[str, str, str, str]]:
    with pytest.raises(PlanError) as info:
        read_plan(path)
    return [(loc.file, loc.sheet, loc.cell, msg) for loc, msg in info.value.problems]


def test_missing_sheet_is_named(example_dir, tmp_path):
    path = tmp_path / "plan.xlsx"
    shutil.copy(example_dir / "plan.xlsx", path)
    wb = openpyxl.load_workbook(path)
    del wb["Birimler"]
    wb.save(path)
    assert ("plan.xlsx", "Birimler", "", "'Birimler' sayfası eksik") in _problems(path)


def test_duplicate_target_code_names_the_cell(example_plan, tmp_path):
    targets = list(example_plan.targets)
    targets.insert(1, dataclasses.replace(targets[5]))  # a second row with the 6th code
    path = write_plan(
        dataclasses.replace(example_plan, targets=tuple(targets)), tmp_path / "p.xlsx"
    )
    problems = _problems(path)
    # the duplicate now stands on worksheet row 8 (header row 1, then targets in order)
    assert any(
        sheet == "Performans Hedefleri" and cell == "A8" and "birden fazla" in msg
        for _, sheet, cell, msg in problems
    ), problems


def test_target_owned_by_unknown_department_names_the_cell(example_plan, tmp_path):
    targets = list(example_plan.targets)
    targets[2] = PerformanceTarget(targets[2].code, targets[2].text, "YOKBOYLE")
    path = write_plan(
        dataclasses.replace(example_plan, targets=tuple(targets)), tmp_path / "p.xlsx"
    )
    assert (
        "p.xlsx",
        "Performans Hedefleri",
        "C4",
        "sorumlu birim 'YOKBOYLE' tanımlı değil",
    ) in _problems(path)


def test_text_in_an_amount_cell_names_the_cell(example_dir, tmp_path):
    path = tmp_path / "plan.xlsx"
    shutil.copy(example_dir / "plan.xlsx", path)
    wb = openpyxl.load_workbook(path)
    wb["Genel Yönetim"]["C3"] = "elli bin"
    wb.save(path)
    problems = _problems(path)
    assert [p[:3] for p in problems] == [("plan.xlsx", "Genel Yönetim", "C3")]
    assert "sayı" in problems[0][3]


def test_not_a_workbook(tmp_path):
    path = tmp_path / "plan.xlsx"
    path.write_text("merhaba")
    assert _problems(path) == [("plan.xlsx", "", "", "dosya bir .xlsx çalışma kitabı değil")]


def test_reading_a_plan_pauses_the_collector_and_restores_it(example_dir, monkeypatch,
                                                              tmp_path):
    import gc

    from kbbxl import plan

    seen = []
    real = plan._read_table

    def spy(*args, **kwargs):
        seen.append(gc.isenabled())
        return real(*args, **kwargs)

    monkeypatch.setattr(plan, "_read_table", spy)
    assert gc.isenabled()
    read_plan(example_dir / "plan.xlsx")
    assert seen and not any(seen)  # paused while its objects are made
    assert gc.isenabled()
    path = tmp_path / "plan.xlsx"
    path.write_text("merhaba")
    with pytest.raises(PlanError):
        read_plan(path)
    assert gc.isenabled()  # back on after a refused plan too
