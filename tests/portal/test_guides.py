"""办事指南: browse by theme and department, search in Chinese, an item's page, a department's page."""

import re

import pytest
from django.test import Client

from shenpi.catalog.models import ItemVersion, Window
from shenpi.portal import guides

INLINE = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>|<style\b|\sstyle=", re.IGNORECASE)


def get(url, **params):
    response = Client().get(url, params)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def names(html: str) -> list[str]:
    return re.findall(r'class="guide-name"[^>]*>([^<]+)<', html)


def test_every_public_page_opens_without_login_and_keeps_to_the_csp(portal):
    for url in ("/", "/guide/", f"/guide/{portal.licence.code}/", "/departments/", f"/departments/{portal.dept.code}/",
                "/query/", "/publicity/cases/", "/publicity/results/"):
        response = Client().get(url)
        assert response.status_code == 200, url
        body = response.content.decode()
        assert not INLINE.search(body), url
        assert "https://" not in body and "//cdn" not in body
        assert "script-src 'self'" in response["Content-Security-Policy"]


def test_typing_part_of_a_name_finds_the_item(portal):
    html = get("/guide/", q="施工许可")
    found = names(html)
    assert found[0] == "建筑工程施工许可证核发"
    assert "城东区建筑业企业资质变更" not in found
    assert "居民身份证换领" not in found
    # Drafts and retired versions are not public.
    assert "建筑施工草稿事项" not in html and "已停用的施工许可事项" not in html


def test_words_are_all_required_and_name_matches_come_first(portal):
    assert names(get("/guide/", q="建筑 变更")) == ["城东区建筑业企业资质变更"]
    # 施工许可 is only in the conditions of the 竣工验收备案 item: found, after the names holding it.
    found = names(get("/guide/", q="施工许可"))
    assert found.index("建筑工程施工许可证核发") < found.index("房屋建筑工程竣工验收备案")


def test_a_query_matching_no_name_offers_the_nearest_names(portal):
    html = get("/guide/", q="施工许可证办理")
    assert "没有完全匹配的事项" in html
    assert names(html)[0] == "建筑工程施工许可证核发"
    html = get("/guide/", q="火星签证")
    assert names(html) == [] and "没有找到相关事项" in html


def test_search_by_item_code_and_in_legal_basis(portal):
    assert names(get("/guide/", q=portal.idcard.code)) == ["居民身份证换领"]
    assert names(get("/guide/", q="居民身份证法")) == ["居民身份证换领"]


def test_themes_split_by_audience_and_both_belong_to_each(portal):
    person = names(get("/guide/", theme="person"))
    organisation = names(get("/guide/", theme="organisation"))
    assert "居民身份证换领" in person and "居民身份证换领" not in organisation
    assert "城东区建筑业企业资质变更" in organisation and "城东区建筑业企业资质变更" not in person
    assert "房屋建筑工程竣工验收备案" in person and "房屋建筑工程竣工验收备案" in organisation
    assert {key: n for key, _, n in guides.facets().themes} == {"person": 3, "organisation": 3}


def test_browsing_a_department_includes_its_subordinate_units(portal):
    found = names(get("/guide/", department=portal.dept.code))
    assert set(found) == {"建筑工程施工许可证核发", "房屋建筑工程竣工验收备案", "城东区建筑业企业资质变更"}
    assert names(get("/guide/", department=portal.police.code)) == ["居民身份证换领"]
    # Filters combine with the search.
    assert names(get("/guide/", department=portal.dept.code, theme="person", q="备案")) == ["房屋建筑工程竣工验收备案"]
    # An unknown department or theme is ignored rather than an error.
    assert len(names(get("/guide/", department="NOPE", theme="alien"))) == 4


def test_the_item_page_holds_everything_the_catalogue_does(portal):
    version = portal.licence.current_version()
    html = get(f"/guide/{portal.licence.code}/")
    for text in ("建筑工程施工许可证核发", portal.licence.code, "行政许可", "法人", "住房和城乡建设局",
                 "《中华人民共和国建筑法》第七条、第八条", "已经办理该建筑工程用地批准手续",
                 "建筑工程施工许可申请表", "建设工程规划许可证", "施工图设计文件审查合格书", "其他补充材料",
                 "视情况提交", "可下载表格填写", "下载表格",
                 "20个工作日", "10个工作日", "专家评审", "不超过15个工作日",
                 "施工许可证工本费", "每证10元", "发改价格〔2020〕示例号", "《建设工程施工许可收费标准》（示例）",
                 "市民中心二楼A区住建局窗口", "工作日 上午9:00-12:00", "网上申报或窗口申请",
                 "四级：全程网办", "零跑动", "0000-12345678", "审查", "审核", "审批", "建筑工程施工许可证"):
        assert text in html, text
    spec = version.materials.order_by("seq").first()
    assert f"/guide/{portal.licence.code}/materials/{spec.pk}/template/" in html
    # 容缺: the deferrable material says so.
    assert "允许" in html


