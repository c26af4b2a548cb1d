"""The guide search beyond substrings: the synonym dictionary, pinyin, near misses, and what the
page says when it rewrote the query or found nothing."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from shenpi.catalog.models import ItemVersion
from shenpi.portal import guides, searchwords
from shenpi.portal.models import GuideSearchKey, SearchSynonym
from tests import factories as f

from .test_guides import get, names


def found(query: str, **filters) -> list[str]:
    result = guides.search(guides.Filters(query=query, **filters))
    by_pk = dict(ItemVersion.objects.filter(pk__in=result.ids).values_list("pk", "name"))
    return [by_pk[pk] for pk in result.ids]


@pytest.fixture
def synonyms(db):
    SearchSynonym.objects.all().delete()  # the seeded entries: each test states its own
    SearchSynonym.objects.create(term="施工证", meanings="施工许可")
    SearchSynonym.objects.create(term="身份证", meanings="居民身份证")
    SearchSynonym.objects.create(term="竣工备案", meanings="竣工验收备案\n工程验收")


def test_an_abbreviation_finds_the_item_through_the_dictionary_and_the_page_says_so(portal, synonyms):
    assert found("施工证") == ["建筑工程施工许可证核发", "房屋建筑工程竣工验收备案"]
    html = get("/guide/", q="施工证")
    assert names(html)[0] == "建筑工程施工许可证核发"
    assert "同时按“施工许可”查找" in html and "没有完全匹配" not in html
    # A word around the term stays: 施工证办理 is searched as 施工许可 办理.
    assert searchwords.variants("施工证办理") == ["施工证办理", "施工许可 办理"]


def test_administrators_change_what_a_term_finds_and_a_disabled_entry_finds_nothing(portal, synonyms):
    assert found("竣工备案")[0] == "房屋建筑工程竣工验收备案"
    entry = SearchSynonym.objects.get(term="竣工备案")
    entry.enabled = False
    entry.save()
    disabled = guides.search(guides.Filters(query="竣工备案"))
    assert disabled.rewritten == [] and disabled.similar  # only the near-miss scoring finds it now
    SearchSynonym.objects.create(term="新身份证", meanings="身份证换领")
    assert found("新身份证") == ["居民身份证换领"]


def test_a_dictionary_entry_needs_a_meaning_other_than_itself():
    with pytest.raises(ValidationError) as refused:
        SearchSynonym(term="环评", meanings="").clean()
    assert refused.value.message_dict["meanings"] == ["至少填写一个对应的事项名称或关键词。"]
    with pytest.raises(ValidationError) as refused:
        SearchSynonym(term="环评", meanings="环评、环境影响评价").clean()
    assert refused.value.message_dict["meanings"] == ["对应的词不能与输入的词相同。"]
    assert SearchSynonym(term="社保", meanings="社会保障、社会保险\n养老保险").meaning_list() == [
        "社会保障", "社会保险", "养老保险"]


def test_pinyin_initials_and_spelling_find_names_and_keys_are_made_once(portal, synonyms):
    GuideSearchKey.objects.all().delete()
    searchwords.forget_keys()
    assert found("sgxk") == ["建筑工程施工许可证核发"]
    assert found("SGXK") == ["建筑工程施工许可证核发"]
    assert found("shigongxuke") == ["建筑工程施工许可证核发"]
    assert found("jmsfz") == ["居民身份证换领"]
    published = ItemVersion.objects.published().count()
    assert GuideSearchKey.objects.count() == published
    key = GuideSearchKey.objects.get(version=portal.licence.current_version())
    assert key.initials == "jzgcsgxkzhf" and key.syllables.startswith("jian zhu gong cheng shi gong")
    assert searchwords.refresh_keys() == 0  # nothing left to make
    # A version published later gets its key from the next search.
    f.item(portal.dept, name="城镇燃气经营许可")
    assert found("rqjy") == ["城镇燃气经营许可"]
    # Drafts and retired versions are not found by pinyin either.
    assert found("cgdsgxksx") == []


def test_a_renamed_version_gets_a_new_key(portal, synonyms):
    searchwords.refresh_keys()
    ItemVersion.objects.filter(item=portal.idcard).update(name="居民身份证补领")
    assert searchwords.refresh_keys() == 1
    assert found("jmsfzbl") == ["居民身份证补领"]


def test_polyphones_read_as_words_not_characters():
    assert searchwords.key_of("银行业金融机构重庆分行设立")["initials"] == "yhyjrjgcqfhsl"


def test_homophone_typos_and_wrong_characters_are_near_misses(portal, synonyms):
    html = get("/guide/", q="建筑工程施工许可证合发")  # 合 for 核: same sound
    assert "没有完全匹配的事项，以下事项名称相近" in html
    assert names(html)[0] == "建筑工程施工许可证核发"
    assert found("居民身分证换领")[0] == "居民身份证换领"  # 分 for 份
    assert found("房屋建筑工程俊工验收") == ["房屋建筑工程竣工验收备案"]


def test_nothing_near_says_so_without_an_empty_similar_list(portal, synonyms):
    html = get("/guide/", q="火星签证")
    assert names(html) == []
    assert "没有找到相关事项" in html and "相近" not in html
    assert "/consult/" in html


def test_filters_hold_for_rewritten_and_pinyin_queries(portal, synonyms):
    SearchSynonym.objects.create(term="资质", meanings="企业资质")
    assert found("资质", theme="organisation") == ["城东区建筑业企业资质变更"]
    assert found("资质", theme="person") == []
    assert found("jzyqyzzbg", theme="person") == []
    assert found("jmsfz", theme="organisation") == []
    assert found("施工证", department=portal.police) == []


def test_administrators_edit_the_dictionary_in_the_admin(admin_client, synonyms):
    listing = admin_client.get("/admin/portal/searchsynonym/")
    assert listing.status_code == 200 and "施工证" in listing.content.decode()
    added = admin_client.post("/admin/portal/searchsynonym/add/", {
        "term": "社保", "meanings": "社会保障\n社会保险", "enabled": "on", "note": "群众常用简称"})
    assert added.status_code == 302
    assert SearchSynonym.objects.get(term="社保").meaning_list() == ["社会保障", "社会保险"]
    assert searchwords.variants("社保卡") == ["社保卡", "社会保障 卡", "社会保险 卡"]
    refused = admin_client.post("/admin/portal/searchsynonym/add/", {"term": "环评", "meanings": "环评"})
    assert refused.status_code == 200 and "对应的词不能与输入的词相同。" in refused.content.decode()
