"""The catalogue builders: create once, leave what exists, publish with the publication checks."""

import pytest

from shenpi.accounts.models import Role
from shenpi.catalog import services
from shenpi.catalog.models import Item, ItemVersion

pytestmark = pytest.mark.django_db

VERSION = {"name": "食品经营许可", "legal_basis": "《中华人民共和国食品安全法》第三十五条", "statutory_limit": 10,
           "promised_limit": 5, "result_name": "食品经营许可证"}
STEPS = [services.StepEntry(1, "审查", Role.HANDLER, limit=2), services.StepEntry(2, "审核", Role.REVIEWER),
         services.StepEntry(3, "审批", Role.APPROVER)]


def test_build_item_publishes_once_and_leaves_an_existing_item_alone():
    department, created = services.build_department("T-SC", "测试市市场监督管理局", short_name="市场监管局")
    assert created and services.build_department("T-SC", "别的名字")[0] == department
    assert services.build_department("T-SC", "别的名字")[1] is False
    materials = [services.MaterialEntry("申请书"), services.MaterialEntry("营业执照", form="copy"),
                 services.MaterialEntry("平面图", required=False, deferrable=True)]
    item, created = services.build_item("T-SC-001", department, version=VERSION, materials=materials, steps=STEPS,
                                        procedures={"site_survey": 5})
    assert created
    version = item.current_version()
    assert version.status == ItemVersion.Status.PUBLISHED and version.published_at is not None
    assert list(version.materials.values_list("name", flat=True)) == ["申请书", "营业执照", "平面图"]
    assert version.steps.get(seq=1).limit == 2
    assert version.itemprocedure_set.get().limit_days == 5
    again, created = services.build_item("T-SC-001", department, version={**VERSION, "name": "改名"}, steps=STEPS)
    assert (again, created) == (item, False)
    assert item.current_version().name == "食品经营许可"


def test_build_item_refuses_unknown_procedures_and_unpublishable_flows_and_creates_nothing():
    department, _ = services.build_department("T-ZJ", "测试市住房和城乡建设局")
    with pytest.raises(services.CatalogError, match="未知的特别程序"):
        services.build_item("T-ZJ-001", department, version=VERSION, steps=STEPS, procedures={"no_such": 5})
    too_long = [services.StepEntry(1, "审查", Role.HANDLER, limit=4),
                services.StepEntry(2, "审核", Role.REVIEWER, limit=3)]
    with pytest.raises(services.NotPublishable, match="超过承诺时限"):
        services.build_item("T-ZJ-002", department, version=VERSION, steps=too_long)
    assert not Item.objects.filter(code__in=["T-ZJ-001", "T-ZJ-002"]).exists()


def test_build_window_is_created_once_per_number():
    department, _ = services.build_department("T-GA", "测试市公安局")
    window, created = services.build_window(department, "T01", "公安局窗口", "一楼")
    assert created and services.build_window(department, "T01", "别的窗口") == (window, False)
