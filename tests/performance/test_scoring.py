"""Scores from the default municipal scheme, computed by hand from the figures in conftest.py.

An area is worth base × weight / 100 points for a department (the weights add up to 100 %):
流程规范, 期限合法, 监督检查 14 points each, 政务公开 10, ….

Department A, October 2026, no manual score entered (未录入: 0 points, the month incomplete):
  流程规范 14 × 80 % = 11.2, 期限合法 14 × 80 % = 11.2, 监督检查 14 × 50 % = 7 → 29.4
  deductions: 7 warnings → floor(7/3) × 3 = 6, at most 5 a month; 1 yellow → 5; 1 red → 10: 20
  bonus: 提前办结率 40 % → 4 × 1 = 4 (at most 5)
  score 29.4 − 20 + 4 = 13.4
With every manual area scored (政务公开 90, 收费合理 100, 满意度 80, 服务态度 100, 法律责任 100, 廉洁行政 100):
  9 + 11.2 + 11.2 + 8 + 8 + 10 + 7 + 10 + 10 = 84.4; 84.4 − 20 + 4 = 68.4
Department B: every measured area 100 (42), nothing deducted, early rate 0, no manual score: 42.
September, A: one case completed early (bonus 10 × 1, at most 5), one warning (floor(1/3) = 0): 42 + 5 = 47.
"""

import datetime as dt
from decimal import Decimal
from fractions import Fraction

import pytest

from shenpi.performance import services
from shenpi.performance.models import BonusRule, DeductionRule, ManualScore, ScoringArea, ScoringScheme
from shenpi.performance.periods import Period
from shenpi.performance.scoring import NoScheme, Scheme, Source

OCTOBER = Period.parse("2026-10")
MANUAL = {"openness": 90, "fees": 100, "satisfaction": 80, "attitude": 100, "liability": 100, "integrity": 100}


def enter(world, month: Period, scores: dict, dept=None):
    scheme = Scheme.load()
    for area in scheme.manual_areas:
        if area.code in scores:
            services.enter_manual_scores(actor=world.people_a["supervisor"], area=area, month=month,
                                         entries={(dept or world.a).pk: (Decimal(scores[area.code]), "")})


def row_of(ranking, dept):
    return next(row for row in ranking.rows if row.subject.key == dept.pk)


def test_the_default_scheme_is_the_published_one(db):
    scheme = Scheme.load()
    assert scheme.scheme.base == 100 and scheme.scheme.active and scheme.scheme.period == "monthly"
    assert [(a.name, int(a.weight)) for a in scheme.areas] == [
        ("政务公开", 10), ("流程规范", 14), ("期限合法", 14), ("收费合理", 8), ("满意度", 10), ("服务态度", 10),
        ("监督检查", 14), ("法律责任", 10), ("廉洁行政", 10)]
    assert sum(a.weight for a in scheme.areas) == 100
    measured = {a.name: a.measure for a in scheme.areas if a.kind == ScoringArea.Kind.MEASURED}
    assert measured == {"流程规范": "procedure_rate", "期限合法": "on_time_rate", "监督检查": "rectification_rate"}
    assert [(d.indicator, int(d.every), int(d.points), int(d.cap)) for d in scheme.deductions] == [
        ("warnings", 3, 3, 5), ("yellow_cards", 1, 5, 10), ("red_cards", 1, 10, 15)]
    assert [(b.indicator, int(b.every), int(b.points), int(b.cap)) for b in scheme.bonuses] == [
        ("early_rate", 10, 1, 5)]


def test_month_score_with_measured_areas_only(world):
    ranking = services.assess(OCTOBER)
    a = row_of(ranking, world.a).months[0]
    assert a.weighted == Fraction("29.4")
    assert [line.points for line in a.deductions] == [5, 5, 10] and a.deducted == 20
    assert a.added == 4
    assert a.score == Fraction("13.4")
    assert a.area("time_limit").points == Fraction("11.2") and a.area("inspection").points == 7
    assert a.area("time_limit").full == 14 and a.area("openness").full == 10
    assert a.area("openness").source == Source.NOT_ENTERED and a.area("openness").points == 0
    assert a.not_entered == ["政务公开", "收费合理", "满意度", "服务态度", "法律责任", "廉洁行政"]
    assert not a.complete


def test_month_score_with_manual_areas(world):
    enter(world, OCTOBER, MANUAL)
    a = row_of(services.assess(OCTOBER), world.a).months[0]
    assert a.weighted == Fraction("84.4") and a.score == Fraction("68.4")
    assert a.area("openness").source == Source.MANUAL and a.area("openness").points == 9
    assert a.area("openness").manual.entered_by == world.people_a["supervisor"]
    assert a.not_entered == [] and a.complete


