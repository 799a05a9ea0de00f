"""The domain: a program year, its hierarchy of codes, departments, indicators and activities."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from datetime import date
from functools import cached_property
from operator import attrgetter
from typing import Any

#: Economic classification, level I (Ekonomik Sınıflandırma I. Düzey), official names.
ECONOMIC_CODES: dict[str, str] = {
    "01": "Personel Giderleri",
    "02": "Sosyal Güvenlik Kurumlarına Devlet Primi Giderleri",
    "03": "Mal ve Hizmet Alım Giderleri",
    "04": "Faiz Giderleri",
    "05": "Cari Transferler",
    "06": "Sermaye Giderleri",
    "07": "Sermaye Transferleri",
    "08": "Borç Verme",
    "09": "Yedek Ödenekler",
}

#: The three transformation axes of the 2020–2024 strategic plan, in document order.
AXES: dict[str, str] = {
    "KE": "Kentsel Dönüşüm",
    "TO": "Toplumsal Dönüşüm",
    "KU": "Kurumsal Dönüşüm",
}


class CodeError(ValueError):
    """A code that does not follow the KE/PH.1.10.1, KE.1.10 or KE.1 pattern."""


_AXIS = r"(?P<axis>[A-Za-z]{2})"
_AXIS_ORDER = {axis: i for i, axis in enumerate(AXES)}
_TARGET_RE = re.compile(
    _AXIS + r"\s*/\s*P\s*H\s*\.?\s*(?P<goal>\d+)\s*\.\s*(?P<objective>\d+)\s*\.\s*(?P<n>\d+)",
    re.IGNORECASE,
)
_OBJECTIVE_RE = re.compile(_AXIS + r"\s*\.\s*(?P<goal>\d+)\s*\.\s*(?P<objective>\d+)")
_GOAL_RE = re.compile(_AXIS + r"\s*\.\s*(?P<goal>\d+)")


def normalize_economic_code(value: object) -> str:
    """ "3", "03", 3.0, "03 Mal ve Hizmet..." → "03"; CodeError when not a level-I code."""
    text = str(value).strip()
    if isinstance(value, float) and value.is_integer():
        text = str(int(value))
    m = re.match(r"^0?([1-9])(?:\b|\s|$|[-.])", text)
    if not m:
        raise CodeError(f"'{value}' bir ekonomik kod (01–09) değil")
    return f"0{m.group(1)}"


def _check_axis(axis: str, text: str) -> str:
    axis = axis.upper()
    if axis not in AXES:
        raise CodeError(f"'{text}': dönüşüm alanı KE, TO veya KU olmalı")
    return axis


@dataclass(frozen=True, order=True, slots=True)
class TargetCode:
    """A performance-target code such as KE/PH.1.10.1 (axis, goal, objective, number)."""

    axis_order: int = field(repr=False, compare=True)
    goal: int
    objective: int
    number: int
    axis: str = field(compare=False)

    @classmethod
    def parse(cls, text: str) -> TargetCode:
        """Parse "KE/PH.1.10.1", also the document's variants ("KE/Ph.1.10.1", spaces)."""
        raw = str(text).strip()
        m = _TARGET_RE.fullmatch(raw)
        if not m:
            raise CodeError(f"'{text}' bir performans hedefi kodu değil (ör. KE/PH.1.1.1)")
        axis = _check_axis(m["axis"], raw)
        return cls(_AXIS_ORDER[axis], int(m["goal"]), int(m["objective"]), int(m["n"]), axis)

    def __str__(self) -> str:
        return f"{self.axis}/PH.{self.goal}.{self.objective}.{self.number}"

    @property
    def goal_code(self) -> str:
        return f"{self.axis}.{self.goal}"

    @property
    def objective_code(self) -> str:
        return f"{self.axis}.{self.goal}.{self.objective}"


#: a code spelt canonically already (as the forms write it): its own canonical spelling
_CANONICAL_TARGET = re.compile(r"(?:KE|TO|KU)/PH(?:\.(?:0|[1-9][0-9]*)){3}")


