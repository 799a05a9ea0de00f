"""Turkish-aware text helpers: normalisation, case-folding and numbers typed as text."""

from __future__ import annotations

import re
import unicodedata

# Python's str.lower() maps "İ" to "i" + COMBINING DOT ABOVE and "I" to "i"; Turkish wants
# İ→i and I→ı (and the reverse for upper case).
_TR_LOWER = str.maketrans({"İ": "i", "I": "ı"})
_TR_UPPER = str.maketrans({"i": "İ", "ı": "I"})

# Characters Excel cannot store or that make cells misbehave; tab/newline are kept.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SPACES = re.compile(r"[ \t\u00a0\u2007\u202f]+")

#: Excel's limit on the characters in one cell.
EXCEL_CELL_LIMIT = 32767


def nfc(text: str) -> str:
    """Unicode NFC: a decomposed "ğ" (g + breve) becomes one code point."""
    return unicodedata.normalize("NFC", text)


def clean_text(value: object) -> str:
    """Cell content as tidy text: NFC, control characters removed, spaces collapsed, stripped."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value)
    # Most cells are tidy already (one printable line, single spaces, NFC): return them as
    # they are without the passes below, which cost most of the time of checking a form.
    if (text.isprintable() and "  " not in text and text.strip() == text
            and unicodedata.is_normalized("NFC", text)):
        return text
    text = nfc(text)
    text = _CONTROL.sub("", text)
    lines = [_SPACES.sub(" ", line).strip() for line in text.splitlines()]
    return "\n".join(line for line in lines if line).strip()


def has_control_characters(text: str) -> bool:
    """True when the text holds characters that clean_text would drop."""
    return bool(_CONTROL.search(text))


def tr_lower(text: str) -> str:
    """Lower case by Turkish rules: "İSTANBUL" → "istanbul", "IŞIK" → "ışık"."""
    return nfc(text).translate(_TR_LOWER).lower()


def tr_upper(text: str) -> str:
    """Upper case by Turkish rules: "istanbul" → "İSTANBUL", "ışık" → "IŞIK"."""
    return nfc(text).translate(_TR_UPPER).upper()


def tr_casefold(text: str) -> str:
    """A key for caseless comparison of Turkish text (also ignores extra spaces)."""
    # tr_lower, with the two Turkish letters replaced one after the other (neither
    # replacement makes the other letter): much faster than translate() on non-ASCII text,
    # and asked for every name of every form
    text = unicodedata.normalize("NFC", text)
    if "I" in text or "İ" in text:
        text = text.replace("İ", "i").replace("I", "ı")
    text = text.lower()
    # in printable text the only white space is " ": no double, none at the ends → as is
    if text.isprintable() and "  " not in text and text.strip() == text:
        return text
    return " ".join(text.split())


def tr_title(text: str) -> str:
    """Title case by Turkish rules: "ULAŞIM HİZMETLERİ" → "Ulaşım Hizmetleri"."""
    return " ".join(tr_upper(w[:1]) + tr_lower(w[1:]) for w in nfc(text).split(" "))


class NumberFormatError(ValueError):
    """Text that is not a number, or a number whose notation is ambiguous."""


_CURRENCY = re.compile(r"(?i)\s*(₺|tl\.?|try|ytl|türk lirası|lira)\s*$")
# "1.500,-" (no kuruş): the dash stands for ",00"
_NO_SUBUNITS = re.compile(r"\s*[,.]\s*[-–—]$")
_CURRENCY_PREFIX = re.compile(r"(?i)^\s*(₺|tl)\s*")
_MISSING = {"", "-", "–", "—", "yok", "n/a", "na"}
# Turkish notation: dots group thousands, comma marks decimals.
_TR_GROUPED = re.compile(r"^\d{1,3}(\.\d{3})+(,\d+)?$")
_TR_PLAIN = re.compile(r"^\d+(,\d+)?$")
# Unambiguous international notation: commas group thousands and a dot marks decimals.
_EN_GROUPED_DECIMAL = re.compile(r"^\d{1,3}(,\d{3})+\.\d+$")
# Two or more comma groups cannot be a Turkish decimal comma: "1,500,000".
_EN_GROUPED = re.compile(r"^\d{1,3}(,\d{3}){2,}$")
_TR_SPACE_GROUPED = re.compile(r"^\d{1,3}( \d{3})+(,\d+)?$")


def parse_tr_number(value: object) -> float | None:
    """A number typed by a Turkish clerk, as float; None for an empty or "-" cell.

    Accepts "1.500.000", "12,45", "1.500.000 TL", "₺ 2.000,50", "1 500 000", "%12,5" and
    plain numbers. Rejects text and notations that read two ways ("1,500" could be 1.5 or
    1500; "12.45" could be 12,45 or a typo) with NumberFormatError.
    """
    if value is None:
        return None
    if isinstance(value, bool):
        raise NumberFormatError("mantıksal değer sayı değildir")
    if isinstance(value, (int, float)):
        if value != value or value in (float("inf"), float("-inf")):
            raise NumberFormatError("geçersiz sayı")
        return float(value)
    text = clean_text(value).replace("\n", " ")
    if text.lower() in _MISSING:
        return None
    text = _CURRENCY.sub("", text)
    text = _CURRENCY_PREFIX.sub("", text)
    text = _NO_SUBUNITS.sub("", text)
    text = text.strip().lstrip("%").rstrip("%").strip()
    sign = 1.0
    if text[:1] in "-−+" and len(text) > 1:
        sign = -1.0 if text[0] in "-−" else 1.0
        text = text[1:].strip()
    if _EN_GROUPED.match(text):
        return sign * float(text.replace(",", ""))
    if re.fullmatch(r"\d{1,3},\d{3}", text):
        raise NumberFormatError(
            f"'{value}' iki türlü okunabilir: binlik ayırıcı olarak nokta, ondalık için virgül "
            "kullanın (ör. 1.500 ya da 1,5)"
        )
    if _TR_PLAIN.match(text) or _TR_GROUPED.match(text) or _TR_SPACE_GROUPED.match(text):
        return sign * float(text.replace(" ", "").replace(".", "").replace(",", "."))
    if _EN_GROUPED_DECIMAL.match(text):
        return sign * float(text.replace(",", ""))
    if re.fullmatch(r"\d+\.\d+", text):
        raise NumberFormatError(
            f"'{value}' iki türlü okunabilir: ondalık için virgül kullanın (ör. 12,45)"
        )
    raise NumberFormatError(f"'{value}' bir sayı değil")