def test_ranking_orders_by_score(world):
    ranking = services.assess(OCTOBER)
    assert [(row.subject.name, row.rank, row.score) for row in ranking.rows] == [
        ("市场监督管理局", 1, 42), ("住房和城乡建设局", 2, Fraction("13.4"))]


def test_equal_scores_share_a_rank(world):
    c = world.a.__class__.objects.create(code="DX", name="教育局", sort=3)
    # A manual score only, of 0: no case completed, so the measured areas are full (42), like B's.
    enter(world, OCTOBER, {"openness": 0}, dept=c)
    ranks = {row.subject.name: row.rank for row in services.assess(OCTOBER).rows}
    assert ranks == {"市场监督管理局": 1, "教育局": 1, "住房和城乡建设局": 3}


def test_half_year_and_quarter_are_means_of_the_months(world):
    half = services.assess(Period.parse("2026-H2"))
    assert [m.code for m in half.months] == ["2026-07", "2026-08", "2026-09", "2026-10", "2026-11"]
    a = row_of(half, world.a)
    assert [(m.month.code, m.score) for m in a.months] == [("2026-09", 47), ("2026-10", Fraction("13.4"))]
    assert a.score == Fraction("30.2")
    assert [row.subject.name for row in half.rows] == ["市场监督管理局", "住房和城乡建设局"]
    quarter = services.assess(Period.parse("2026-Q4"))
    assert [m.code for m in quarter.months] == ["2026-10", "2026-11"]
    assert row_of(quarter, world.a).score == Fraction("13.4")


def test_a_period_not_begun_is_refused(world):
    with pytest.raises(services.AssessmentError, match="尚未开始"):
        services.assess(Period.parse("2026-12"))


def test_windows_and_persons_are_scored_on_measured_areas(world):
    ranking = services.assess(OCTOBER, "window")
    row = next(r for r in ranking.rows if r.subject.key == world.people_a["clerk"].window_id)
    month = row.months[0]
    assert month.area("openness").source == Source.DEPARTMENT_ONLY
    # Only the measured areas apply, 100 / 3 points each; the cards of its cases (no warning):
    # 80, 80, 50 → 70; −15; +4.
    assert month.area("time_limit").full == Fraction(100, 3) and month.area("openness").points is None
    assert month.weighted == 70 and month.deducted == 15 and month.score == 59 and month.complete
    assert row.subject.department_name == "住房和城乡建设局"


def test_floor_at_zero_and_caps(world):
    scheme = ScoringScheme.objects.get(active=True)
    DeductionRule.objects.filter(scheme=scheme, indicator="red_cards").update(points=200, cap=None)
    assert row_of(services.assess(OCTOBER), world.a).score == 0
    scheme.floor_at_zero = False
    scheme.save()
    assert row_of(services.assess(OCTOBER), world.a).score == Fraction("29.4") - 5 - 5 - 200 + 4
    DeductionRule.objects.filter(scheme=scheme, indicator="red_cards").update(points=10, cap=8)
    BonusRule.objects.filter(scheme=scheme).update(cap=3)
    month = row_of(services.assess(OCTOBER), world.a).months[0]
    assert month.deducted == 5 + 5 + 8 and month.added == 3 and month.score == Fraction("29.4") - 18 + 3


def test_measured_area_without_data_counts_full(world):
    """满意度 switched to the satisfaction rate has no rating yet: nothing to reproach, its 10 points."""
    ScoringArea.objects.filter(code="satisfaction").update(kind=ScoringArea.Kind.MEASURED, measure="satisfaction_rate")
    month = row_of(services.assess(OCTOBER), world.a).months[0]
    assert month.area("satisfaction").source == Source.NO_DATA and month.area("satisfaction").points == 10
    assert month.weighted == Fraction("39.4")


