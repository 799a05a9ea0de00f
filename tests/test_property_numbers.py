"""Numbers typed as text: every notation a Turkish clerk uses reads back exactly; ambiguous
notations are refused. Property-based for kbbxl.text.parse_tr_number, end to end for a merge."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kbbxl import form, plan, templates, textdata
from kbbxl.merge import merge_inbox
from kbbxl.text import NumberFormatError, parse_tr_number

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "kocaeli-2021"


def _group(digits: str, sep: str) -> str:
    head = len(digits) % 3 or 3
    return sep.join([digits[:head]] + [digits[i:i + 3] for i in range(head, len(digits), 3)])


def renderings(kurus: int) -> list[str]:
    """The ways a clerk writes kurus/100 lira."""
    lira, sub = divmod(kurus, 100)
    whole = str(lira)
    tr_dec = f",{sub:02d}" if sub else ""
    out = [
        whole + tr_dec,  # 1500000,5
        _group(whole, ".") + tr_dec,  # 1.500.000,50
        _group(whole, " ") + tr_dec,  # 1 500 000,50
        _group(whole, "\u00a0") + tr_dec,  # no-break spaces, as Excel's TR format shows
        _group(whole, ".") + tr_dec + " TL",
        "₺" + _group(whole, ".") + tr_dec,
        "TL " + _group(whole, ".") + tr_dec,
        _group(whole, ".") + tr_dec + " ₺",
        " " + whole + tr_dec + "\n",
    ]
    if sub:
        out.append(_group(whole, ".") + f",{sub:02d} TL")
        if lira >= 1000:
            out.append(_group(whole, ",") + f".{sub:02d}")  # 1,500,000.50: English, unambiguous
    else:
        out.append(_group(whole, ".") + ",-")  # 1.500.000,- (no kuruş)
        out.append(_group(whole, ".") + ",00 TL")
        if lira >= 1_000_000:
            out.append(_group(whole, ","))  # 1,500,000: two comma groups, English
    return out


@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.integers(0, 10**13))
def test_every_notation_reads_back_exactly(kurus: int) -> None:
    value = kurus / 100
    for text in renderings(kurus):
        assert parse_tr_number(text) == value, text


@settings(max_examples=100, deadline=None, derandomize=True)
@given(st.integers(1, 999), st.integers(0, 999))
def test_notations_that_read_two_ways_are_refused(thousands: int, rest: int) -> None:
    with pytest.raises(NumberFormatError):
        parse_tr_number(f"{thousands},{rest:03d}")  # 1,500: 1,5 or 1500?
    with pytest.raises(NumberFormatError):
        parse_tr_number(f"{thousands}.{rest % 100:02d}")  # 12.45: a decimal dot


@pytest.mark.parametrize("text", ["bir milyon", "1.5 milyon", "12a", "1..5", "1,5,5", "1E+06",
                                  "(1.500)", "1.50.000"])
def test_text_that_is_no_number_is_refused(text: str) -> None:
    with pytest.raises(NumberFormatError):
        parse_tr_number(text)


@pytest.mark.parametrize("text", ["", "-", "–", "—", "yok", "  "])
def test_empty_markers(text: str) -> None:
    assert parse_tr_number(text) is None


def test_amounts_typed_as_text_reach_the_master(tmp_path: Path) -> None:
    """End to end: every notation in an amount cell becomes the number, with a warning."""
    program = textdata.read_text_plan(EXAMPLE)
    plan.write_plan(program, tmp_path / "plan.xlsx")
    dept = min(program.departments, key=lambda d: (len(program.targets_of(d.code)), d.code)).code
    target = program.targets_of(dept)[0]
    typed = renderings(150_000_050) + renderings(2_000_000_000)
    acts = [{"name": f"Faaliyet {i}", "ec03": text} for i, text in enumerate(typed)]
    fills = {t.code: templates.CardFill(activities=[{"name": "Başka", "ec03": 1.0}])
             for t in program.targets_of(dept)}
    fills[target.code] = templates.CardFill(activities=acts)
    inbox = tmp_path / "inbox"
    templates.write_form(program, dept, inbox / form.form_file_name(program, dept), fills)
    result = merge_inbox(inbox)
    assert [(i.code, i.cell) for i in result.report.errors
            if i.code != "missing-department"] == []
    got = {a.name: a.amounts["03"] for a in result.data.activities if a.target == target.code}
    for i, text in enumerate(typed):
        expected = 1_500_000.5 if i < len(renderings(150_000_050)) else 20_000_000.0
        assert got[f"Faaliyet {i}"] == expected, text
    warned = [i for i in result.report.warnings if i.code == "number-as-text"]
    assert len(warned) == len(typed)
