"""投资项目统一代码: every well-formed code parses back to itself; every mutation of one is refused
with a message saying what is wrong (no database needed)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shenpi.errors import InvalidInput
from shenpi.joint import codes

THIS_YEAR = 2026
checked = settings(max_examples=300, deadline=None)

provinces = st.sampled_from(sorted(codes.PROVINCES))
valid_codes = st.builds(
    lambda year, province, rest, industry, kind, serial:
        f"{year}-{province:02d}{rest:04d}-{industry:02d}-{kind}-{serial:06d}",
    st.integers(codes.FIRST_YEAR, THIS_YEAR), provinces, st.integers(0, 9999), st.integers(1, 97),
    st.sampled_from(sorted(codes.KINDS)), st.integers(1, 999_999))


@checked
@given(code=valid_codes, padding=st.sampled_from(["", " ", "  "]))
def test_valid_codes_parse_back_to_themselves(code, padding):
    assert codes.problem(padding + code + padding, this_year=THIS_YEAR) is None
    parsed = codes.parse(padding + code + padding, this_year=THIS_YEAR)
    assert str(parsed) == code
    year, division, industry, kind, serial = code.split("-")
    assert (parsed.year, parsed.division, parsed.industry, parsed.kind, parsed.serial) == (
        int(year), division, industry, kind, int(serial))
    assert codes.serial_of(code) == int(serial)
    assert code.startswith(codes.prefix(int(year), division))


def _group(code: str, index: int, value: str) -> str:
    groups = code.split("-")
    groups[index] = value
    return "-".join(groups)


# Each mutation turns a valid code into an invalid one.
mutations = st.one_of(
    # a character replaced by something else than a digit or dash
    st.tuples(st.just("char"), st.integers(0, 23), st.sampled_from(list("AOl_ /。xＯ１"))),
    # a digit typed in full width (an input method's １ for 1): a Unicode \d would take it
    st.tuples(st.just("fullwidth"), st.sampled_from([i for i in range(24) if i not in (4, 11, 14, 17)]),
              st.just("")),
    # a character dropped, or a digit added
    st.tuples(st.just("drop"), st.integers(0, 23), st.just("")),
    st.tuples(st.just("add"), st.integers(0, 23), st.sampled_from(list("0123456789"))),
    # a dash moved: two neighbouring characters swapped where one is a dash
    st.tuples(st.just("swap-dash"), st.sampled_from([3, 4, 10, 11, 13, 14, 16, 17]), st.just("")),
    # each group out of its range
    st.tuples(st.just("year"), st.just(0), st.sampled_from(["2018", "2000", "1999", str(THIS_YEAR + 1), "9999"])),
    st.tuples(st.just("province"), st.just(1), st.sampled_from(["000000", "100000", "190000", "990106", "660100"])),
    st.tuples(st.just("industry"), st.just(2), st.sampled_from(["00", "98", "99"])),
    st.tuples(st.just("kind"), st.just(3), st.sampled_from(["00", "04", "10", "99"])),
    st.tuples(st.just("serial"), st.just(4), st.just("000000")),
)


def mutate(code: str, how: tuple) -> str:
    kind, where, value = how
    if kind == "char":
        return code[:where] + value + code[where + 1:]
    if kind == "fullwidth":
        return code[:where] + chr(ord(code[where]) - ord("0") + ord("０")) + code[where + 1:]
    if kind == "drop":
        return code[:where] + code[where + 1:]
    if kind == "add":
        return code[:where] + value + code[where:]
    if kind == "swap-dash":
        return code[:where] + code[where + 1] + code[where] + code[where + 2:]
    return _group(code, where, value)


@checked
@given(code=valid_codes, how=mutations)
def test_mutated_codes_are_refused_with_a_message(code, how):
    bad = mutate(code, how)
    assert bad != code
    message = codes.problem(bad, this_year=THIS_YEAR)
    assert message and "项目代码" in message
    with pytest.raises(InvalidInput) as refused:
        codes.parse(bad, this_year=THIS_YEAR, field="project_code")
    assert refused.value.message == message
    assert refused.value.fields == {"project_code": [message]}


def test_the_message_names_what_is_wrong():
    good = "2026-330100-47-01-012345"
    assert "年份" in codes.problem(_group(good, 0, "2018"), this_year=THIS_YEAR)
    assert "行政区划" in codes.problem(_group(good, 1, "990100"), this_year=THIS_YEAR)
    assert "行业" in codes.problem(_group(good, 2, "98"), this_year=THIS_YEAR)
    assert "类型" in codes.problem(_group(good, 3, "04"), this_year=THIS_YEAR)
    assert "流水号" in codes.problem(_group(good, 4, "000000"), this_year=THIS_YEAR)
    assert "格式" in codes.problem("2026-330100-47-01-12345", this_year=THIS_YEAR)
    assert "格式" in codes.problem("2026-330100-47-01-01234５", this_year=THIS_YEAR)


def test_a_project_with_full_width_digits_is_refused(world):
    import dataclasses

    from shenpi.joint import services
    from tests import factories as f

    good = services.ProjectInput(
        name="城西科创中心一期", owner_name="杭州示范置业有限公司", owner_uscc=f.ORG_USCC, location="杭州市西湖区",
        division="330106", total_investment="52000", kind="01", industry="47", project_type=world.project_type,
        lead_department=world.departments[0])
    for bad in ({"division": "３３0106"}, {"industry": "４7"}, {"code": "2026-330106-47-01-01234５"}):
        with pytest.raises(InvalidInput) as refused:
            services.register_project(actor=world.clerk, data=dataclasses.replace(good, **bad))
        assert set(refused.value.fields) == set(bad)
    assert services.register_project(actor=world.clerk, data=good).code.endswith("-000001")