def test_a_department_score_recomputed_by_hand_from_the_scheme(world):
    """Every figure read from the scheme's rows and the indicators, the arithmetic written out here."""
    enter(world, OCTOBER, {"openness": 85, "attitude": 95})
    month = row_of(services.assess(OCTOBER), world.a).months[0]
    ind = month.indicators
    scheme = ScoringScheme.objects.get(active=True)
    areas = list(scheme.areas.order_by("sort"))
    assert sum(a.weight for a in areas) == 100  # the weights add up to the base's 100 %
    manual = {m.area.code: m.score for m in ManualScore.objects.filter(department=world.a, month=OCTOBER.first)}
    measured = {"procedure_rate": Fraction(100 * (ind.completed - ind.procedure_flagged), ind.completed),
                "on_time_rate": Fraction(100 * ind.on_time, ind.completed),
                "rectification_rate": Fraction(100 * ind.cards_answered, ind.yellow_cards + ind.red_cards)}
    points = Fraction(0)
    for area in areas:
        full = Fraction(scheme.base) * Fraction(area.weight) / 100
        value = measured[area.measure] if area.kind == "measured" else Fraction(manual.get(area.code, 0))
        points += full * value / 100
        assert month.area(area.code).points == full * value / 100
    deducted = sum(min(Fraction(r.points) * (getattr(ind, r.indicator) // int(r.every)), Fraction(r.cap))
                   for r in scheme.deductions.all())
    added = sum(min(Fraction(r.points) * int(ind.early_rate // Fraction(r.every)), Fraction(r.cap))
                for r in scheme.bonuses.all())
    assert (points, deducted, added) == (Fraction("11.2") + Fraction("11.2") + 7 + Fraction("8.5") + Fraction("9.5"),
                                         20, 4)
    assert month.score == points - deducted + added == Fraction("31.4")
    # What the page and the Excel show add up the same way: the cells, less the deductions, plus the bonuses.
    assert month.score == sum(a.points for a in month.areas) - month.deducted + month.added


def test_no_active_scheme(world):
    ScoringScheme.objects.update(active=False)
    with pytest.raises(NoScheme):
        services.assess(OCTOBER)


# -- manual scores ---------------------------------------------------------------------------------------

def test_manual_scores_keep_who_and_when(world, frozen):
    area = ScoringArea.objects.get(code="openness")
    supervisor, admin = world.people_a["supervisor"], world.people_a["admin"]
    result = services.enter_manual_scores(actor=supervisor, area=area, month=OCTOBER, entries={
        world.a.pk: (Decimal("88.5"), "指南更新不及时"), world.b.pk: (Decimal(95), "")})
    assert (result.created, result.updated, result.removed) == (2, 0, 0)
    entry = ManualScore.objects.get(area=area, department=world.a)
    assert (entry.score, entry.note, entry.entered_by, entry.entered_at) == (
        Decimal("88.5"), "指南更新不及时", supervisor, frozen)
    assert entry.month == dt.date(2026, 10, 1)
    result = services.enter_manual_scores(actor=admin, area=area, month=OCTOBER, entries={
        world.a.pk: (Decimal("88.5"), "指南更新不及时"), world.b.pk: (None, "")})
    assert (result.created, result.updated, result.removed) == (0, 0, 1)
    assert ManualScore.objects.get(area=area, department=world.a).entered_by == supervisor  # unchanged: kept
    services.enter_manual_scores(actor=admin, area=area, month=OCTOBER, entries={world.a.pk: (Decimal(90), "")})
    assert ManualScore.objects.get(area=area, department=world.a).entered_by == admin


@pytest.mark.parametrize(("who", "message"), [("handler", "只有监察员"), ("liaison", "只有监察员")])
def test_only_supervisors_and_administrators_enter_scores(world, who, message):
    area = ScoringArea.objects.get(code="openness")
    with pytest.raises(services.AssessmentError, match=message):
        services.enter_manual_scores(actor=world.people_a[who], area=area, month=OCTOBER,
                                     entries={world.a.pk: (Decimal(90), "")})
    assert not ManualScore.objects.exists()


def test_manual_scores_refuse_bad_input(world):
    supervisor = world.people_a["supervisor"]
    measured = ScoringArea.objects.get(code="time_limit")
    manual = ScoringArea.objects.get(code="openness")
    cases = [
        (measured, OCTOBER, {world.a.pk: (Decimal(90), "")}, "由系统计算"),
        (manual, Period.parse("2026-Q4"), {world.a.pk: (Decimal(90), "")}, "按月录入"),
        (manual, Period.parse("2026-12"), {world.a.pk: (Decimal(90), "")}, "尚未开始"),
        (manual, OCTOBER, {world.a.pk: (Decimal(101), "")}, "0到100"),
        (manual, OCTOBER, {world.a.pk: (Decimal(90), ""), 999999: (Decimal(90), "")}, "部门不存在"),
    ]
    for area, month, entries, message in cases:
        with pytest.raises(services.AssessmentError, match=message):
            services.enter_manual_scores(actor=supervisor, area=area, month=month, entries=entries)
    assert not ManualScore.objects.exists()  # nothing half-saved


@pytest.mark.parametrize(("typed", "expected"), [("", None), (" 95 ", Decimal(95)), ("88.25", Decimal("88.25")),
                                                 ("0", Decimal(0)), ("100", Decimal(100))])
def test_parse_score(typed, expected):
    assert services.parse_score(typed) == expected


@pytest.mark.parametrize("typed", ["abc", "-1", "100.5", "88.125", "NaN", "Infinity"])
def test_parse_score_refuses(typed):
    with pytest.raises(ValueError):
        services.parse_score(typed)
