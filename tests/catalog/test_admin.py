"""The catalogue and the case browser in the admin, as administrators use them."""

import pytest
from django.contrib.auth.models import Permission
from django.db.models.fields.files import FieldFile
from django.urls import reverse

from shenpi.cases import services as cases
from shenpi.cases.models import Case, State
from shenpi.catalog.models import Department, HoursException, ItemVersion, WeeklyHours, Window
from tests import factories as f

pytestmark = pytest.mark.django_db

Status = ItemVersion.Status


def url(model, view="changelist", *args):
    app = {"case": "cases"}.get(model, "catalog")
    return reverse(f"admin:{app}_{model}_{view}", args=args)


def texts(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def form_data(response) -> dict:
    """What the browser would post back for an unchanged change form, inlines included."""
    data = {}

    def add(form):
        for name in form.fields:
            value = form[name].value()
            key = form.add_prefix(name)
            if value is None or isinstance(value, FieldFile):
                continue  # a kept file is not posted again
            if isinstance(value, bool):
                if value:
                    data[key] = "on"
            elif isinstance(value, list | tuple):
                data[key] = [str(v) for v in value]
            else:
                data[key] = str(value)

    add(response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        management = inline.formset.management_form
        for name in management.fields:
            data[management.add_prefix(name)] = management[name].value()
        for form in inline.formset.forms:
            add(form)
    return data


@pytest.fixture
def case(org):
    dept, people, it = org
    return cases.perform(f.receive(people["clerk"], it), "accept", actor=people["clerk"])


def test_every_catalogue_page_loads_for_a_superuser(admin_client, org, case):
    dept, people, it = org
    v1 = it.current_version()
    draft = f.item(dept, name="临时占用道路许可", publish=False).versions.get()
    window = Window.objects.get(department=dept)
    pages = [
        url("department"), url("department", "add"), url("department", "change", dept.pk),
        url("window"), url("window", "add"), url("window", "change", window.pk),
        url("procedurekind"), url("procedurekind", "change", 1),
        url("weeklyhours"), url("weeklyhours", "add"), url("hoursexception"), url("hoursexception", "add"),
        url("item"), url("item", "add"), url("item", "change", it.pk),
        url("itemversion"), url("itemversion", "add"), url("itemversion", "change", v1.pk),
        url("itemversion", "change", draft.pk),
        url("case"), url("case", "change", case.pk),
        reverse("admin:index"),
    ]
    for page in pages:
        response = admin_client.get(page)
        assert response.status_code == 200, page
    assert "事项版本" in admin_client.get(reverse("admin:index")).text


def test_department_list_shows_the_tree(admin_client):
    city = f.department(name="示范市人民政府", code="C9")
    district = f.department(name="东城区人民政府", code="C1", parent=city, level=Department.Level.DISTRICT)
    town = f.department(name="东城街道便民服务中心", code="C5", parent=district, level=Department.Level.TOWN)
    village = f.department(name="东城社区", code="C0", parent=town, level=Department.Level.VILLAGE)
    other = f.department(name="另一市级部门", code="C2")
    response = admin_client.get(url("department"))
    # Children follow their parent whatever their codes: a tree, not an alphabetical list.
    assert list(response.context["cl"].result_list) == [other, city, district, town, village]
    page = response.text
    assert "示范市人民政府 › 东城区人民政府" in page
    assert "\u3000\u3000\u3000\u3000└ 东城街道便民服务中心" in page
    assert "\u3000" * 6 + "└ 东城社区" in page
    filtered = admin_client.get(url("department") + "?level__exact=town").text
    assert "东城街道便民服务中心" in filtered and "└ 东城区人民政府" not in filtered


def test_department_admin_refuses_a_cycle_and_a_level_above_the_parent(admin_client):
    city = f.department(name="示范市人民政府")
    district = f.department(name="东城区人民政府", parent=city, level=Department.Level.DISTRICT)
    page = admin_client.get(url("department", "change", city.pk))
    data = form_data(page) | {"parent": str(district.pk)}
    response = admin_client.post(url("department", "change", city.pk), data)
    assert response.status_code == 200
    assert "上级部门不能形成循环" in response.text
    town = f.department(name="东城街道", parent=district, level=Department.Level.TOWN)
    page = admin_client.get(url("department", "change", town.pk))
    response = admin_client.post(url("department", "change", town.pk), form_data(page) | {"level": "city"})
    assert "层级不能高于上级部门（县(区)级）" in response.text
    city.refresh_from_db()
    town.refresh_from_db()
    assert city.parent is None and town.level == Department.Level.TOWN


def test_a_published_version_is_read_only_in_the_admin(admin_client, org):
    dept, people, it = org
    v1 = it.current_version()
    page = admin_client.get(url("itemversion", "change", v1.pk))
    assert page.context["has_change_permission"] is False
    inlines = page.context["inline_admin_formsets"]
    assert len(inlines) == 4
    assert not any(i.has_add_permission or i.has_change_permission or i.has_delete_permission for i in inlines)
    response = admin_client.post(url("itemversion", "change", v1.pk), {"name": "偷偷改名", "promised_limit": "1"})
    assert response.status_code == 403
    v1.refresh_from_db()
    assert (v1.name, v1.promised_limit) == ("建筑工程施工许可证核发", 10)
    response = admin_client.post(url("itemversion", "delete", v1.pk), {"post": "yes"})
    assert response.status_code == 403
    assert ItemVersion.objects.filter(pk=v1.pk).exists()


def test_a_draft_is_edited_in_the_admin_with_its_inlines(admin_client, org):
    dept, people, it = org
    admin_client.post(url("itemversion"), {"action": "copy_as_draft", "_selected_action": [it.current_version().pk]})
    draft = it.versions.get(status=Status.DRAFT)
    page = admin_client.get(url("itemversion", "change", draft.pk))
    data = form_data(page) | {"name": "建筑工程施工许可证核发（试行）", "promised_limit": "8",
                              "steps-0-limit": "3"}
    response = admin_client.post(url("itemversion", "change", draft.pk), data)
    assert response.status_code == 302, response.context and response.context["adminform"].form.errors
    draft.refresh_from_db()
    assert (draft.name, draft.promised_limit) == ("建筑工程施工许可证核发（试行）", 8)
    assert draft.steps.order_by("seq").first().limit == 3
    assert it.current_version().name == "建筑工程施工许可证核发"


def test_admin_actions_copy_and_publish_with_chinese_messages(admin_client, org, case):
    dept, people, it = org
    v1 = it.current_version()
    response = admin_client.post(url("itemversion"), {"action": "copy_as_draft", "_selected_action": [v1.pk]},
                                 follow=True)
    assert "已将“建筑工程施工许可证核发（第1版）”复制为第2版草稿，修改后请发布。" in texts(response)
    v2 = it.versions.get(number=2)
    assert v2.status == Status.DRAFT and v2.materials.count() == 4

    response = admin_client.post(url("itemversion"), {"action": "publish", "_selected_action": [v2.pk]},
                                 follow=True)
    assert any(t.startswith("已发布“建筑工程施工许可证核发（第2版）”") for t in texts(response))
    v1.refresh_from_db()
    v2.refresh_from_db()
    assert (v1.status, v2.status) == (Status.RETIRED, Status.PUBLISHED)
    assert Case.objects.get(pk=case.pk).version_id == v1.pk

    response = admin_client.post(url("itemversion"), {"action": "publish", "_selected_action": [v1.pk]},
                                 follow=True)
    assert any("只有草稿可以发布" in t for t in texts(response))
    v1.refresh_from_db()
    assert v1.status == Status.RETIRED


def test_publishing_an_incomplete_draft_shows_why(admin_client, org):
    dept, people, it = org
    draft = f.item(dept, name="临时占用道路许可", steps=(), publish=False).versions.get()
    response = admin_client.post(url("item"), {"action": "publish_draft", "_selected_action": [draft.item_id]},
                                 follow=True)
    assert any("不能发布" in t and "至少需要一个环节" in t for t in texts(response))
    draft.refresh_from_db()
    assert draft.status == Status.DRAFT


def test_item_actions_work_from_the_item_list(admin_client, org):
    dept, people, it = org
    admin_client.post(url("item"), {"action": "draft_from_current", "_selected_action": [it.pk]})
    assert it.versions.filter(status=Status.DRAFT, number=2).exists()
    admin_client.post(url("item"), {"action": "publish_draft", "_selected_action": [it.pk]})
    assert it.current_version().number == 2


def test_adding_a_version_makes_the_next_draft(admin_client, org):
    dept, people, it = org
    page = admin_client.get(url("itemversion", "add"))
    data = form_data(page) | {"item": str(it.pk), "name": "建筑工程施工许可证核发（新版）", "legal_basis": "《建筑法》"}
    response = admin_client.post(url("itemversion", "add"), data)
    assert response.status_code == 302
    added = it.versions.get(number=2)
    assert added.status == Status.DRAFT
    response = admin_client.post(url("itemversion", "add"), data)
    assert "已有草稿（第2版）" in response.text
    assert it.versions.count() == 2


def test_versions_and_the_cases_under_each_are_visible(admin_client, org, case):
    dept, people, it = org
    v1 = it.current_version()
    f.receive(people["clerk"], it)
    page = admin_client.get(url("item")).text
    assert f'{reverse("admin:cases_case_changelist")}?item__id__exact={it.pk}' in page
    detail = admin_client.get(url("item", "change", it.pk))
    versions = detail.context["inline_admin_formsets"][0].formset.queryset
    assert [(v.number, v.case_total) for v in versions] == [(1, 2)]
    assert f"?version__id__exact={v1.pk}\">2件" in detail.text
    listed = admin_client.get(url("case") + f"?version__id__exact={v1.pk}")
    assert listed.status_code == 200
    assert listed.context["cl"].result_count == 2
    usage = admin_client.get(url("itemversion", "change", v1.pk)).text
    assert "本事项共1个版本" in usage


def test_cases_cannot_be_changed_in_the_admin(admin_client, case):
    page = admin_client.get(url("case", "change", case.pk))
    assert page.status_code == 200
    assert page.context["has_change_permission"] is False
    assert case.applicant_id_masked in page.text
    assert f.PERSON_ID not in page.text  # the full ID number never appears
    assert admin_client.post(url("case", "change", case.pk), {"state": State.COMPLETED}).status_code == 403
    assert admin_client.get(url("case", "add")).status_code == 403
    assert admin_client.post(url("case", "delete", case.pk), {"post": "yes"}).status_code == 403
    listing = admin_client.get(url("case"))
    assert listing.context["action_form"] is None  # no actions at all, so no bulk delete
    response = admin_client.post(url("case"), {"action": "delete_selected", "_selected_action": [case.pk],
                                               "post": "yes"})
    assert Case.objects.filter(pk=case.pk, state=State.IN_PROGRESS).exists()
    assert response.status_code in (200, 302)


def test_only_superusers_browse_cases(client, org, case):
    dept, people, it = org
    keeper = f.user(dept, "admin", is_staff=True)
    keeper.user_permissions.set(Permission.objects.filter(content_type__app_label__in=["cases", "catalog"]))
    f.login_staff(client, keeper)
    assert client.get(url("itemversion")).status_code == 200
    assert client.get(url("case")).status_code == 403
    assert client.get(url("case", "change", case.pk)).status_code == 403
    assert "办件" not in [app["name"] for app in client.get(reverse("admin:index")).context["app_list"]]


def _hours_inline_data(response, weekly: list[dict], dated: list[dict]) -> dict:
    data = form_data(response)
    for prefix, rows in (("weekly_hours", weekly), ("hours_exceptions", dated)):
        data[f"{prefix}-TOTAL_FORMS"] = str(len(rows))
        data[f"{prefix}-INITIAL_FORMS"] = "0"
        for n, row in enumerate(rows):
            data.update({f"{prefix}-{n}-{key}": value for key, value in row.items()})
    return data


def test_a_windows_hours_are_edited_inline_and_bad_rows_explained(admin_client, org):
    dept, _, _ = org
    window = Window.objects.get(department=dept)
    page = admin_client.get(url("window", "change", window.pk))
    assert "每周办公时间" in page.text and "特殊办公安排" in page.text
    bad = admin_client.post(url("window", "change", window.pk), _hours_inline_data(page, [
        {"weekday": "3", "morning_opens": "09:00", "morning_closes": "12:30", "afternoon_opens": "12:00",
         "afternoon_closes": "17:00"}], []))
    assert bad.status_code == 200 and "下午开始时间不能早于上午结束时间" in bad.text
    assert not WeeklyHours.objects.exists()
    twice = admin_client.post(url("window", "change", window.pk), _hours_inline_data(page, [
        {"weekday": "3", "morning_opens": "09:00", "morning_closes": "12:00"},
        {"weekday": "3", "afternoon_opens": "13:30", "afternoon_closes": "17:00"}], []))
    assert twice.status_code == 200 and "同一窗口每个星期几只能有一行办公时间" in twice.text
    assert not WeeklyHours.objects.exists()
    good = admin_client.post(url("window", "change", window.pk), _hours_inline_data(page, [
        {"weekday": "3", "morning_opens": "09:00", "morning_closes": "12:00", "afternoon_opens": "13:30",
         "afternoon_closes": "17:00", "extended_until": "19:00"},
        {"weekday": "6", "morning_opens": "09:00", "morning_closes": "12:00", "note": "周六上午预约服务"}], [
        {"day": "2030-01-05", "kind": "closed", "note": "设备检修"}]))
    assert good.status_code == 302
    assert sorted(WeeklyHours.objects.filter(window=window).values_list("weekday", flat=True)) == [3, 6]
    assert HoursException.objects.get(window=window).kind == HoursException.Kind.CLOSED
