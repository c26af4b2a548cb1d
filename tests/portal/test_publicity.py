"""办件公示 and 结果公示: by the item's publicity setting, paged by keyset, results with the reasons of refusals
and denials; no individual's number, name, ID or phone on any public page."""

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from shenpi import clock
from shenpi.cases import services
from shenpi.cases.models import ApplicantKind
from shenpi.catalog.models import ItemVersion
from shenpi.portal import publicity

from .conftest import SECRET_OPINION, accepted, at, completed, receive

ORG = ApplicantKind.ORGANISATION


def get(url, **params) -> str:
    response = Client().get(url, params)
    assert response.status_code == 200
    return response.content.decode()


def numbers(html: str) -> list[str]:
    return re.findall(r'<td class="mono">([0-9A-Z]{16})</td>', html)


def publicity_of(item, value: str) -> None:
    ItemVersion.objects.filter(item=item).update(publicity=value)


def board_rows(html: str) -> int:
    return html.count("<tr>") - 1  # the header row


def test_the_case_board_names_organisations_and_shows_individuals_anonymously(portal):
    person = accepted(portal, name="张三", id_number="11010519491231002X", phone="13812341234")
    company = accepted(portal, kind=ORG, name="示范建设有限公司")
    html = get("/publicity/cases/")
    assert numbers(html) == [company.number] and "示范建设有限公司" in html
    assert person.number not in html and board_rows(html) == 2  # the person's case is there, anonymously
    for personal in ("张", "110105", "002X", "1381", "1234", "****"):
        assert personal not in html, personal
    assert "证件号码</th>" not in html and "联系电话</th>" not in html
    assert "办理中" in html and "建筑工程施工许可证核发" in html and "不公示" in html


def test_an_anonymous_item_hides_organisations_too_and_a_none_item_is_not_published(portal):
    publicity_of(portal.licence, ItemVersion.Publicity.ANONYMOUS)
    publicity_of(portal.both, ItemVersion.Publicity.NONE)
    company = accepted(portal, kind=ORG, name="示范建设有限公司")
    hidden = accepted(portal, item=portal.both, kind=ORG, name="隐秘实业有限公司")
    hidden_person = accepted(portal, item=portal.both, name="李四")
    html = get("/publicity/cases/")
    assert company.number not in html and "示范建设有限公司" not in html and board_rows(html) == 1
    assert "房屋建筑工程竣工验收备案" not in html and hidden.number not in html and hidden_person.number not in html
    assert "隐秘实业有限公司" not in get("/") and "房屋建筑工程竣工验收备案" not in get("/")
    assert [row.case.pk for row in publicity.case_board().rows] == [company.pk]


def test_voided_cases_are_not_public(portal):
    case = accepted(portal, kind=ORG)
    services.perform(case, "void", actor=portal.people["admin"], params={"reason": "重复登记"})
    assert case.number not in get("/publicity/cases/")


def test_the_board_reads_no_encrypted_column_and_few_queries(portal):
    for _ in range(3):
        accepted(portal)
    with CaptureQueriesContext(connection) as queries:
        publicity.case_board()
        publicity.result_board()
    sql = " ".join(q["sql"] for q in queries.captured_queries)
    assert '"query_code"' not in sql and '"applicant_id"' not in sql and '"contact_phone"' not in sql
    assert len(queries.captured_queries) == 3  # one for the cases, one per result stream


def test_the_case_board_pages_by_keyset_both_ways(portal, monkeypatch):
    monkeypatch.setattr(publicity, "PAGE_SIZE", 3)
    cases = [receive(portal, kind=ORG).number for _ in range(7)]
    newest = cases[::-1]
    first = get("/publicity/cases/")
    assert numbers(first) == newest[:3]
    older = re.search(r'href="\?before=(\d+)">下一页', first).group(1)
    second = get("/publicity/cases/", before=older)
    assert numbers(second) == newest[3:6]
    third = get("/publicity/cases/", before=re.search(r'href="\?before=(\d+)">下一页', second).group(1))
    assert numbers(third) == newest[6:] and "下一页" not in third
    back = re.search(r'href="\?after=(\d+)">上一页', third).group(1)
    assert numbers(get("/publicity/cases/", after=back)) == newest[3:6]
    # Near the top, "newer" is the first page; nonsense cursors are ignored.
    assert numbers(get("/publicity/cases/", after=re.search(r'after=(\d+)', second).group(1))) == newest[:3]
    assert numbers(get("/publicity/cases/", before="abc", after="-4")) == newest[:3]


