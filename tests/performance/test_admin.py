"""The scheme and manual scores in the admin: Chinese pages, weights adding up, one scheme in use."""

import datetime as dt

import pytest
from django.urls import reverse

from shenpi.performance.models import ManualScore, ScoringArea, ScoringScheme
from tests import factories as f

pytestmark = pytest.mark.django_db


def url(model, view="changelist", *args):
    return reverse(f"admin:performance_{model}_{view}", args=args)


def scheme_form(scheme: ScoringScheme, **changes) -> dict:
    """The change form of the scheme as the browser posts it back, with `changes` to area fields."""
    data = {"name": scheme.name, "basis": scheme.basis, "period": scheme.period, "base": str(scheme.base),
            "floor_at_zero": "on", "note": scheme.note}
    if scheme.active:
        data["active"] = "on"
    for prefix, rows, names in (("areas", scheme.areas.all(), ["sort", "code", "name", "weight", "kind", "measure",
                                                                  "description"]),
                                ("deductions", scheme.deductions.all(), ["name", "indicator", "every", "points"]),
                                ("bonuses", scheme.bonuses.all(), ["name", "indicator", "every", "points"])):
        rows = list(rows)
        data.update({f"{prefix}-TOTAL_FORMS": str(len(rows)), f"{prefix}-INITIAL_FORMS": str(len(rows)),
                     f"{prefix}-MIN_NUM_FORMS": "0", f"{prefix}-MAX_NUM_FORMS": "1000"})
        for i, row in enumerate(rows):
            data[f"{prefix}-{i}-id"] = str(row.pk)
            data[f"{prefix}-{i}-scheme"] = str(scheme.pk)
            for name in names:
                data[f"{prefix}-{i}-{name}"] = str(getattr(row, name))
    data.update(changes)
    return data


def test_admin_pages_load_in_chinese(admin_client):
    scheme = ScoringScheme.objects.get()
    for page in (url("scoringscheme"), url("scoringscheme", "change", scheme.pk), url("scoringscheme", "add"),
                 url("manualscore"), url("manualscore", "add")):
        assert admin_client.get(page).status_code == 200, page
    index = admin_client.get(reverse("admin:index")).text
    assert "绩效考核" in index and "考核方案" in index and "人工评分" in index
    page = admin_client.get(url("scoringscheme", "change", scheme.pk)).text
    assert "考核项" in page and "扣分规则" in page and "加分规则" in page and "权重(%)" in page


def test_weights_must_add_up_to_100(admin_client):
    scheme = ScoringScheme.objects.get()
    response = admin_client.post(url("scoringscheme", "change", scheme.pk),
                                 scheme_form(scheme, **{"areas-0-weight": "12"}))
    assert response.status_code == 200 and "各考核项权重之和须为100%，现为102%" in response.text
    assert ScoringArea.objects.get(code="openness").weight == 10
    # Moving two points from one area to another keeps 100 and is saved.
    response = admin_client.post(url("scoringscheme", "change", scheme.pk), scheme_form(
        scheme, **{"areas-0-weight": "12", "areas-3-weight": "6"}))
    assert response.status_code == 302
    assert ScoringArea.objects.get(code="openness").weight == 12 and ScoringArea.objects.get(code="fees").weight == 6


def test_a_measured_area_needs_its_measure(admin_client):
    scheme = ScoringScheme.objects.get()
    response = admin_client.post(url("scoringscheme", "change", scheme.pk), scheme_form(
        scheme, **{"areas-0-kind": "measured"}))
    assert response.status_code == 200 and "系统计算的考核项须选择计算指标" in response.text


def test_only_one_scheme_in_use(admin_client):
    response = admin_client.post(url("scoringscheme", "add"), {
        "name": "试行方案", "period": "monthly", "base": "100", "active": "on",
        **{f"{p}-{k}": v for p in ("areas", "deductions", "bonuses")
           for k, v in (("TOTAL_FORMS", "0"), ("INITIAL_FORMS", "0"), ("MIN_NUM_FORMS", "0"),
                        ("MAX_NUM_FORMS", "1000"))}})
    assert response.status_code == 200 and "已有一个正在使用的考核方案" in response.text
    assert ScoringScheme.objects.count() == 1


def test_manual_score_records_who_and_when(admin_client, admin_user):
    dept = f.department("教育局")
    area = ScoringArea.objects.get(code="integrity")
    response = admin_client.post(url("manualscore", "add"), {
        "area": area.pk, "department": dept.pk, "month": "2026-10-01", "score": "95", "note": "无违纪"})
    assert response.status_code == 302
    entry = ManualScore.objects.get()
    assert entry.entered_by == admin_user and entry.entered_at is not None and entry.month == dt.date(2026, 10, 1)
    response = admin_client.post(url("manualscore", "add"), {
        "area": area.pk, "department": dept.pk, "month": "2026-11-15", "score": "95"})
    assert response.status_code == 200 and "考核月份请填写该月1日" in response.text
    # A measured area is not offered: the system computes it.
    response = admin_client.post(url("manualscore", "add"), {
        "area": ScoringArea.objects.get(code="time_limit").pk, "department": dept.pk, "month": "2026-11-01",
        "score": "95"})
    assert response.status_code == 200 and ManualScore.objects.count() == 1
