"""The issue catalogue, Issue and Report records and their renderings."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from rich.console import Console

import kbbxl
from kbbxl.report import (
    STATUS_ERRORS,
    STATUS_MISSING,
    STATUS_OK,
    STATUS_RECEIVED,
    DepartmentLine,
    Report,
    catalogue,
    department_status,
    make_issue,
    render_console,
    row_headers,
    tr_number,
)
from kbbxl.resources import load_toml

PACKAGE = Path(kbbxl.__file__).parent


def test_catalogue_entries_are_complete_and_turkish() -> None:
    types = catalogue()
    assert len(types) > 30
    for t in types.values():
        assert t.severity in ("error", "warning")
        assert t.title and t.message
        assert re.search(r"[çğıöşüÇĞİÖŞÜ]|\b(ve|bir|bu|yok)\b", t.message + t.title), t.code


def _codes_in_source(pattern: str) -> set[str]:
    found: set[str] = set()
    for path in PACKAGE.glob("*.py"):
        found |= set(re.findall(pattern, path.read_text(encoding="utf-8")))
    return found


def test_every_code_the_package_uses_is_catalogued() -> None:
    used = _codes_in_source(r'(?:make_issue|finding|ctx\.add)\(\s*"([a-z][a-z0-9-]+)"')
    used |= _codes_in_source(r'(?m)^[A-Z_]+ = "([a-z]+(?:-[a-z0-9]+)+)"\s*$')  # module constants
    for table in ("indicators", "activities"):
        rules = load_toml("schemas", f"{table}.toml")
        for spec in [*rules["columns"].values(), *(rules.get(k) or {} for k in (
                "unique", "row_total", "card_total"))]:
            used |= {v for k, v in spec.items() if k.endswith("issue") or k == "required"}
    assert {"not-a-number", "negative-amount", "wrong-year", "row-total-stale"} <= used
    missing = used - set(catalogue())
    assert not missing, f"codes without a catalogue entry: {sorted(missing)}"


def test_make_issue_fills_the_template() -> None:
    issue = make_issue("negative-amount", department="FEN", file="2021_FEN.xlsx",
                       sheet="KE-PH.1.1.2", cell="E14", value=-2500000.0,
                       column="06 Sermaye Giderleri")
    assert issue.severity == "error" and issue.is_error
    assert issue.message == ("'06 Sermaye Giderleri' tutarı negatif (-2.500.000). "
                             "Tutar sıfır ya da pozitif olmalıdır.")
    assert issue.row() == ("hata", "negative-amount", "FEN", "2021_FEN.xlsx", "KE-PH.1.1.2",
                           "E14", "-2.500.000", issue.message)
    assert len(issue.row()) == len(row_headers())


def test_a_missing_template_field_is_blank_not_a_crash() -> None:
    issue = make_issue("not-a-number", value="abc")  # no column, no detail
    assert issue.message == "'' sütununda sayı bekleniyor, 'abc' yazılmış."


def test_unknown_code_is_a_schema_error() -> None:
    from kbbxl.errors import SchemaLoadError

    with pytest.raises(SchemaLoadError):
        make_issue("no-such-code")


@pytest.mark.parametrize(("value", "text"), [
    (2236009100, "2.236.009.100"), (2236009100.0, "2.236.009.100"), (12.45, "12,45"),
    (-1500.5, "-1.500,5"), (0, "0"), (999, "999"), (1234.5678, "1.234,57"),
])
def test_tr_number(value: float, text: str) -> None:
    assert tr_number(value) == text


def test_report_merge_validity_and_order() -> None:
    a = make_issue("unknown-unit", department="B", file="b.xlsx", sheet="S", cell="C10",
                   value="Parsek")
    b = make_issue("missing-unit", department="B", file="b.xlsx", sheet="S", cell="C9")
    c = make_issue("lock-file", file="~$x.xlsx")
    warnings_only = Report((a,))
    assert warnings_only.valid and len(warnings_only.warnings) == 1
    both = warnings_only.merge(Report((b,))).merge([c])
    assert not both.valid and len(both) == 3 and both.errors == (b,)
    assert warnings_only.issues == (a,)  # merge returns a new report
    # sorted by department, file, sheet, then row before column (C9 before C10)
    assert [r[5] for r in both.rows()] == ["", "C9", "C10"]
    assert both.for_department("B").codes() == ["unknown-unit", "missing-unit"]
    assert [d["code"] for d in both.as_list()] == ["lock-file", "missing-unit", "unknown-unit"]
    assert both.as_list()[2]["severity_tr"] == "uyarı"


def test_report_order_does_not_depend_on_the_order_issues_came_in() -> None:
    # two findings of one cell and code (pandera lists such failures in an order that depends
    # on how the files were chunked)
    one = make_issue("unknown-unit", department="B", file="b.xlsx", sheet="S", cell="C10",
                     value="Parsek")
    two = make_issue("unknown-unit", department="B", file="b.xlsx", sheet="S", cell="C10",
                     value="Işık yılı")
    assert one.message != two.message
    assert Report((one, two)).rows() == Report((two, one)).rows()


def test_department_status() -> None:
    err = Report((make_issue("missing-unit", department="X"),))
    warn = Report((make_issue("unknown-unit", department="X"),))
    assert department_status(Report(), received=False) == STATUS_MISSING
    assert department_status(err, received=True) == STATUS_ERRORS
    assert department_status(warn, received=True) == STATUS_RECEIVED
    assert department_status(Report(), received=True) == STATUS_OK


def test_console_groups_issues_by_department_with_a_status_line() -> None:
    issue = make_issue("negative-amount", department="FEN", file="2021_FEN.xlsx",
                       sheet="KE-PH.1.1.2", cell="E14", value=-5.0, column="06")
    lines = [
        DepartmentLine("FEN", "Fen İşleri Dairesi Başkanlığı", STATUS_ERRORS,
                       ("2021_FEN.xlsx",), 7, 16, 12, 1_500_000.0, 1, 0),
        DepartmentLine("IMAR", "İmar ve Şehircilik Dairesi Başkanlığı", STATUS_MISSING,
                       (), 0, 0, 0, 0.0, 1, 0),
    ]
    report = Report((issue, make_issue("missing-department", department="IMAR",
                                       value="2021_IMAR.xlsx")))
    console = Console(record=True, width=200)
    render_console(report, lines, console, footer={"Plan": "plan.xlsx"})
    text = console.export_text()
    fen = text.index("Fen İşleri Dairesi Başkanlığı")
    assert text.index("2021_FEN.xlsx / KE-PH.1.1.2 / E14: '06' tutarı negatif (-5)") > fen
    assert "IMAR biriminin formu gelmedi (2021_IMAR.xlsx bekleniyor)." in text
    summary = text[text.index("Özet"):]
    assert re.search(r"Fen İşleri Dairesi Başkanlığı\s+│ hatalı .*1\.500\.000", summary)
    assert re.search(r"İmar ve Şehircilik Dairesi Başkanlığı\s+│ gönderilmedi", summary)
    assert re.search(r"Toplam .*│\s+7 │\s+16 │\s+12 │\s+1\.500\.000 │\s+2 │\s+0", summary)
    assert "Plan: plan.xlsx" in text
