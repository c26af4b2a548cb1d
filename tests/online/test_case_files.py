"""Once the window accepts an online application, the staff who work the case open its uploads in the
case page — not in pre-review, which stays the window's — and every opening is recorded."""

import importlib

import pytest

from shenpi.cases.models import MaterialAccess
from shenpi.online import services

from .conftest import submitted

pytestmark = pytest.mark.django_db


@pytest.fixture
def online_case(world):
    app = submitted(world)
    return app, services.accept(app, world.people["clerk"])


@pytest.mark.parametrize("role", ["handler", "reviewer", "approver"])
def test_the_people_working_the_case_open_the_applicants_uploads(world, online_case, role):
    app, case = online_case
    client = world.client(role)
    # Pre-review remains the window's: the case page is where the files are.
    assert client.get(f"/workbench/prereview/{app.number}/").status_code == 403
    page = client.get(f"/workbench/cases/{case.number}/").content.decode()
    uploads = services.current_uploads(app)
    for material in case.materials.exclude(file=""):
        upload = uploads[material.spec_id]
        url = f"/workbench/cases/{case.number}/materials/{material.pk}/"
        assert url in page and upload.name in page
        assert material.file_name == upload.name and material.pages == upload.pages == 2
        response = client.get(url + "file")
        assert response.status_code == 200 and response["Content-Disposition"].startswith("inline")
        assert b"".join(response.streaming_content) == upload.file.open("rb").read()
    opened = case.materials.exclude(file="").count()
    assert opened >= 2
    assert MaterialAccess.objects.filter(case=case, viewer=world.people[role], inline=True).count() == opened


def test_a_clerk_downloading_an_upload_in_pre_review_is_recorded(world):
    app = submitted(world)
    upload = next(iter(services.current_uploads(app).values()))
    response = world.client("clerk").get(f"/workbench/prereview/{app.number}/files/{upload.pk}/",
                                         REMOTE_ADDR="10.1.2.3")
    assert response.status_code == 200
    access = MaterialAccess.objects.get()
    assert (access.reference, access.case, access.viewer, access.ip, access.inline) == (
        app.number, None, world.people["clerk"], "10.1.2.3", False)
    assert (access.material_name, access.file_name, access.digest) == (upload.spec.name, upload.name, upload.digest)


def test_a_handler_of_another_department_does_not_see_the_files(world, online_case):
    _, case = online_case
    material = case.materials.exclude(file="").first()
    client = world.client_for(world.others["handler"])
    assert client.get(f"/workbench/cases/{case.number}/materials/{material.pk}/file").status_code == 404
    assert not MaterialAccess.objects.exists()


def test_the_migration_names_files_accepted_online_before_names_were_kept(world, online_case):
    from django.apps import apps

    migration = importlib.import_module("shenpi.cases.migrations.0010_material_files_and_accesses")
    _, case = online_case
    with_files = case.materials.exclude(file="")
    expected = dict(with_files.values_list("pk", "file_name"))
    with_files.update(file_name="")
    migration.name_online_files(apps, None)
    assert dict(case.materials.exclude(file="").values_list("pk", "file_name")) == expected
    assert all(name.endswith(".pdf") for name in expected.values())
