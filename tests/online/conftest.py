"""A department with its window, an item that takes online applications, applicants, and files to upload."""

from __future__ import annotations

import base64
import datetime as dt
import io
from dataclasses import dataclass

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from pypdf import PdfWriter

from shenpi.accounts.models import Role, User
from shenpi.applicants.models import Applicant
from shenpi.catalog.models import Department, Item
from shenpi.online import services
from shenpi.online.models import OnlineApplication
from tests import factories as f
from tests.applicants.helpers import person_id, uscc, verified

# A real 1×1 PNG.
PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQ"
                       "AAAABJRU5ErkJggg==")
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 64 + b"\xff\xd9"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 200


def at(y, m, d, hh=10, mm=0) -> dt.datetime:
    return timezone.make_aware(dt.datetime(y, m, d, hh, mm))


def pdf(pages: int = 1) -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def upload(name: str, content: bytes, content_type: str = "application/pdf") -> SimpleUploadedFile:
    # The type the browser claims is deliberately whatever the test says: it is never trusted.
    return SimpleUploadedFile(name, content, content_type=content_type)


@dataclass
class World:
    dept: Department
    people: dict[str, User]
    item: Item
    other: Department
    others: dict[str, User]
    window_clerk: User
    applicant: Applicant
    organisation: Applicant

    def client(self, role: str) -> Client:
        return self.client_for(self.people[role])

    @staticmethod
    def client_for(user: User) -> Client:
        client = Client()
        f.login_staff(client, user)
        return client

    def specs(self, item: Item | None = None):
        return list((item or self.item).current_version().materials.all())


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def world(db) -> World:
    dept = f.department("住房和城乡建设局")
    other = f.department("市场监督管理局")
    window_dept = f.department("政务服务中心综合受理", comprehensive=True)
    return World(
        dept=dept, people=f.staff(dept), item=f.item(dept), other=other, others=f.staff(other),
        window_clerk=f.user(window_dept, Role.CLERK, full_name="综合窗口"),
        applicant=verified(name="李四", id_number=person_id(), mobile="13912345678"),
        organisation=verified(kind="organisation", name="示范科技有限公司", id_number=uscc(), mobile="13800138000",
                              contact_name="王五"),
    )


def filled(world: World, applicant: Applicant | None = None, *, all_materials=False,
           title="示范大厦工程") -> OnlineApplication:
    """A draft with its form filled and the required materials uploaded (not submitted)."""
    applicant = applicant or world.applicant
    app = services.start(applicant, world.item)
    services.save_draft(applicant, app, title=title, contact_name="王五")
    for spec in world.specs():
        if spec.required and (all_materials or not spec.deferrable):
            services.add_upload(applicant, app, spec.pk, upload(f"{spec.name}.pdf", pdf(2)))
    return app


def submitted(world: World, applicant: Applicant | None = None, **kw) -> OnlineApplication:
    applicant = applicant or world.applicant
    return services.submit(applicant, filled(world, applicant, **kw), commitment=True)
