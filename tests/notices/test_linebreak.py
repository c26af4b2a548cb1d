"""避头尾: no line starts with a closing or pause mark, none ends with an opening one."""

import pytest

from shenpi.cases.linebreak import NO_LINE_END, NO_LINE_START, break_lines, can_break


def em(char: str) -> float:
    # Chinese characters and full-width marks one em, Latin half of one.
    return 0.5 if char.isascii() else 1.0


def lines_of(text: str, width: float, first: float | None = None) -> list[str]:
    return break_lines(text, em, [first if first is not None else width, width])


def test_a_comma_that_would_start_a_line_takes_the_previous_character_with_it():
    # Greedy filling at 4 ems would give "甲乙丙丁" / "，戊己".
    assert lines_of("甲乙丙丁，戊己", 4) == ["甲乙丙", "丁，戊己"]


@pytest.mark.parametrize("mark", "，。、；：？！）」』》")
def test_no_line_starts_with_a_closing_or_pause_mark(mark):
    lines = lines_of(f"一二三四{mark}五六七八九十", 4)
    assert "".join(lines) == f"一二三四{mark}五六七八九十"
    assert all(line[0] not in NO_LINE_START for line in lines)
    assert all(len(line) <= 4 for line in lines)


@pytest.mark.parametrize("mark", "（「『《")
def test_no_line_ends_with_an_opening_mark(mark):
    lines = lines_of(f"一二三{mark}四五六七", 4)
    assert lines == ["一二三", f"{mark}四五六", "七"]


def test_two_marks_in_a_row_move_together():
    lines = lines_of("一二三四）。五六", 4)
    assert lines == ["一二三", "四）。五", "六"]


def test_latin_runs_such_as_case_numbers_are_not_cut():
    lines = lines_of("办件编号：SP2026093000417，已受理", 8)
    assert "SP2026093000417" in "".join(line for line in lines if "SP" in line)
    assert all(line[0] not in NO_LINE_START for line in lines)


def test_the_first_line_can_be_shorter_for_the_indent():
    assert lines_of("一二三四五六七八", 4, first=2) == ["一二", "三四五六", "七八"]


def test_a_line_that_cannot_be_broken_lets_a_mark_hang():
    # One unbreakable Latin run filling the line: the comma hangs instead of starting the next.
    assert lines_of("ABCDEFGH，甲乙", 4) == ["ABCDEFGH，", "甲乙"]


def test_break_rules():
    assert can_break("甲乙", 1)
    assert not can_break("甲，", 1)
    assert not can_break("（甲", 1)
    assert not can_break("a1", 1)
    assert all(mark not in NO_LINE_END for mark in NO_LINE_START)
