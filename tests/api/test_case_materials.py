"""The case detail lists each material's electronic file with the workbench page that shows it."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import resolve

from shenpi.cases import files
from tests import factories as f
from tests.online.conftest import pdf

from .conftest import case_url, session_client

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def test_a_scanned_material_comes_with_its_file_and_where_to_open_it(org):
    first, *rest = org.item.current_version().materials.all()
    scan = files.store(files.inspect(SimpleUploadedFile("申请表.pdf", pdf(3))))
    materials = {first.pk: {"received": True, "file": scan}, **{s.pk: {"received": True} for s in rest}}
    case = f.receive(org.people["clerk"], org.item, materials=materials)
    body = session_client(org.people["handler"]).get(case_url(case.number)).json()
    listed, *others = body["materials"]
    material = case.materials.get(spec=first)
    assert listed["content_hash"] == scan.digest
    assert listed["file"] == {"name": "申请表.pdf", "content_type": "application/pdf", "size": scan.size, "pages": 3,
                              "url": f"/workbench/cases/{case.number}/materials/{material.pk}/"}
    assert resolve(listed["file"]["url"]).view_name == "workbench:material"
    assert all(m["file"] is None for m in others)
