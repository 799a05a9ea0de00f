"""Shared fixtures: the example program and the LibreOffice real client."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "kocaeli-2021"


@pytest.fixture(scope="session")
def example_dir() -> Path:
    return EXAMPLE


@pytest.fixture(scope="session")
def libreoffice() -> str:
    """The soffice binary. Missing: a failure when KBBXL_REQUIRE_LIBREOFFICE=1 (CI), else a skip."""
    from kbbxl.libreoffice import soffice

    binary = soffice()
    if binary is None:
        if os.environ.get("KBBXL_REQUIRE_LIBREOFFICE") == "1":
            pytest.fail("LibreOffice is required (KBBXL_REQUIRE_LIBREOFFICE=1) but not installed")
        pytest.skip("LibreOffice not installed")
    return binary


@pytest.fixture(scope="session")
def program(example_dir):
    """The example plan (from its text form)."""
    from kbbxl.textdata import read_text_plan

    return read_text_plan(example_dir)


@pytest.fixture(scope="session")
def carddata(example_dir):
    """The example cards (indicators and activities, from the text form)."""
    from kbbxl.textdata import read_text_cards

    return read_text_cards(example_dir)


@pytest.fixture(scope="session")
def example(program, carddata):
    """The example as (Program, CardData)."""
    return program, carddata
