"""Finds the shipped data folders (workbook_templates/, schemas/) in a wheel or a source tree."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import tomllib

from kbbxl.errors import SchemaLoadError

_PACKAGE = Path(__file__).resolve().parent


def data_dir(name: str) -> Path:
    """The folder `name` (workbook_templates or schemas): inside the wheel, else the repo."""
    for candidate in (_PACKAGE / "_data" / name, _PACKAGE.parent / name):
        if candidate.is_dir():
            return candidate
    raise SchemaLoadError(f"'{name}' klasörü bulunamadı (kurulum eksik olabilir)")


@cache
def load_toml(folder: str, name: str) -> dict[str, Any]:
    """A TOML file from a data folder, parsed once per process."""
    path = data_dir(folder) / name
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise SchemaLoadError(f"{path}: okunamadı ({exc})") from exc


def labels(name: str) -> dict[str, Any]:
    """Presentation text and layout settings from workbook_templates/<name>.toml."""
    return load_toml("workbook_templates", f"{name}.toml")