def test_the_board_filters_by_department(portal):
    receive(portal, kind=ORG)
    services.receive(actor=portal.police_people["clerk"], item=portal.idcard,
                     applicant=services.ApplicantInput(kind="person", name="王五", id_number="11010519491231002X"),
                     materials={})
    html = get("/publicity/cases/", department=portal.police.code)
    assert "居民身份证换领" in html and "建筑工程施工许可证核发" not in html and board_rows(html) == 1
    assert "王五" not in html and "王*" not in html


@pytest.mark.clocks
def test_results_show_decisions_once_delivered_with_the_reasons_of_refusals_and_denials(portal):
    people = portal.people
    granted = completed(portal, kind=ORG, name="甲建设有限公司")
    denied = completed(portal, kind=ORG, name="乙建设有限公司", deny="施工图审查不合格，不符合建筑法第八条规定")
    refused = services.perform(receive(portal, kind=ORG, name="丙建设有限公司"), "refuse", actor=people["clerk"],
                               params={"reason": "申请事项依法不需要取得行政许可"})
    undelivered = accepted(portal, kind=ORG)
    for role in ("handler", "reviewer", "approver"):
        undelivered = services.perform(undelivered, "pass", actor=people[role], params={"opinion": "同意"})
    undelivered = services.perform(undelivered, "grant", actor=people["approver"])
    in_progress = accepted(portal, kind=ORG)
    html = get("/publicity/results/")
    found = numbers(html)
    assert set(found) == {granted.number, denied.number, refused.number}
    assert undelivered.number not in found and in_progress.number not in found
    assert "准予许可" in html and "建筑工程施工许可证" in html
    assert "不予许可" in html and "施工图审查不合格，不符合建筑法第八条规定" in html
    assert "不予受理" in html and "申请事项依法不需要取得行政许可" in html
    assert "甲建设有限公司" in html and "乙建设有限公司" in html and "丙建设有限公司" in html
    assert SECRET_OPINION not in html  # a grant's opinion is the approver's, not a reason
    # Filtering by result.
    assert numbers(get("/publicity/results/", kind="deny")) == [denied.number]
    assert numbers(get("/publicity/results/", kind="refused")) == [refused.number]
    assert numbers(get("/publicity/results/", kind="grant")) == [granted.number]
    assert len(numbers(get("/publicity/results/", kind="unknown"))) == 3


@pytest.mark.clocks
def test_an_individuals_result_shows_the_item_result_and_date_only(portal):
    denied = completed(portal, name="张三", deny="张三的住房面积超出标准")
    publicity_of(portal.both, ItemVersion.Publicity.NONE)
    hidden = completed(portal, item=portal.both, kind=ORG, name="隐秘实业有限公司")
    html = get("/publicity/results/")
    assert "不予许可" in html and "建筑工程施工许可证核发" in html and board_rows(html) == 1
    assert denied.number not in html and "张" not in html  # no number, no name, not even in the reason
    assert hidden.number not in html and "隐秘实业有限公司" not in html and "房屋建筑工程竣工验收备案" not in html


def test_results_are_ordered_by_when_they_ended_across_decisions_and_refusals(portal, monkeypatch):
    monkeypatch.setattr(publicity, "PAGE_SIZE", 2)
    ended = []
    for day, kind in ((2, "grant"), (3, "refuse"), (6, "grant"), (7, "refuse"), (8, "deny")):
        clock.set_now(at(2026, 7, day, 9))
        if kind == "refuse":
            case = services.perform(receive(portal, kind=ORG), "refuse", actor=portal.people["clerk"],
                                    params={"reason": "不属于受理范围"})
        else:
            case = completed(portal, kind=ORG, deny="不符合条件" if kind == "deny" else "")
        ended.append(case.number)
    clock.set_now(None)
    newest = ended[::-1]
    first = get("/publicity/results/")
    assert numbers(first) == newest[:2]
    cursor = re.search(r'href="\?before=([0-9-]+)">下一页', first).group(1)
    second = get("/publicity/results/", before=cursor)
    assert numbers(second) == newest[2:4]
    third = get("/publicity/results/", before=re.search(r'before=([0-9-]+)">下一页', second).group(1))
    assert numbers(third) == newest[4:] and "下一页" not in third
    back = re.search(r'href="\?after=([0-9-]+)">上一页', third).group(1)
    assert numbers(get("/publicity/results/", after=back)) == newest[2:4]
    assert numbers(get("/publicity/results/", before="garbage")) == newest[:2]


@pytest.mark.clocks
def test_the_home_page_shows_the_latest_cases_and_results_without_individuals(portal):
    completed(portal, name="张三")
    completed(portal, kind=ORG, name="示范建设有限公司")
    html = get("/")
    assert "张" not in html and "示范建设有限公司" in html and "准予许可" in html