def test_an_on_the_spot_free_item_says_so(portal):
    html = get(f"/guide/{portal.idcard.code}/")
    assert "即办（当场办结）" in html and "不收费" in html and "最多跑1次" in html and "个人" in html


def test_drafts_retired_and_unknown_items_have_no_page(portal):
    for item in (portal.draft, portal.retired):
        response = Client().get(f"/guide/{item.code}/")
        assert response.status_code == 404 and "该事项不存在或已停止办理" in response.content.decode()
    assert Client().get("/guide/NOPE-1/").status_code == 404


def test_a_material_template_downloads_as_an_attachment(portal):
    spec = portal.licence.current_version().materials.order_by("seq").first()
    response = Client().get(f"/guide/{portal.licence.code}/materials/{spec.pk}/template/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"PK\x03\x04 template bytes"
    assert response["Content-Disposition"].startswith("attachment")
    assert "filename*=utf-8''" in response["Content-Disposition"]  # the material's Chinese name
    other = portal.licence.current_version().materials.order_by("seq").last()
    assert Client().get(f"/guide/{portal.licence.code}/materials/{other.pk}/template/").status_code == 404
    # Another item's code does not reach this template.
    assert Client().get(f"/guide/{portal.idcard.code}/materials/{spec.pk}/template/").status_code == 404


def test_a_draft_versions_template_is_not_public(portal):
    spec = portal.draft.versions.get().materials.order_by("seq").first()
    spec.template = portal.licence.current_version().materials.order_by("seq").first().template
    spec.save()
    assert Client().get(f"/guide/{portal.draft.code}/materials/{spec.pk}/template/").status_code == 404


def test_the_department_page_shows_functions_windows_and_staff_on_duty(portal):
    Window.objects.create(department=portal.dept, number="B02", name="住建综合窗口", location="二楼B区")
    html = get(f"/departments/{portal.dept.code}/")
    for text in ("住房和城乡建设局", "负责建筑工程施工许可、建筑市场监管。", "0000-88120002", "市民中心二楼A区",
                 "B02", "住建综合窗口", "王晓梅", "窗口人员", "李建国", "承办人", "陈志远",
                 "建筑工程施工许可证核发", "房屋建筑工程竣工验收备案", "城东区住房和城乡建设局"):
        assert text in html, text
    # Off-duty staff, account names and e-mail addresses are not public; nor are drafts.
    assert "休假人员" not in html
    clerk = portal.people["clerk"]
    assert clerk.username not in html and "example.invalid" not in html
    assert "建筑施工草稿事项" not in html
    # Centre-wide roles (supervisor, administrator) are not a department's window staff.
    assert "监察员" not in html and "中心管理员" not in html


def test_the_departments_list_and_an_unknown_department(portal):
    html = get("/departments/")
    assert "住房和城乡建设局" in html and "公安局" in html and "县(区)级" in html
    response = Client().get("/departments/NOPE/")
    assert response.status_code == 404 and "没有这个部门" in response.content.decode()


def test_the_home_page_is_a_front_door(portal):
    html = get("/")
    assert 'action="/guide/"' in html and 'name="q"' in html
    assert "个人办事" in html and "法人办事" in html
    assert f"/guide/?department={portal.dept.code}" in html and "住建局" in html
    for link in ("/query/", "/publicity/cases/", "/publicity/results/", "/departments/"):
        assert f'href="{link}"' in html


def test_like_wildcards_in_a_query_are_plain_characters(portal):
    assert names(get("/guide/", q="%")) == [] and names(get("/guide/", q="_")) == []
    assert "建筑工程施工许可证核发" in names(get("/guide/", q="建筑工程施工许可证核发"))


def test_postgresql_answers_the_search_from_the_trigram_index(portal):
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("the trigram index is PostgreSQL's")
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_indexes WHERE indexname = 'portal_guide_search_trgm'")
        if cursor.fetchone() is None:
            pytest.skip("pg_trgm is not available on this server: the search scans")
        query = guides.matching(guides.published(), "施工许可").values_list("pk", flat=True).query
        sql, params = query.sql_with_params()
        cursor.execute("SET LOCAL enable_seqscan = off")  # a handful of rows would otherwise be scanned
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "portal_guide_search_trgm" in plan, plan


def department_links(html: str) -> dict[str, str]:
    """Label → href of the department list beside the results."""
    section = html[html.index('class="dept-list"'):]
    section = section[:section.index("</ul>")]
    return {label: href.replace("&amp;", "&")
            for href, label in re.findall(r'<a href="([^"]*)"[^>]*>([^<]+)<span class="count">', section)}


def test_department_links_keep_the_search_and_the_theme_and_drop_the_page(portal):
    links = department_links(get("/guide/", q="许可", theme="organisation", page="2"))
    assert links["住建局"] == f"?q=%E8%AE%B8%E5%8F%AF&theme=organisation&department={portal.dept.code}"
    # A department already chosen is replaced where it stood in the address.
    links = department_links(get("/guide/", department=portal.police.code, q="证", page="1"))
    assert links["住建局"] == f"?department={portal.dept.code}&q=%E8%AF%81"
    assert links["公安局"] == f"?department={portal.police.code}&q=%E8%AF%81"


def test_department_counts_follow_the_theme_and_type(portal):
    def counts(**params):
        html = get("/guide/", **params)
        section = html[html.index('class="dept-list"'):]
        return dict(re.findall(r'>([^<>]+)<span class="count">(\d+)</span>', section[:section.index("</ul>")]))

    assert counts() == {"住建局": "2", "城东区住房和城乡建设局": "1", "公安局": "1"}
    assert counts(theme="person") == {"住建局": "2", "公安局": "1"}
    version = portal.both.current_version()
    version.type = ItemVersion.Type.CONFIRMATION
    version.save()
    assert counts(type="licence") == {"住建局": "1", "城东区住房和城乡建设局": "1", "公安局": "1"}
    assert counts(theme="person", type="confirmation") == {"住建局": "1"}
    assert counts(theme="organisation", type="nonexistent") == {"住建局": "2", "城东区住房和城乡建设局": "1"}


def test_short_words_are_found_in_every_text_and_case_is_ignored_only_for_letters(portal):
    # Two characters: no trigram to look up, each column is scanned; 用地 is only in the conditions.
    assert names(get("/guide/", q="用地")) == ["建筑工程施工许可证核发"]
    assert names(get("/guide/", q="第五")) == ["居民身份证换领"]  # only in the legal basis
    code = portal.idcard.code
    assert names(get("/guide/", q=code.lower())) == ["居民身份证换领"]


def test_the_guide_list_shows_each_entry_s_department_type_audience_and_limits(portal):
    html = get("/guide/", q="居民身份证换领")
    entry = html[html.index('class="guide-entry"'):]
    entry = entry[:entry.index("</li>")]
    assert f'href="/guide/{portal.idcard.code}/"' in entry
    for text in ("公安局", "行政许可", "个人", "即办件", "不收费"):
        assert text in entry, text


def test_links_follow_the_script_prefix(portal):
    from django.template import Context, Template
    from django.urls import get_script_prefix, set_script_prefix

    template = Template("{% load portal_urls %}{% link 'portal:guide' %}|{% link 'portal:guide_item' code %}")
    before = get_script_prefix()
    try:
        assert template.render(Context({"code": "A 1"})) == "/guide/|/guide/A%201/"
        set_script_prefix("/hall/")
        assert template.render(Context({"code": "A 1"})) == "/hall/guide/|/hall/guide/A%201/"
    finally:
        set_script_prefix(before)


def test_the_result_pages_keep_the_search(portal, monkeypatch):
    from shenpi.portal import views

    monkeypatch.setattr(views, "GUIDE_PAGE_SIZE", 1)
    first = get("/guide/", q="许可")
    assert 'aria-label="分页"' in first and "第 1 / " in first
    assert re.search(r'href="\?q=%E8%AE%B8%E5%8F%AF&amp;page=2">下一页</a>', first)
    second = get("/guide/", q="许可", page="2")
    assert re.search(r'href="\?q=%E8%AE%B8%E5%8F%AF&amp;page=1">上一页</a>', second)
