"""The reviewable text form of a program: plan and card data as CSV files in a folder.

plan/   general.csv departments.csv axes.csv service_areas.csv goals.csv objectives.csv
        targets.csv budget.csv
cards/  indicators.csv activities.csv

The example program (examples/kocaeli-2021) is kept this way, so that a reviewer can diff it.
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

from kbbxl.errors import Location, PlanError
from kbbxl.model import (
    Activity,
    Axis,
    CardData,
    Department,
    Goal,
    Indicator,
    Objective,
    PerformanceTarget,
    Program,
    ServiceArea,
    Source,
    Value,
    canonical_target_code,
    normalize_economic_code,
)
from kbbxl.text import NumberFormatError, clean_text, parse_tr_number


def _rows(path: Path) -> list[dict[str, str]]:
    if not path.is_file():
        raise PlanError([(Location(str(path)), "dosya bulunamadı")])
    with path.open(encoding="utf-8", newline="") as fh:
        return [{k: clean_text(v) for k, v in row.items()} for row in csv.DictReader(fh)]


def _number(value: str, where: Location) -> float:
    try:
        parsed = parse_tr_number(value) if value else None
    except NumberFormatError as exc:
        raise PlanError([(where, str(exc))]) from exc
    return parsed or 0.0


def is_text_plan(path: Path) -> bool:
    """True when `path` is a folder holding the text form of a plan."""
    return (path / "plan" / "general.csv").is_file() or (path / "general.csv").is_file()


def read_text_plan(folder: str | Path) -> Program:
    """Program from plan/*.csv (the folder itself or its plan/ subfolder)."""
    folder = Path(folder)
    if (folder / "plan").is_dir():
        folder = folder / "plan"
    general = {r["key"]: r["value"] for r in _rows(folder / "general.csv")}
    budget_rows = _rows(folder / "budget.csv")
    deadline = general.get("deadline") or ""
    return Program(
        institution=general.get("institution", ""),
        year=int(general["year"]),
        budget=_number(general.get("budget", ""), Location("general.csv", "", "budget")),
        departments=tuple(
            Department(r["code"], r["name"]) for r in _rows(folder / "departments.csv")
        ),
        axes=tuple(Axis(r["code"], r["name"]) for r in _rows(folder / "axes.csv")),
        service_areas=tuple(
            ServiceArea(r["code"], r["name"], r["axis"])
            for r in _rows(folder / "service_areas.csv")
        ),
        goals=tuple(
            Goal(r["code"], r["text"], r["service_area"]) for r in _rows(folder / "goals.csv")
        ),
        objectives=tuple(Objective(r["code"], r["text"]) for r in _rows(folder / "objectives.csv")),
        targets=tuple(
            PerformanceTarget(canonical_target_code(r["code"]), r["text"], r["department"])
            for r in _rows(folder / "targets.csv")
        ),
        form_economic_codes=tuple(
            normalize_economic_code(c)
            for c in general.get("form_economic_codes", "").split(";")
            if c
        ),
        off_budget=general.get("off_budget", "yes").lower() in ("yes", "evet", "true", "1"),
        general_administration={
            normalize_economic_code(r["economic_code"]): _number(
                r["general_administration"], Location("budget.csv", "", r["economic_code"])
            )
            for r in budget_rows
        },
        transfers={
            normalize_economic_code(r["economic_code"]): _number(
                r["transfers"], Location("budget.csv", "", r["economic_code"])
            )
            for r in budget_rows
        },
        deadline=dt.date.fromisoformat(deadline) if deadline else None,
        contact=general.get("contact", ""),
        phone=general.get("phone", ""),
        email=general.get("email", ""),
    )


def _value(text: str) -> Value:
    if text == "":
        return None
    try:
        return float(text)
    except ValueError:
        return text


def read_text_cards(folder: str | Path) -> CardData:
    """CardData from cards/indicators.csv and cards/activities.csv (or the folder itself)."""
    folder = Path(folder)
    if (folder / "cards").is_dir():
        folder = folder / "cards"
    ind_path, act_path = folder / "indicators.csv", folder / "activities.csv"
    indicators = tuple(
        Indicator(
            target=canonical_target_code(r["target"]),
            seq=int(r["seq"]),
            name=r["name"],
            unit=r["unit"],
            past2=_value(r["past2"]),
            past1=_value(r["past1"]),
            goal=_value(r["target_value"]),
            source=Source(ind_path.name, "", n),
        )
        for n, r in enumerate(_rows(ind_path), start=2)
    )
    activities = []
    for n, r in enumerate(_rows(act_path), start=2):
        where = Location(act_path.name, "", f"satır {n}")
        amounts = {
            k[2:]: _number(v, where) for k, v in r.items() if k.startswith("ec") and k[2:].isdigit()
        }
        activities.append(
            Activity(
                target=canonical_target_code(r["target"]),
                seq=int(r["seq"]),
                name=r["name"],
                amounts=amounts,
                off_budget=_number(r.get("off_budget", ""), where),
                source=Source(act_path.name, "", n),
            )
        )
    return CardData(indicators, tuple(activities))
