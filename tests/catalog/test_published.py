"""发布: one definition of an item's published version, read the same by every page that lists items."""

import pytest

from shenpi.api import queries as api_queries
from shenpi.appointments import services as appointments
from shenpi.cases import queries
from shenpi.catalog.models import Item, ItemVersion
from shenpi.online import services as online
from shenpi.portal import guides
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def item_with_history():
    """Version 1 retired, version 2 published, version 3 a draft."""
    dept = f.department()
    item = f.item(dept, name="旧名称")
    first = item.versions.get()
    ItemVersion.objects.filter(pk=first.pk).update(status=ItemVersion.Status.RETIRED)
    for number, status, name in ((2, ItemVersion.Status.PUBLISHED, "现行名称"),
                                 (3, ItemVersion.Status.DRAFT, "草稿名称")):
        ItemVersion.objects.create(item=item, number=number, status=status, name=name, legal_basis="依据",
                                   online_depth=ItemVersion.OnlineDepth.APPLY)
    return dept, item


def test_every_list_shows_the_published_version_and_no_other(item_with_history):
    dept, item = item_with_history
    assert item.current_version().number == 2
    assert list(ItemVersion.objects.published().values_list("number", flat=True)) == [2]
    clerk = f.staff(dept)["clerk"]
    assert [i.current_name for i in queries.receivable_items(clerk)] == ["现行名称"]
    assert [i.current_name for i in appointments.items_of(clerk.window)] == ["现行名称"]
    assert [v.number for v in api_queries.current_versions()] == [2]
    assert guides.current_version(item.code).number == 2
    assert [v.number for v in guides.published()] == [2]
    assert [i.current_name for i in online.applyable_items()] == ["现行名称"]
    assert guides.item_count() == 1


def test_an_item_without_a_published_version_is_offered_nowhere(item_with_history):
    dept, item = item_with_history
    ItemVersion.objects.filter(item=item, number=2).update(status=ItemVersion.Status.RETIRED)
    assert item.current_version() is None
    clerk = f.staff(dept)["clerk"]
    assert not queries.receivable_items(clerk).exists()
    assert not appointments.items_of(clerk.window).exists()
    assert not api_queries.current_versions().exists()
    assert guides.current_version(item.code) is None
    assert not online.applyable_items().exists()
    assert Item.objects.filter(ItemVersion.published_through("versions__")).count() == 0
