"""The hall's wall screen in a real browser, from a display's address (no login): at 1920×1080 the key
figures of the planted hall (tests/reports/test_wall.py) show with no scrollbar, at 3840×2160 the same
layout fits at twice the type, and a case received meanwhile shows at the next refresh without a reload.
Screenshots go to the test's tmp_path and to test-artifacts/screenshots/.
"""

import datetime as dt
import os

import pytest
from playwright.sync_api import expect

from shenpi import clock
from shenpi.cases.models import State
from tests.browser import fresh_page, shot
from tests.performance.conftest import make_case
from tests.reports.test_wall import APPLICANT, PERSONAL, direct_today, own_cache, plant_hall  # noqa: F401

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

FITS = """() => {
  const root = document.documentElement;
  const out = [];
  if (root.scrollWidth > window.innerWidth) { out.push("page wider than the screen: " + root.scrollWidth); }
  if (root.scrollHeight > window.innerHeight) { out.push("page taller than the screen: " + root.scrollHeight); }
  document.querySelectorAll(".panel, .kpi, .wall-head").forEach((el) => {
    const box = el.getBoundingClientRect();
    if (box.right > window.innerWidth + 0.5 || box.bottom > window.innerHeight + 0.5) {
      out.push((el.className) + " outside the screen");
    }
  });
  document.querySelectorAll(".kpi-value, .alert b, .panel h2").forEach((el) => {
    if (el.scrollWidth > el.clientWidth + 1) { out.push(el.id || el.className + " cut off"); }
  });
  return out;
}"""


@pytest.fixture
def page():
    with fresh_page() as page:
        yield page


def test_the_wall_at_full_hd_and_4k_refreshes_without_a_reload(live_server, page, settings, tmp_path):
    settings.WALL_ADDRESSES = ["127.0.0.1"]
    settings.WALL_REFRESH_SECONDS = 1
    hall = plant_hall(clock.now())
    expected = direct_today(clock.today())

    page.set_viewport_size({"width": 1920, "height": 1080})
    page.goto(f"{live_server.url}/wall/")
    expect(page.locator("#kpi-received")).to_have_text(str(expected["received"]))
    expect(page.locator("#kpi-completed")).to_have_text(str(expected["completed"]))
    expect(page.locator("#kpi-waiting")).to_have_text(str(expected["waiting"]))
    expect(page.locator("#kpi-windows")).to_have_text("2")
    expect(page.locator("#alert-red")).to_have_text("1")
    expect(page.locator("#wall-as-of")).to_have_text(__import__("re").compile(r"^\d\d:\d\d:\d\d$"))
    expect(page.locator("#project-rows")).to_contain_text("城西科创中心一期")
    expect(page.locator("#queue-rows")).to_contain_text("市场监督管理局")
    for chart in ("chart-hourly", "chart-ranking"):
        expect(page.locator(f"#{chart} canvas")).to_have_count(1)
    assert page.evaluate(FITS) == []
    body = page.inner_text("body")
    assert not any(p in body for p in PERSONAL)
    page.screenshot(path=str(tmp_path / "wall-1920x1080.png"))
    shot(page, "wall-01-1920x1080")
    small = page.evaluate("parseFloat(getComputedStyle(document.querySelector('#kpi-received')).fontSize)")

    page.set_viewport_size({"width": 3840, "height": 2160})
    page.wait_for_timeout(300)
    assert page.evaluate(FITS) == []
    large = page.evaluate("parseFloat(getComputedStyle(document.querySelector('#kpi-received')).fontSize)")
    assert large == pytest.approx(2 * small, rel=0.02)
    page.screenshot(path=str(tmp_path / "wall-3840x2160.png"))
    assert (tmp_path / "wall-1920x1080.png").stat().st_size > 0

    # A case received now shows at the next poll, in the same page (the marker survives: no reload).
    page.set_viewport_size({"width": 1920, "height": 1080})
    page.evaluate("window.wallMarker = 'still here'")
    received = max(clock.day_start(clock.today()), clock.now() - dt.timedelta(minutes=1))
    make_case(hall["a"], hall["item_a"], hall["clerk_a"], received=received, state=State.RECEIVED)
    expect(page.locator("#kpi-received")).to_have_text(str(expected["received"] + 1), timeout=10_000)
    expect(page.locator("#kpi-waiting")).to_have_text(str(expected["waiting"] + 1))
    assert page.evaluate("window.wallMarker") == "still here"
    assert APPLICANT not in page.content()
