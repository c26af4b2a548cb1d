"""The statistics home page's map of the districts: shown only when a district or town has an outline;
each area's figures count the cases of its whole subtree (checked against direct counts over the
cases), and each area links to the 办件量 report filtered by it.

Planted on top of the world (tests/performance/conftest.py), October 2026:
城东区 (district, outlined) › 东湖街道 (town, outlined) › 湖滨社区 (village); 滨河区 (district, outlined);
青山镇 (town under 城东区, no outline).
"""

import datetime as dt
import html
import json
import re
from fractions import Fraction
from urllib.parse import parse_qs, urlsplit

import pytest

from shenpi import clock
from shenpi.cases.models import Case, Channel, State
from shenpi.catalog.models import Department
from shenpi.figures import upkeep
from shenpi.reports.present import chart_value
from tests import factories as f
from tests.performance.conftest import at, make_case

SQUARE = {"type": "Polygon", "coordinates": [[[118.0, 30.0], [118.1, 30.0], [118.1, 30.1], [118.0, 30.0]]]}
MAP = re.compile(r'data-map="([^"]*)"')
OCTOBER = (dt.date(2026, 10, 1), dt.date(2026, 10, 31))


@pytest.fixture
def network(world):
    clerk = world.people_a["clerk"]
    district = f.department("示范市城东区行政审批服务局", short_name="城东区审批局", level="district", outline=SQUARE)
    town = f.department("东湖街道便民服务中心", short_name="东湖街道", level="town", parent=district, outline=SQUARE)
    village = f.department("湖滨社区便民服务站", level="village", parent=town)
    other_town = f.department("青山镇便民服务中心", level="town", parent=district)
    west = f.department("示范市滨河区行政审批服务局", short_name="滨河区审批局", level="district", outline=SQUARE)
    plant = {
        district: [dict(completed=at(2026, 10, 5), due=dt.date(2026, 10, 6)),
                   dict(state=State.IN_PROGRESS, channel=Channel.ONLINE)],
        town: [dict(completed=at(2026, 10, 20), due=dt.date(2026, 10, 15)),
               dict(state=State.IN_PROGRESS, channel=Channel.ONLINE),
               # received 00:30 on 1 November local time (still October in UTC): not an October case
               dict(state=State.IN_PROGRESS, received=at(2026, 11, 1, 0, 30))],
        village: [dict(completed=at(2026, 10, 9, 23, 30), due=dt.date(2026, 10, 9)),
                  dict(state=State.VOIDED, closed=at(2026, 10, 4))],
        other_town: [dict(completed=at(2026, 10, 30), due=dt.date(2026, 11, 2), channel=Channel.ONLINE)],
        west: [dict(state=State.REFUSED, closed=at(2026, 10, 3))],
    }
    for dept, cases in plant.items():
        item = f.item(dept, name=f"{dept.name}事项")
        for n, case in enumerate(cases):
            case.setdefault("received", at(2026, 10, 2 + n))
            make_case(dept, item, clerk, **case)
    upkeep.rebuild()
    return {"district": district, "town": town, "village": village, "other_town": other_town, "west": west}


def shown_map(response) -> dict:
    found = MAP.search(response.content.decode())
    assert found, "no map on the page"
    return json.loads(html.unescape(found.group(1)))


def direct(departments: set[int]) -> dict:
    """The map's three figures for October straight from the cases of these departments."""
    start, end = clock.days_range(*OCTOBER)
    cases = Case.objects.exclude(state=State.VOIDED).filter(department__in=departments)
    received = list(cases.filter(received_at__gte=start, received_at__lt=end))
    completed = list(cases.filter(state=State.COMPLETED, completed_at__gte=start, completed_at__lt=end))
    on_time = [c for c in completed if clock.local_date(c.completed_at) <= c.promised_due]
    online = [c for c in received if c.channel == Channel.ONLINE]

    def rate(part, whole):
        return chart_value(Fraction(100 * len(part), len(whole)), "rate") if whole else None

    return {"received": len(received), "on_time_rate": rate(on_time, completed), "online_rate": rate(online, received)}


def test_each_area_counts_the_cases_of_its_subtree(world, network):
    response = world.client(world.people_a["supervisor"]).get("/reports/?period=2026-10")
    assert response.status_code == 200
    data = shown_map(response)
    assert [f["label"] for f in data["figures"]] == ["收件数", "按时办结率", "网办率"]
    levels = {level["level"]: level for level in data["levels"]}
    assert set(levels) == {"district", "town"}
    areas = {a["key"]: a for level in levels.values() for a in level["areas"]}
    n = network
    subtrees = {n["district"]: {n["district"], n["town"], n["village"], n["other_town"]},
                n["town"]: {n["town"], n["village"]}, n["west"]: {n["west"]}}
    assert set(areas) == {str(d.pk) for d in subtrees}  # the outlined ones only
    for dept, members in subtrees.items():
        assert areas[str(dept.pk)]["values"] == direct({d.pk for d in members}), dept.name
    # The planted figures themselves, so that a wrong direct count cannot hide a wrong map.
    assert areas[str(n["district"].pk)]["values"] == {"received": 6, "on_time_rate": 75.0, "online_rate": 50.0}
    assert areas[str(n["town"].pk)]["values"] == {"received": 3, "on_time_rate": 50.0, "online_rate": 33.3}
    assert areas[str(n["west"].pk)]["values"] == {"received": 1, "on_time_rate": None, "online_rate": 0.0}
    # The GeoJSON registered with ECharts: one feature per area, keyed like the data.
    features = levels["district"]["geo"]["features"]
    assert [(x["properties"]["key"], x["geometry"]) for x in features] == [
        (str(n["district"].pk), SQUARE), (str(n["west"].pk), SQUARE)]
    assert levels["district"]["areas"][0]["name"] == "城东区审批局"


def test_a_click_leads_to_the_volume_report_of_the_area(world, network):
    client = world.client(world.people_a["supervisor"])
    data = shown_map(client.get("/reports/?period=2026-10"))
    area = next(a for a in data["levels"][0]["areas"] if a["key"] == str(network["district"].pk))
    url = urlsplit(area["url"])
    assert url.path == "/reports/volume/"
    assert parse_qs(url.query) == {"period": ["2026-10"], "district": [str(network["district"].pk)]}
    page = client.get(area["url"]).content.decode()
    assert "区县/乡镇：示范市城东区行政审批服务局" in page


def test_the_page_scope_narrows_the_areas(world, network):
    # The home page filtered to one district: the other district's area counts nothing.
    client = world.client(world.people_a["supervisor"])
    data = shown_map(client.get(f"/reports/?period=2026-10&district={network['town'].pk}"))
    areas = {a["key"]: a["values"] for level in data["levels"] for a in level["areas"]}
    assert areas[str(network["west"].pk)]["received"] == 0
    assert areas[str(network["district"].pk)]["received"] == 3  # only the town's subtree


def test_no_outline_no_map(world):
    upkeep.rebuild()
    Department.objects.create(code="SF-CD", name="城东区审批局", level="district")
    page = world.client(world.people_a["supervisor"]).get("/reports/?period=2026-10").content.decode()
    assert "chart-map" not in page and "data-map" not in page
    assert "reports/vendor/echarts.min.js" not in page
    assert "vendor/echarts.common.min.js" in page and "chart-trend" in page


def test_the_map_brings_the_full_echarts_build_and_no_inline_script(world, network):
    page = world.client(world.people_a["supervisor"]).get("/reports/?period=2026-10").content.decode()
    assert "reports/vendor/echarts.min.js" in page and "echarts.common.min.js" not in page
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page)
