"""Where the values of prefilled forms come from: the text form, or last year's master (roll-over).

`kbbxl templates PLAN --prefill DATA -o OUTDIR` calls `generate`, which loads the plan, turns
DATA into CardFills and hands them to the one form writer (kbbxl.templates.write_form).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from kbbxl import form
from kbbxl.errors import OutputExistsError, TemplateError
from kbbxl.model import CardData, Program
from kbbxl.templates import CardFill, fills_from_carddata, write_filled_forms


def load_program(path: str | Path) -> Program:
    """The plan: a plan workbook, or a folder holding the plan's text form."""
    from kbbxl import plan, textdata

    path = Path(path)
    return textdata.read_text_plan(path) if path.is_dir() else plan.read_plan(path)


def rolled_over(data: CardData) -> dict[str, CardFill]:
    """Next year's fills from a year's cards: values shift one year back, amounts start empty.

    Last year's Y-1 estimate becomes this year's Y-2 value and last year's Y target this year's
    Y-1 estimate (the actual Y-1 value is not known when the forms go out; the department
    corrects it). Indicator names and units and activity names are kept; the new year's
    targets and amounts are left for the department to fill.
    """
    fills = fills_from_carddata(data)
    return {
        code: CardFill(
            indicators=tuple(
                {"name": i.get("name"), "unit": i.get("unit"), "past2": i.get("past1"),
                 "past1": i.get("goal"), "goal": None}
                for i in fill.indicators
            ),
            activities=tuple({"name": a.get("name")} for a in fill.activities),
        )
        for code, fill in fills.items()
    }


@dataclass(frozen=True)
class Prefill:
    """Fills per PH code, and the PH codes of the data that the plan no longer has."""

    fills: Mapping[str, CardFill]
    dropped: tuple[str, ...] = ()


def load_prefill(program: Program, path: str | Path) -> Prefill:
    """Fills from DATA: a text-form folder (same year) or a master workbook (same or last year)."""
    path = Path(path)
    if path.is_dir():
        from kbbxl.textdata import read_text_cards

        fills = fills_from_carddata(read_text_cards(path))
    else:
        try:
            from kbbxl.master import read_master  # type: ignore[attr-defined]
        except ImportError as exc:
            raise TemplateError(
                f"{path}: ana çalışma kitabından ön doldurma bu sürümde yok (kbbxl.master)"
            ) from exc
        old_program, data = read_master(path)
        if old_program.year == program.year - 1:
            fills = rolled_over(data)
        elif old_program.year == program.year:
            fills = fills_from_carddata(data)
        else:
            raise TemplateError(
                f"{path}: {old_program.year} yılının ana çalışma kitabı; {program.year} planı "
                f"için {program.year - 1} (yıl devri) ya da {program.year} yılınınki gerekir"
            )
        # Targets the new plan dropped cannot be carried; the caller reports them.
        dropped = tuple(sorted(c for c in fills if not program.has_target(c)))
        return Prefill({c: f for c, f in fills.items() if program.has_target(c)}, dropped)
    unknown = sorted(c for c in fills if not program.has_target(c))
    if unknown:
        raise TemplateError(
            f"{path}: verideki performans hedefleri planda yok: " + ", ".join(unknown)
        )
    return Prefill(fills)


@dataclass(frozen=True)
class Generated:
    paths: tuple[Path, ...]
    cards: int
    prefilled: int
    dropped: tuple[str, ...]


def generate(plan_path: str | Path, out_dir: str | Path, prefill: str | Path | None = None,
             *, force: bool = False) -> Generated:
    """Write one form per department of the plan into out_dir (prefilled from DATA if given).

    Existing files are never overwritten without force: out_dir may be an inbox of
    returned forms.
    """
    program = load_program(plan_path)
    if not program.departments:
        raise TemplateError(f"{plan_path}: planda birim yok")
    out = Path(out_dir)
    names = [form.form_file_name(program, d.code) for d in program.departments]
    existing = [n for n in names if (out / n).exists()]
    if existing and not force:
        raise OutputExistsError(
            f"{out} içinde şu dosyalar zaten var: {', '.join(existing[:5])}"
            + (" ..." if len(existing) > 5 else "") + "; üzerine yazmak için --force verin"
        )
    loaded = load_prefill(program, prefill) if prefill is not None else Prefill({})
    paths = write_filled_forms(program, out, loaded.fills)
    return Generated(tuple(paths), len(program.targets), len(loaded.fills), loaded.dropped)
