"""GET /api/v1/items/ and /items/{code}/: the catalogue as published (current versions only)."""

import pytest

from shenpi.accounts.models import Role
from shenpi.catalog.models import FeeStandard, ItemVersion
from tests import factories as f

from .conftest import session_client, token_client

pytestmark = pytest.mark.django_db
ITEMS = "/api/v1/items/"


def codes(response) -> list[str]:
    assert response.status_code == 200, response.json()
    return [i["code"] for i in response.json()["results"]]


@pytest.fixture
def catalogue(org, other):
    revised = f.item(org.dept, name="房屋建筑工程竣工验收备案")
    old = revised.current_version()
    old.status = ItemVersion.Status.RETIRED
    old.save()
    current = ItemVersion.objects.create(
        item=revised, number=2, status=ItemVersion.Status.PUBLISHED, name="房屋建筑和市政工程竣工验收备案",
        type=ItemVersion.Type.OTHER, legal_basis="《建设工程质量管理条例》第四十九条", promised_limit=5,
        statutory_limit=15)
    draft = f.item(org.dept, name="尚未发布的事项", publish=False)
    return {"licence": org.item, "revised": revised, "current": current, "draft": draft, "foreign": other.item}


def test_lists_published_current_versions_by_code(org, catalogue):
    response = session_client(org.people["clerk"]).get(ITEMS)
    listed = codes(response)
    assert listed == sorted(i.code for k, i in catalogue.items() if k not in ("current", "draft"))
    revised = next(i for i in response.json()["results"] if i["code"] == catalogue["revised"].code)
    assert (revised["name"], revised["version"], revised["type"], revised["type_label"]) == (
        "房屋建筑和市政工程竣工验收备案", 2, "other", "其他")


@pytest.mark.parametrize(("query", "expected"), [
    ("department=SCJG", ["foreign"]),
    ("type=other", ["revised"]),
    ("q=竣工", ["revised"]),
    ("q=食品&department=ZJJ", []),
])
def test_filters(org, catalogue, query, expected):
    listed = codes(token_client(org.people["handler"]).get(f"{ITEMS}?{query}"))
    assert listed == [catalogue[k].code for k in expected]


def test_bad_filters_are_field_errors(org, catalogue):
    response = session_client(org.people["clerk"]).get(f"{ITEMS}?type=permit&department=NOPE")
    assert response.status_code == 400
    assert set(response.json()["fields"]) == {"type"}
    response = session_client(org.people["clerk"]).get(f"{ITEMS}?department=NOPE")
    assert response.json()["fields"] == {"department": ["部门编码“NOPE”不存在。"]}


def test_detail_has_the_whole_current_version(org):
    joint = f.item(org.dept, name="建设工程消防设计审查", steps=(
        ("受理审查", Role.HANDLER, 3), ("技术审查", Role.REVIEWER, None), ("审批", Role.APPROVER, None)))
    version = joint.current_version()
    FeeStandard.objects.create(version=version, name="审查费", standard="按建筑面积每平方米0.5元",
                               basis="省物价局文件")
    body = session_client(org.people["clerk"]).get(f"{ITEMS}{joint.code}/").json()
    assert body["code"] == joint.code and body["version"] == 1
    assert body["legal_basis"] == "《建筑法》第八条"
    assert (body["promised_limit"], body["statutory_limit"], body["extension_limit"]) == (10, 20, 10)
    assert [(m["name"], m["required"], m["deferrable"]) for m in body["materials"]] == [
        ("建筑工程施工许可申请表", True, False), ("建设工程规划许可证", True, False),
        ("施工图设计文件审查合格书", True, True), ("其他补充材料", False, False)]
    assert [m["id"] for m in body["materials"]] == list(version.materials.values_list("pk", flat=True))
    assert body["fees"] == [{"name": "审查费", "standard": "按建筑面积每平方米0.5元", "amount": None,
                             "basis": "省物价局文件"}]
    assert [(s["seq"], s["name"], s["role"], s["limit"], s["limit_unit"]) for s in body["steps"]] == [
        (1, "受理审查", "handler", 3, "days"), (2, "技术审查", "reviewer", None, "days"),
        (3, "审批", "approver", None, "days")]
    assert body["procedures"] == [{"kind": "expert_review", "name": "专家评审", "limit_days": 15}]


def test_unknown_or_unpublished_item_is_404(org, catalogue):
    client = session_client(org.people["clerk"])
    for code in ("NO-SUCH", catalogue["draft"].code):
        response = client.get(f"{ITEMS}{code}/")
        assert response.status_code == 404
        assert response.json() == {"code": "not_found", "detail": "事项不存在或没有已发布的版本。"}
