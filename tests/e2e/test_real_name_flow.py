"""实名认证 in a real browser, through the identity sandbox over HTTP.

李四 registered an account earlier (mobile verified, 注册用户): his case received at a window is not
shown. He opens 实名认证, enters his name and ID number, the identity sandbox confirms them, the
account page shows 实名认证 and the window case appears under 我的办件.
"""

import os
import re

import pytest
from django.core.cache import cache
from playwright.sync_api import expect

from shenpi.applicants.models import Applicant
from shenpi.cases import services as case_services
from tests import factories as f
from tests.applicants.helpers import PASSWORD, person_id, verified
from tests.browser import fresh_page, shot

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def identity_sandbox(sandboxes, settings):
    settings.IDENTITY_URL = sandboxes.url("identity")
    cache.clear()
    yield sandboxes.sandboxes["identity"]
    cache.clear()


def test_an_applicant_verifies_his_real_name_and_his_window_case_appears(live_server, identity_sandbox):
    dept = f.department("住房和城乡建设局", short_name="住建局")
    clerk = f.staff(dept)["clerk"]
    case = f.receive(clerk, f.item(dept), name="李四", id_number=person_id(), phone="13912345678")
    case = case_services.perform(case, "accept", actor=clerk)
    applicant = verified(name="李四", id_number=person_id(), mobile="13912345678")
    base = live_server.url

    with fresh_page() as page:
        page.goto(f"{base}/account/login/")
        page.fill("input[name=identifier]", person_id())
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(re.compile(r"/account/$"))
        expect(page.locator("#assurance")).to_have_text("注册用户")
        expect(page.locator("#cases")).not_to_contain_text(case.number)
        shot(page, "real-name-before")

        page.click("text=去实名认证")
        page.wait_for_url(re.compile(r"/account/real-name/$"))
        expect(page.locator("h1")).to_have_text("实名认证")
        # A wrong name first: the service's mismatch is told, the typed ID number stays in the form.
        page.fill("input[name=name]", "李斯")
        page.fill("input[name=id_number]", person_id())
        page.click("button[type=submit]")
        expect(page.locator(".form-alert")).to_contain_text("姓名与证件号码不一致")
        expect(page.locator("input[name=id_number]")).to_have_value(person_id())
        page.fill("input[name=name]", "李四")
        shot(page, "real-name-form")
        page.click("button[type=submit]")

        page.wait_for_url(re.compile(r"/account/$"))
        expect(page.locator("#assurance")).to_have_text("实名认证")
        expect(page.locator("#cases")).to_contain_text(case.number)
        shot(page, "real-name-verified")

    applicant = Applicant.objects.get(pk=applicant.pk)
    assert applicant.real_name_source == "identity_service"
    assert [r["result"] for r in identity_sandbox.requests] == ["mismatch", "match"]
    assert all(r["signed"] for r in identity_sandbox.requests)
