"""The exception tree: problems that stop kbbxl from running, not problems in the data."""

from __future__ import annotations

from dataclasses import dataclass


class KbbxlError(Exception):
    """Base class of every error kbbxl raises on purpose (rendered without traceback)."""


@dataclass(frozen=True)
class Location:
    """Where a problem sits: file, sheet and cell (any may be empty)."""

    file: str = ""
    sheet: str = ""
    cell: str = ""

    def __str__(self) -> str:
        parts = [p for p in (self.file, self.sheet, self.cell) if p]
        return " / ".join(parts)


class PlanError(KbbxlError):
    """The plan workbook is missing, unreadable or malformed; carries every problem found."""

    def __init__(self, problems: list[tuple[Location, str]]):
        self.problems = problems
        lines = [f"{loc}: {msg}" if str(loc) else msg for loc, msg in problems]
        super().__init__("Plan çalışma kitabında sorun var:\n" + "\n".join(lines))


class OutputExistsError(KbbxlError):
    """An output would overwrite existing files and --force was not given (a usage error)."""


class TemplateError(KbbxlError):
    """A department form could not be written."""


class WorkbookReadError(KbbxlError):
    """A workbook could not be opened or read at all."""

    def __init__(self, path: str, message: str, sheet: str = ""):
        self.path = path
        self.sheet = sheet
        where = f"{path} / {sheet}" if sheet else path
        super().__init__(f"{where}: {message}")


class SchemaLoadError(KbbxlError):
    """A rule file in schemas/ is missing or malformed."""