def canonical_target_code(text: str) -> str:
    """The canonical spelling of a PH code ("ke/Ph.1.1.1" → "KE/PH.1.1.1")."""
    if isinstance(text, str) and _CANONICAL_TARGET.fullmatch(text):
        return text
    return str(TargetCode.parse(text))


def parse_objective_code(text: str) -> tuple[str, int, int]:
    """ "KE.1.10" → ("KE", 1, 10)."""
    m = _OBJECTIVE_RE.fullmatch(str(text).strip())
    if not m:
        raise CodeError(f"'{text}' bir stratejik hedef kodu değil (ör. KE.1.1)")
    return _check_axis(m["axis"], text), int(m["goal"]), int(m["objective"])


def parse_goal_code(text: str) -> tuple[str, int]:
    """ "KE.1" → ("KE", 1)."""
    m = _GOAL_RE.fullmatch(str(text).strip())
    if not m:
        raise CodeError(f"'{text}' bir stratejik amaç kodu değil (ör. KE.1)")
    return _check_axis(m["axis"], text), int(m["goal"])


def target_sort_key(code: str) -> TargetCode:
    return TargetCode.parse(code)


# --- the plan -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Department:
    """A department (Daire Başkanlığı): full name and a short ASCII code used in file names."""

    code: str
    name: str


@dataclass(frozen=True)
class Axis:
    code: str  # KE / TO / KU
    name: str


@dataclass(frozen=True)
class ServiceArea:
    """Hizmet alanı such as 1.1 Ulaşım Hizmetleri; belongs to one axis."""

    code: str
    name: str
    axis: str


@dataclass(frozen=True)
class Goal:
    """Stratejik Amaç such as KE.1; belongs to one service area."""

    code: str
    text: str
    service_area: str


@dataclass(frozen=True)
class Objective:
    """Stratejik Hedef such as KE.1.1."""

    code: str
    text: str


@dataclass(frozen=True)
class PerformanceTarget:
    """Performans Hedefi such as KE/PH.1.1.1, owned by exactly one department."""

    code: str
    text: str
    department: str  # Department.code

    @classmethod
    def of(cls, code: TargetCode, text: str, department: str) -> PerformanceTarget:
        """The target of a parsed code: its canonical spelling, and the parse kept."""
        target = cls(str(code), text, department)
        target.__dict__["parsed"] = code  # where cached_property keeps it
        return target

    @cached_property
    def parsed(self) -> TargetCode:
        # parsed once: the plan's lookups and every form's header and fingerprint ask for it
        return TargetCode.parse(self.code)

    @property
    def goal_code(self) -> str:
        return self.parsed.goal_code

    @property
    def objective_code(self) -> str:
        return self.parsed.objective_code


