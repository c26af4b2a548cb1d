"""The admin at 1,366 px (the usual office laptop): the item-version form fits without sideways scrolling."""

import os
import re
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model

from shenpi.catalog.models import ItemVersion
from tests import factories as f
from tests.browser import PASSWORD, fresh_page, pass_second_factor, shot

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

WIDTH = 1366
# Django's admin pages name no icon, so the browser asks for /favicon.ico and gets 404.
FAVICON_404 = re.compile(r"status of (400|403|404|409) ")

# The elements that stick out past the window, for the failure message.
OVERFLOW = """() => [...document.querySelectorAll('body *')]
  .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
  .slice(0, 8)
  .map(e => `${e.tagName.toLowerCase()}.${e.className} ${Math.round(e.getBoundingClientRect().right)}`)"""


def test_the_item_version_form_fits_a_1366_px_window(live_server):
    dept = f.department()
    item = f.item(dept)
    draft = ItemVersion.objects.filter(item=item).first()
    draft.status = ItemVersion.Status.DRAFT
    draft.save()
    boss = get_user_model().objects.create_superuser("catalog-admin", "c@example.org", PASSWORD)
    with fresh_page(FAVICON_404) as page:
        page.set_viewport_size({"width": WIDTH, "height": 800})
        page.goto(f"{live_server.url}/admin/login/")
        page.fill("input[name=username]", "catalog-admin")
        page.fill("input[name=password]", PASSWORD)
        with page.expect_navigation():
            page.click("input[type=submit]")
        pass_second_factor(page, boss)  # a superuser enrols an authenticator at the first sign-in
        page.goto(f"{live_server.url}/admin/catalog/itemversion/{draft.pk}/change/")
        page.locator("#itemversion_form").wait_for()
        width = page.evaluate("document.documentElement.scrollWidth")
        shot(page, "admin-item-version-1366")
        assert width <= WIDTH, page.evaluate(OVERFLOW)


def test_pasting_the_state_council_notice_previews_the_year_before_saving(live_server):
    from shenpi.workdays.models import CalendarDay

    text = (Path(__file__).resolve().parents[1] / "workdays" / "fixtures" / "state_council_2026.txt").read_text()
    boss = get_user_model().objects.create_superuser("calendar-admin", "c@example.org", PASSWORD)
    with fresh_page(FAVICON_404) as page:
        page.set_viewport_size({"width": WIDTH, "height": 800})
        page.goto(f"{live_server.url}/admin/login/")
        page.fill("input[name=username]", "calendar-admin")
        page.fill("input[name=password]", PASSWORD)
        with page.expect_navigation():
            page.click("input[type=submit]")
        pass_second_factor(page, boss)  # a superuser enrols an authenticator at the first sign-in
        page.goto(f"{live_server.url}/admin/workdays/calendaryear/")
        page.click("a.addlink:has-text('粘贴国务院通知')")
        page.fill("textarea[name=text]", text)
        page.click("input[name=preview]")
        page.locator("#preview").wait_for()
        assert "放假 33 天，调休上班 6 天" in page.inner_text("#preview")
        assert page.evaluate("document.documentElement.scrollWidth") <= WIDTH
        shot(page, "admin-calendar-paste-preview")
        page.click("input[name=save]")
        page.locator(".messagelist .success").wait_for()
    assert CalendarDay.objects.filter(date__year=2026, is_workday=True).count() == 6
