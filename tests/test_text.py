"""Turkish text helpers: case-folding, normalisation, numbers typed as text."""

import unicodedata

import pytest

from kbbxl.text import (
    NumberFormatError,
    clean_text,
    nfc,
    parse_tr_number,
    tr_casefold,
    tr_lower,
    tr_title,
    tr_upper,
)


def test_turkish_lower_and_upper_handle_dotted_and_dotless_i():
    assert tr_lower("İSTANBUL IŞIK") == "istanbul ışık"
    assert tr_upper("istanbul ışık") == "İSTANBUL IŞIK"
    assert len(tr_lower("İ")) == 1  # Python's own lower() gives two code points
    assert tr_title("ULAŞIM HİZMETLERİ") == "Ulaşım Hizmetleri"


def test_casefold_makes_spellings_of_one_department_equal():
    assert tr_casefold("İMAR VE ŞEHİRCİLİK  Dairesi") == tr_casefold("imar ve şehircilik dairesi")
    assert tr_casefold("KIRSAL") != tr_casefold("kirsal")  # I is ı in Turkish, not i


def test_nfc_and_clean_text():
    decomposed = unicodedata.normalize("NFD", "Çağ Şişli")
    assert decomposed != "Çağ Şişli"
    assert nfc(decomposed) == "Çağ Şişli"
    assert clean_text("  Yol\x00 \u00a0 yapımı \x07 ") == "Yol yapımı"
    assert clean_text(12.0) == "12"
    assert clean_text(None) == ""


@pytest.mark.parametrize(
    "typed, expected",
    [
        ("1.500.000", 1_500_000),
        ("12,45", 12.45),
        ("1.500.000 TL", 1_500_000),
        ("₺ 2.000,50", 2000.5),
        ("1 500 000", 1_500_000),
        ("1.500", 1500),
        ("0", 0),
        ("%12,5", 12.5),
        ("-3", -3),
        ("1,500.25", 1500.25),
        (42, 42),
        (2.5, 2.5),
        ("-", None),
        ("", None),
        (None, None),
    ],
)
def test_numbers_typed_as_turkish_text(typed, expected):
    assert parse_tr_number(typed) == expected


@pytest.mark.parametrize("typed", ["abc", "12.45", "1,500", "1.50.0", "12,5,3", "1e5x", True])
def test_text_and_ambiguous_numbers_are_rejected(typed):
    with pytest.raises(NumberFormatError):
        parse_tr_number(typed)
