"""Codes of the hierarchy: parsing, variants seen in the document, errors."""

import pytest

from kbbxl.model import (
    Activity,
    CodeError,
    Indicator,
    PerformanceTarget,
    Source,
    TargetCode,
    canonical_target_code,
    normalize_economic_code,
    parse_goal_code,
    parse_objective_code,
)


@pytest.mark.parametrize(
    "text, canonical",
    [
        ("KE/PH.1.10.1", "KE/PH.1.10.1"),
        ("KE/Ph.1.10.1", "KE/PH.1.10.1"),  # the document's variant
        ("ku/ph.6.5.1", "KU/PH.6.5.1"),
        (" TO / PH . 2.1.1 ", "TO/PH.2.1.1"),
        ("KE/PH.01.1.1", "KE/PH.1.1.1"),
        ("KE/PH.1.1\u0663.1", "KE/PH.1.13.1"),  # an Arabic-Indic digit
        ("KE/PH.0.1.1", "KE/PH.0.1.1"),
    ],
)
def test_target_codes_are_canonicalised(text, canonical):
    assert canonical_target_code(text) == canonical
    assert canonical_target_code(text) == str(TargetCode.parse(text))


def test_target_code_parts_and_order():
    code = TargetCode.parse("KE/PH.1.10.1")
    assert (code.axis, code.goal, code.objective, code.number) == ("KE", 1, 10, 1)
    assert code.objective_code == "KE.1.10"
    assert code.goal_code == "KE.1"
    codes = ["KU/PH.1.1.1", "KE/PH.1.10.1", "TO/PH.1.1.1", "KE/PH.1.2.1"]
    assert sorted(codes, key=TargetCode.parse) == [
        "KE/PH.1.2.1",
        "KE/PH.1.10.1",
        "TO/PH.1.1.1",
        "KU/PH.1.1.1",
    ]


@pytest.mark.parametrize(
    "text", ["KE.1.1", "XX/PH.1.1.1", "KE/PH.1.1", "KE-PH.1.1.1", "", "PH.1.1.1"]
)
def test_invalid_target_codes(text):
    with pytest.raises(CodeError):
        TargetCode.parse(text)


def test_goal_and_objective_codes():
    assert parse_goal_code("KE.1") == ("KE", 1)
    assert parse_objective_code("KE.1.10") == ("KE", 1, 10)
    with pytest.raises(CodeError):
        parse_goal_code("KE")
    with pytest.raises(CodeError):
        parse_objective_code("ZZ.1.1")


@pytest.mark.parametrize(
    "value, code",
    [("3", "03"), ("03", "03"), (6.0, "06"), ("05 Cari Transferler", "05"), ("9- Yedek", "09")],
)
def test_economic_codes(value, code):
    assert normalize_economic_code(value) == code


@pytest.mark.parametrize("value", ["10", "0", "abc", "00"])
def test_invalid_economic_codes(value):
    with pytest.raises(CodeError):
        normalize_economic_code(value)


@pytest.mark.parametrize("record", [Source, Indicator, Activity])
def test_records_pickle_with_every_field(record: type) -> None:
    """Records pickle as their constructor's arguments (__reduce__): a field added to the
    class but not to __reduce__ would come back as its default, or not at all."""
    import copy
    import pickle
    from dataclasses import fields

    original = record(**{f.name: f"value {i}" for i, f in enumerate(fields(record))})
    assert pickle.loads(pickle.dumps(original, pickle.HIGHEST_PROTOCOL)) == original
    assert copy.deepcopy(original) == original


def test_a_target_made_of_a_parsed_code_keeps_the_parse() -> None:
    code = TargetCode.parse("ke/Ph.1.10.2")
    target = PerformanceTarget.of(code, "Yol", "ULASIM")
    assert target == PerformanceTarget("KE/PH.1.10.2", "Yol", "ULASIM")
    assert target.parsed is code
    assert (target.goal_code, target.objective_code) == ("KE.1", "KE.1.10")
    plain = PerformanceTarget("KE/PH.1.10.2", "Yol", "ULASIM")
    assert plain.parsed is plain.parsed  # parsed once, then kept


def test_card_data_pickles_as_columns_and_comes_back_equal() -> None:
    """CardData crosses from the workers to the merge as columns (model._columns): every
    field of every record must come back, sources included; rows without a source take
    the plain way."""
    import pickle

    from kbbxl import model
    from kbbxl.model import Activity, CardData, Indicator, Source

    src = [Source("a.xlsx", "KE-PH.1.1.1", 10 + i) for i in range(3)]
    data = CardData(
        (Indicator("KE/PH.1.1.1", 1, "Gösterge", "Adet", 1.0, "-", 2.5, src[0]),
         Indicator("KE/PH.1.1.1", 2, "İkinci", "Yüzde", None, None, 3.0, src[1])),
        (Activity("KE/PH.1.1.1", 1, "Faaliyet", {"03": 5.0, "06": 0.0}, 1.5, src[2]),),
    )
    assert data.__reduce__()[0] is model._card_data
    back = pickle.loads(pickle.dumps(data, pickle.HIGHEST_PROTOCOL))
    assert back == data
    assert [type(r.source) for r in (*back.indicators, *back.activities)] == [Source] * 3
    plain = CardData((Indicator("KE/PH.1.1.1", 1, "x", "Adet", None, None, 1.0),), ())
    assert plain.__reduce__()[0] is CardData
    assert pickle.loads(pickle.dumps(plain)) == plain
    assert pickle.loads(pickle.dumps(CardData())) == CardData()
