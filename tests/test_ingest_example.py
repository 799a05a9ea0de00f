"""The committed example inbox: 21 filled 2021 forms that agree with the text data."""

from __future__ import annotations

from collections import Counter

import pytest

from kbbxl import form
from kbbxl.ingest import read_form
from kbbxl.prefill import generate


@pytest.fixture(scope="module")
def inbox(example_dir):
    return {p.name: read_form(p) for p in sorted((example_dir / "inbox").glob("*.xlsx"))}


def _content(raw):
    """Everything a form says, without where it says it (rows move when a layout changes)."""
    return (
        raw.meta, raw.fingerprint, [f.code for f in raw.findings],
        [(c.sheet, c.target, {k: v.value for k, v in c.header.items()},
          [{k: x.value for k, x in r.cells.items()} for r in c.indicators],
          [{k: x.value for k, x in r.cells.items()} for r in c.activities],
          None if c.totals is None else {k: x.value for k, x in c.totals.cells.items()})
         for c in raw.cards],
    )


def test_the_inbox_holds_every_department_and_card(inbox, program):
    assert sorted(inbox) == sorted(form.form_file_name(program, d.code)
                                   for d in program.departments)
    assert sum(len(raw.cards) for raw in inbox.values()) == len(program.targets) == 99
    for name, raw in inbox.items():
        assert raw.findings == [], name
        assert raw.meta["fingerprint"] == raw.fingerprint == form.fingerprint(
            program, raw.meta["department"])
        assert {program.target(c.target).department for c in raw.cards} == {
            raw.meta["department"]}


def test_the_inbox_agrees_with_the_text_data(inbox, program, carddata):
    indicators = Counter()
    activities = Counter()
    total = 0.0
    for raw in inbox.values():
        for card in raw.cards:
            for r in card.indicators:
                indicators[(card.target, r.value("seq"), r.value("name"), r.value("unit"),
                            r.value("past2"), r.value("past1"), r.value("goal"))] += 1
            for r in card.activities:
                activities[(card.target, r.value("seq"), r.value("name"),
                            *(r.value(form.economic_key(c)) for c in program.form_economic_codes),
                            r.value("off_budget") or 0.0)] += 1
                assert r.value("total") == sum(
                    r.value(k) or 0 for k in form.amount_columns(program))
            total += card.totals.value("total")
    assert indicators == Counter(
        (i.target, i.seq, i.name, i.unit, i.past2, i.past1, i.goal) for i in carddata.indicators)
    assert activities == Counter(
        (a.target, a.seq, a.name, *(a.amounts.get(c) for c in program.form_economic_codes),
         a.off_budget) for a in carddata.activities)
    assert total == sum(a.total for a in carddata.activities) == 2_236_009_100


def test_regenerating_the_inbox_gives_the_same_content(inbox, example_dir, tmp_path):
    result = generate(example_dir / "plan.xlsx", tmp_path, example_dir)
    assert len(result.paths) == 21
    for path in result.paths:
        assert _content(read_form(path)) == _content(inbox[path.name]), path.name
