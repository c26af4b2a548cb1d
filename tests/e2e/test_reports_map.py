"""The statistics home page's map in a real browser: a supervisor opens /reports/ with two outlined
districts (the demo's invented outlines), sees the map drawn by ECharts' map series, colours it by
网办率, and clicks 城东区 to land on the 办件量 report filtered by that district.

The small city of tests/performance/conftest.py (clock frozen on 5 November 2026), with one
district's cases planted, aggregates rebuilt. Screenshot in test-artifacts/screenshots/.
"""

import dataclasses
import datetime as dt
import os

import pytest
from playwright.sync_api import expect

from shenpi.cases.models import Channel
from shenpi.demo.catalogue import OUTLINES
from shenpi.figures import upkeep
from tests import factories as f
from tests.browser import fresh_page, log_in, shot
from tests.performance.conftest import at, frozen, make_case, world  # noqa: F401

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

INSIDE_CHENGDONG = [118.32, 30.12]  # a point well inside the demo's 城东区 outline
SERIES = """() => {
  const chart = echarts.getInstanceByDom(document.getElementById('chart-map'));
  const series = chart.getOption().series[0];
  return {type: series.type, name: series.name, map: series.map, areas: series.data.length};
}"""


@dataclasses.dataclass
class Network:
    east: object
    west: object


@pytest.fixture
def network(world):  # noqa: F811
    east = f.department("示范市城东区行政审批服务局", short_name="城东区", level="district",
                        outline=OUTLINES["chengdong"])
    west = f.department("示范市滨河区行政审批服务局", short_name="滨河区", level="district",
                        outline=OUTLINES["binhe"])
    town = f.department("东湖街道便民服务中心", short_name="东湖街道", level="town", parent=east,
                        outline=OUTLINES["cd_donghu"])
    clerk = world.people_a["clerk"]
    for dept, received in ((east, 3), (town, 2), (west, 1)):
        item = f.item(dept, name=f"{dept.short_name}事项")
        for n in range(received):
            make_case(dept, item, clerk, received=at(2026, 10, 5 + n), completed=at(2026, 10, 8 + n),
                      due=dt.date(2026, 10, 9), channel=Channel.ONLINE if n == 0 else Channel.WINDOW)
    upkeep.rebuild()
    return Network(east, west)


@pytest.fixture
def page():
    with fresh_page() as page:
        yield page


def test_the_map_is_drawn_and_a_click_opens_the_district_report(live_server, world, network, page):  # noqa: F811
    base = live_server.url
    log_in(page, base, world.people_a["supervisor"])
    page.goto(f"{base}/reports/?period=2026-10")
    expect(page.locator("#chart-map canvas")).to_have_count(1)
    drawn = page.evaluate(SERIES)
    assert drawn == {"type": "map", "name": "收件数", "map": "shenpi-district", "areas": 2}
    # Two levels outlined: the level selector is offered; the towns' map has the one town.
    expect(page.locator("#rep-map-level")).to_be_visible()
    page.select_option("#rep-map-level", "town")
    assert page.evaluate(SERIES)["map"] == "shenpi-town"
    assert page.evaluate(SERIES)["areas"] == 1
    page.select_option("#rep-map-level", "district")
    page.select_option("#rep-map-figure", "online_rate")
    assert page.evaluate(SERIES)["name"] == "网办率"
    shot(page, "reports-map-01-home")

    # A real click on a point inside 城东区, placed where the chart draws that longitude/latitude.
    page.locator("#chart-map").scroll_into_view_if_needed()
    x, y = page.evaluate("""(point) => {
      const chart = echarts.getInstanceByDom(document.getElementById('chart-map'));
      return chart.convertToPixel({seriesIndex: 0}, point);
    }""", INSIDE_CHENGDONG)
    box = page.locator("#chart-map").bounding_box()
    with page.expect_navigation():
        page.mouse.click(box["x"] + x, box["y"] + y)
    assert f"district={network.east.pk}" in page.url and "/reports/volume/" in page.url
    expect(page.locator("#rep-conditions")).to_contain_text("区县/乡镇：示范市城东区行政审批服务局")
    # 城东区 and its town: 5 cases received in October.
    expect(page.locator("#rep-table tfoot")).to_contain_text("5")