@dataclass(frozen=True)
class Program:
    """One program year as the strategy office plans it (the plan workbook)."""

    institution: str
    year: int
    budget: float
    departments: tuple[Department, ...]
    axes: tuple[Axis, ...]
    service_areas: tuple[ServiceArea, ...]
    goals: tuple[Goal, ...]
    objectives: tuple[Objective, ...]
    targets: tuple[PerformanceTarget, ...]
    #: economic codes the department forms ask for, e.g. ("03", "05", "06")
    form_economic_codes: tuple[str, ...] = ("03", "05", "06")
    #: whether the forms have a Bütçe Dışı (off-budget) column
    off_budget: bool = True
    #: Genel Yönetim Giderleri per economic code
    general_administration: Mapping[str, float] = field(default_factory=dict)
    #: Diğer İdarelere Transfer Edilecek Kaynaklar per economic code
    transfers: Mapping[str, float] = field(default_factory=dict)
    deadline: date | None = None
    contact: str = ""
    phone: str = ""
    email: str = ""

    # lookups ---------------------------------------------------------------------------
    @cached_property
    def _departments(self) -> dict[str, Department]:
        return {d.code: d for d in self.departments}

    @cached_property
    def _targets(self) -> dict[str, PerformanceTarget]:
        return {t.code: t for t in self.targets}

    @cached_property
    def _goals(self) -> dict[str, Goal]:
        return {g.code: g for g in self.goals}

    @cached_property
    def _objectives(self) -> dict[str, Objective]:
        return {o.code: o for o in self.objectives}

    @cached_property
    def _areas(self) -> dict[str, ServiceArea]:
        return {a.code: a for a in self.service_areas}

    def build_lookups(self) -> None:
        """Build every lookup now. A process about to fork workers calls it: a lookup first
        built in a worker makes the worker visit every target, and so copy nearly every memory
        page of the plan it shares with its parent (~100 MB each at national scale)."""
        for name, attribute in vars(type(self)).items():
            if isinstance(attribute, cached_property):
                getattr(self, name)

    def department(self, code: str) -> Department:
        return self._departments[code]

    def has_department(self, code: str) -> bool:
        return code in self._departments

    def target(self, code: str) -> PerformanceTarget:
        return self._targets[code]

    def has_target(self, code: str) -> bool:
        return code in self._targets

    @cached_property
    def _targets_by_department(self) -> dict[str, tuple[PerformanceTarget, ...]]:
        # asked once per department and per form: a scan of all targets each time is
        # quadratic at national scale (1.400 departments, 135.000 targets)
        by: dict[str, list[PerformanceTarget]] = {}
        for t in self.targets:
            by.setdefault(t.department, []).append(t)
        return {d: tuple(ts) for d, ts in by.items()}

    def targets_of(self, department: str) -> tuple[PerformanceTarget, ...]:
        """The department's targets in plan order."""
        return self._targets_by_department.get(department, ())

    def goal_of(self, target: PerformanceTarget) -> Goal:
        return self._goals[target.goal_code]

    def objective_of(self, target: PerformanceTarget) -> Objective:
        return self._objectives[target.objective_code]

    def service_area_of(self, target: PerformanceTarget) -> ServiceArea:
        return self._areas[self.goal_of(target).service_area]

    def axis(self, code: str) -> Axis:
        return next(a for a in self.axes if a.code == code)

    def targets_in_area(self, area: str) -> tuple[PerformanceTarget, ...]:
        """Targets of a service area in plan (document) order."""
        return tuple(t for t in self.targets if self.service_area_of(t).code == area)

    def areas_of_axis(self, axis: str) -> tuple[ServiceArea, ...]:
        return tuple(a for a in self.service_areas if a.axis == axis)

    @property
    def general_administration_total(self) -> float:
        return float(sum(self.general_administration.values()))

    @property
    def transfers_total(self) -> float:
        return float(sum(self.transfers.values()))


# --- what departments send ---------------------------------------------------------------
# Records of rows carry __slots__: a national merge holds ~900.000 of them. They pickle as
# their constructor's arguments (worker processes send them to the merge): the state dicts
# of slotted dataclasses take twice as long to pickle and unpickle.


@dataclass(frozen=True, slots=True)
class Source:
    """Where a row came from: file name, sheet name and 1-based worksheet row."""

    file: str
    sheet: str
    row: int

    def __reduce__(self) -> tuple[Any, ...]:
        return (Source, (self.file, self.sheet, self.row))


Value = float | str | None


@dataclass(frozen=True, slots=True)
class Indicator:
    """One row of a card's indicators table (Performans Göstergeleri)."""

    target: str
    seq: int
    name: str
    unit: str
    past2: Value  # Y-2 actual
    past1: Value  # Y-1 estimate
    goal: Value  # Y target
    source: Source | None = None

    def __reduce__(self) -> tuple[Any, ...]:
        return (Indicator, (self.target, self.seq, self.name, self.unit, self.past2,
                            self.past1, self.goal, self.source))


