"""The quick paths of the checks give what the plain definitions give, for any cell.

kbbxl.checks converts whole columns (rules.convert_numbers / convert_texts), tells content
rows by rules.is_blank and folds names by text.tr_casefold, each with shortcuts for the
usual cells. Property-based: every value the reader can hand over, against convert_number /
convert_text / clean_text / tr_lower applied one cell at a time.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from kbbxl.raw import Cell
from kbbxl.rules import (
    Converted,
    convert_number,
    convert_numbers,
    convert_text,
    convert_texts,
    is_blank,
)
from kbbxl.text import clean_text, tr_casefold, tr_lower

# letters that fold in Turkish, white space of every kind, control characters, combining marks
_ALPHABET = st.sampled_from(list(
    "aAiIİıığĞüÜşŞçÇöÖxZΣσς0123456789.,-−+%₺TLtl "
    "\t\n\r\x0b\x0c\x1c\x1f\x85\u00a0\u2007\u202f\u2028\u3000\x00\x01\x7f\u200b\ufeff"
    "\u0301\u0306\u0307ǅﬃß#"
))
TEXTS = st.text(_ALPHABET, max_size=14)
VALUES = st.one_of(
    st.none(), st.floats(), st.integers(-10**18, 10**18), st.booleans(), st.datetimes(),
    st.dates(), st.times(), TEXTS,
    st.sampled_from(["1.500", "1,500", "12,45", "12.45", "1.500.000 TL", "-", "yok", "%12,5"]),
)
CELLS = st.one_of(
    st.none(),
    st.builds(Cell, VALUES, st.just("C5"), st.sampled_from([None, "=SUM()"]),
              st.sampled_from([None, None, "", "#REF!"])),
)


def _same(a: Converted, b: Converted) -> bool:
    # repr: NaN equals NaN, -0.0 differs from 0.0
    return (repr(a.value), a.code, a.detail) == (repr(b.value), b.code, b.detail)


def _column_matches(convert_one: Any, values: list[Any],
                    found: list[tuple[int, Converted]], cells: list[Cell | None]) -> None:
    one = [convert_one(c) for c in cells]
    assert [repr(v) for v in values] == [repr(c.value) for c in one]
    assert [i for i, _ in found] == [i for i, c in enumerate(one) if c.code]
    assert all(_same(conv, one[i]) for i, conv in found)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.lists(CELLS, max_size=12))
def test_a_number_column_converts_as_each_cell_would(cells: list[Cell | None]) -> None:
    values, found = convert_numbers(cells)
    _column_matches(convert_number, values, found, cells)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.lists(CELLS, max_size=12))
def test_a_text_column_converts_as_each_cell_would(cells: list[Cell | None]) -> None:
    values, found = convert_texts(cells)
    _column_matches(convert_text, values, found, cells)


@settings(max_examples=500, deadline=None, derandomize=True)
@given(VALUES)
def test_is_blank_is_clean_text_giving_nothing(value: Any) -> None:
    assert is_blank(value) == (clean_text(value) == "")


@settings(max_examples=500, deadline=None, derandomize=True)
@given(TEXTS)
def test_tr_casefold_is_turkish_lower_case_with_spaces_collapsed(text: str) -> None:
    assert tr_casefold(text) == " ".join(tr_lower(text).split())


def test_every_letter_space_and_control_character_folds_and_blanks_as_defined() -> None:
    # Latin, Greek, Cyrillic ... and every separator, control and format character of the BMP
    chars = [chr(c) for c in range(0x800)] + [
        chr(c) for c in range(0x800, 0x10000)
        if unicodedata.category(chr(c)) in ("Zs", "Zl", "Zp", "Cc", "Cf")]
    assert len(chars) > 2090
    for c in chars:
        for text in (c, f"a{c}b", f"{c} ", f" {c}", f"{c}\u0301"):
            assert tr_casefold(text) == " ".join(tr_lower(text).split()), hex(ord(c))
            assert is_blank(text) == (clean_text(text) == ""), hex(ord(c))
