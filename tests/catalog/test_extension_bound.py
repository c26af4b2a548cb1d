"""行政许可法 art. 42 bounds how long a version may allow a case to be extended: 10 working days, 15
for joint handling. The model says so (the admin shows it next to the field) and publishing checks it."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from shenpi.catalog import services
from shenpi.catalog.models import ItemVersion

from .test_admin import form_data

pytestmark = pytest.mark.django_db


def _draft(it) -> ItemVersion:
    return services.new_version(it.current_version())


@pytest.mark.parametrize(("joint", "limit", "message"), [
    (False, 11, "超过法定上限：最多延长10个工作日（行政许可法第四十二条）。"),
    (True, 16, "超过法定上限：联合办理、集中办理的最多延长15个工作日（行政许可法第四十二条）。"),
])
def test_clean_bounds_the_extension_by_the_law(org, joint, limit, message):
    dept, people, it = org
    draft = _draft(it)
    draft.joint_handling, draft.extension_limit = joint, limit - 1
    draft.full_clean()
    draft.extension_limit = limit
    with pytest.raises(ValidationError) as error:
        draft.full_clean()
    assert error.value.message_dict == {"extension_limit": [f"可延长{limit}个工作日{message}"]}


def test_the_admin_shows_the_bound_next_to_the_field_and_saves_nothing(admin_client, org):
    dept, people, it = org
    draft = _draft(it)
    change = reverse("admin:catalog_itemversion_change", args=[draft.pk])
    data = form_data(admin_client.get(change)) | {"extension_limit": "11"}
    response = admin_client.post(change, data)
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["extension_limit"] == [
        "可延长11个工作日超过法定上限：最多延长10个工作日（行政许可法第四十二条）。"]
    draft.refresh_from_db()
    assert draft.extension_limit == 10
    response = admin_client.post(change, data | {"joint_handling": "on", "statutory_limit": "45",
                                                 "extension_limit": "15"})
    assert response.status_code == 302, response.context and response.context["adminform"].form.errors
    draft.refresh_from_db()
    assert (draft.joint_handling, draft.extension_limit) == (True, 15)


def test_publishing_names_the_bound_once(org):
    dept, people, it = org
    draft = _draft(it)
    ItemVersion.objects.filter(pk=draft.pk).update(extension_limit=11)
    with pytest.raises(services.NotPublishable) as error:
        services.publish(ItemVersion.objects.get(pk=draft.pk))
    assert [p for p in error.value.problems if "法定上限" in p] == [
        "可延长时限(工作日)：可延长11个工作日超过法定上限：最多延长10个工作日（行政许可法第四十二条）。"]