@dataclass(frozen=True, slots=True)
class Activity:
    """One row of a card's activities table (Faaliyet ve Projeler), amounts in TL."""

    target: str
    seq: int
    name: str
    amounts: Mapping[str, float]  # economic code → Bütçe İçi amount
    off_budget: float = 0.0  # Bütçe Dışı
    source: Source | None = None

    def __reduce__(self) -> tuple[Any, ...]:
        return (Activity, (self.target, self.seq, self.name, self.amounts, self.off_budget,
                           self.source))

    @property
    def in_budget(self) -> float:
        return float(sum(self.amounts.values()))

    @property
    def total(self) -> float:
        return self.in_budget + self.off_budget


@dataclass(frozen=True)
class CardData:
    """The indicators and activities of any number of cards (one department, or all)."""

    indicators: tuple[Indicator, ...] = ()
    activities: tuple[Activity, ...] = ()

    def for_target(self, code: str) -> CardData:
        return CardData(
            tuple(i for i in self.indicators if i.target == code),
            tuple(a for a in self.activities if a.target == code),
        )

    def merged(self, other: CardData) -> CardData:
        return CardData(self.indicators + other.indicators, self.activities + other.activities)

    @staticmethod
    def concat(parts: Iterable[CardData]) -> CardData:
        ind: list[Indicator] = []
        act: list[Activity] = []
        for p in parts:
            ind.extend(p.indicators)
            act.extend(p.activities)
        return CardData(tuple(ind), tuple(act))

    def __reduce__(self) -> tuple[Any, ...]:
        # Worker processes send each form's rows to the merge (kbbxl.pool): as columns of
        # plain values they pickle in half the time of one reduce per record, and come back
        # in ~0.8 of it (_records; benchmarks/bench_transport.py). Rows without a source
        # take the plain way.
        rows = (*self.indicators, *self.activities)
        if any(r.source is None for r in rows):
            return (CardData, (self.indicators, self.activities))
        return (_card_data, (_columns(Indicator, self.indicators),
                             _columns(Activity, self.activities)))


#: (row count, a tuple per field but the source, file / sheet / row columns of the sources)
_Columns = tuple[int, list[tuple[Any, ...]], list[tuple[Any, ...]]]


def _plain_fields(record: type) -> tuple[str, ...]:
    return tuple(f.name for f in fields(record) if f.name != "source")


def _columns(record: type, rows: tuple[Any, ...]) -> _Columns:
    """Records (each with a Source) as columns: CardData.__reduce__."""
    values = list(zip(*map(attrgetter(*_plain_fields(record)), rows), strict=True))
    get_source = attrgetter(*_plain_fields(Source))
    sources = list(zip(*map(get_source, (r.source for r in rows)), strict=True))
    return len(rows), values, sources


_new = object.__new__


def _records(record: type, columns: _Columns) -> tuple[Any, ...]:
    """The records of _columns again, equal field by field. Built by their slots' setters:
    the frozen dataclass's __init__ sets each field through object.__setattr__, at three
    times the cost (none of these classes has a __post_init__)."""
    n, values, source_values = columns
    if not n:
        return ()
    # Source's three fields set by name (a generic loop costs most of the gain); a field
    # added to Source makes this unpacking fail instead of losing its value
    set_file, set_sheet, set_row = (getattr(Source, f).__set__ for f in _plain_fields(Source))
    setters = [getattr(record, name).__set__ for name in _plain_fields(record)]
    set_source = record.source.__set__
    out = []
    for row_values, (file, sheet, number) in zip(zip(*values, strict=True),
                                                  zip(*source_values, strict=True), strict=True):
        source = _new(Source)
        set_file(source, file)
        set_sheet(source, sheet)
        set_row(source, number)
        row = _new(record)
        for set_value, value in zip(setters, row_values, strict=True):
            set_value(row, value)
        set_source(row, source)
        out.append(row)
    return tuple(out)


def _card_data(indicators: _Columns, activities: _Columns) -> CardData:
    return CardData(_records(Indicator, indicators), _records(Activity, activities))
