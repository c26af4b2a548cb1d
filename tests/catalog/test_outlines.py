"""Districts' and towns' outlines (辖区轮廓): validation on every path (model, admin form, import
command), and `shenpi catalogue outlines import FILE` (all or nothing, one line on a bad file)."""

import io
import json
import re

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command

from shenpi.catalog import outlines
from shenpi.catalog.admin import DepartmentForm
from shenpi.catalog.management.commands.catalogue import Command
from shenpi.catalog.models import Department
from shenpi.demo.catalogue import DEPARTMENTS_BY_SLUG, OUTLINES
from tests import factories as f

SQUARE = [[118.0, 30.0], [118.1, 30.0], [118.1, 30.1], [118.0, 30.1], [118.0, 30.0]]
HOLE = [[118.02, 30.02], [118.04, 30.02], [118.04, 30.04], [118.02, 30.02]]
GOOD = [
    {"type": "Polygon", "coordinates": [SQUARE]},
    {"type": "Polygon", "coordinates": [SQUARE, HOLE]},
    {"type": "MultiPolygon", "coordinates": [[SQUARE], [[[119, 31], [119.1, 31], [119.1, 31.1], [119, 31]]]]},
    {"type": "Polygon", "coordinates": [[[*p, 12.5] for p in SQUARE]]},  # an altitude is allowed
]
BAD = [
    ("a string", "Polygon 或 MultiPolygon"),
    ({"type": "Point", "coordinates": [118, 30]}, "Polygon 或 MultiPolygon"),
    ({"type": "Polygon"}, "由环组成的列表"),
    ({"type": "Polygon", "coordinates": []}, "由环组成的列表"),
    ({"type": "Polygon", "coordinates": [SQUARE[:3]]}, "至少要有4个坐标点"),
    ({"type": "Polygon", "coordinates": [SQUARE[:4]]}, "未闭合"),
    ({"type": "Polygon", "coordinates": [[[*SQUARE[0]], [218.1, 30.0], *SQUARE[2:]]]}, "超出经纬度范围"),
    ({"type": "Polygon", "coordinates": [[[118.0, 95.0], *SQUARE[1:4], [118.0, 95.0]]]}, "超出经纬度范围"),
    ({"type": "Polygon", "coordinates": [[["118", "30"], *SQUARE[1:]]]}, "两个数"),
    ({"type": "Polygon", "coordinates": [[[True, False], *SQUARE[1:]]]}, "两个数"),
    ({"type": "Polygon", "coordinates": [[[118.0], *SQUARE[1:]]]}, "两个数"),
    ({"type": "MultiPolygon", "coordinates": []}, "多边形列表"),
    ({"type": "MultiPolygon", "coordinates": [[SQUARE], [SQUARE[:4]]]}, "第2个多边形未闭合"),
]


@pytest.mark.parametrize("geometry", GOOD)
def test_good_outlines_pass(geometry):
    outlines.check(geometry)


@pytest.mark.parametrize(("geometry", "message"), BAD)
def test_bad_outlines_are_refused_with_a_chinese_message(geometry, message):
    with pytest.raises(ValidationError, match=message):
        outlines.check(geometry)


def test_too_many_points_are_refused():
    ring = [[118 + n / 1e5, 30.0] for n in range(outlines.MAX_POINTS)] + [[118.5, 30.5], [118.0, 30.0]]
    with pytest.raises(ValidationError, match="请先简化"):
        outlines.check({"type": "Polygon", "coordinates": [ring]})


@pytest.mark.django_db
def test_the_model_refuses_a_bad_outline_on_clean_and_on_save():
    district = f.department("城东区审批局", level=Department.Level.DISTRICT)
    district.outline = {"type": "Polygon", "coordinates": [SQUARE[:4]]}
    with pytest.raises(ValidationError) as error:
        district.full_clean()
    assert "outline" in error.value.message_dict
    with pytest.raises(ValidationError, match="未闭合"):
        district.save()
    district.outline = GOOD[0]
    district.full_clean()
    district.save()
    assert Department.objects.get(pk=district.pk).outline == GOOD[0]


@pytest.mark.django_db
def test_only_districts_and_towns_have_outlines():
    city = f.department("住房和城乡建设局")
    city.outline = GOOD[0]
    with pytest.raises(ValidationError, match="只有县\\(区\\)级和乡镇\\(街道\\)级"):
        city.full_clean()


def _form(outline: str, **more) -> DepartmentForm:
    data = {"code": "SF-TOWN", "name": "东湖街道便民服务中心", "short_name": "东湖街道", "level": "town",
            "sort": 1, "outline": outline, **more}
    return DepartmentForm(data=data)


@pytest.mark.django_db
def test_the_admin_accepts_a_geometry_or_a_feature_as_text():
    form = _form(json.dumps(GOOD[0]))
    assert form.is_valid(), form.errors
    feature = {"type": "Feature", "properties": {"name": "东湖"}, "geometry": GOOD[2]}
    form = _form(json.dumps(feature))
    assert form.is_valid(), form.errors
    assert form.save().outline == GOOD[2]  # the geometry is kept, not the feature
    assert _form("", code="SF-TOWN-2").is_valid()


@pytest.mark.django_db
def test_the_admin_refuses_bad_text_and_bad_geometry():
    form = _form('{"type": "Polygon", ')
    assert not form.is_valid() and "outline" in form.errors
    form = _form(json.dumps({"type": "Polygon", "coordinates": [SQUARE[:4]]}))
    assert not form.is_valid()
    assert "未闭合" in form.errors["outline"][0]


def test_the_demo_outlines_are_valid_and_towns_lie_in_their_district():
    for slug, geometry in OUTLINES.items():
        outlines.check(geometry)
        assert DEPARTMENTS_BY_SLUG[slug].level in outlines.NETWORK_LEVELS
    for slug, geometry in OUTLINES.items():
        parent = DEPARTMENTS_BY_SLUG[slug].parent
        if parent:
            district = {tuple(p) for p in OUTLINES[parent]["coordinates"][0]}
            corners = [tuple(p) for p in geometry["coordinates"][0]]
            # Every corner of a town is a corner of its district or inside it.
            assert all(c in district or _inside(c, OUTLINES[parent]["coordinates"][0]) for c in corners), slug


def _inside(point, ring) -> bool:
    """Ray casting (the point is not on the ring)."""
    x, y = point
    inside = False
    for (x1, y1), (x2, y2) in zip(ring, ring[1:], strict=False):
        if (y1 > y) != (y2 > y) and x < (x2 - x1) * (y - y1) / (y2 - y1) + x1:
            inside = not inside
    return inside


# -- the import command -------------------------------------------------------------------------------------

def _collection(*features) -> bytes:
    return json.dumps({"type": "FeatureCollection", "features": list(features)}).encode()


def _feature(code, geometry=None) -> dict:
    return {"type": "Feature", "properties": {"code": code, "name": code}, "geometry": geometry or GOOD[0]}


def run_on_console(monkeypatch, *args):
    """The command as the console script runs it: (exit status, stdout, stderr)."""
    monkeypatch.setattr("django.core.management.base.connections.close_all", lambda: None)
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(SystemExit) as exited:
        Command(stdout=out, stderr=err).run_from_argv(["shenpi", "catalogue", *args])
    return exited.value.code, out.getvalue(), err.getvalue()


@pytest.fixture
def network(db):
    district = f.department("城东区审批局", code="SF-CD", level=Department.Level.DISTRICT)
    town = f.department("东湖街道", code="SF-CD-DH", level=Department.Level.TOWN, parent=district)
    return district, town


def test_import_sets_the_outlines_by_code(network, tmp_path):
    district, town = network
    path = tmp_path / "outlines.geojson"
    path.write_bytes(_collection(_feature("SF-CD", GOOD[2]), _feature("SF-CD-DH")))
    out = io.StringIO()
    call_command("catalogue", "outlines", "import", str(path), stdout=out)
    assert "已导入2个辖区轮廓" in out.getvalue()
    district.refresh_from_db()
    town.refresh_from_db()
    assert (district.outline, town.outline) == (GOOD[2], GOOD[0])


@pytest.mark.parametrize(("content", "message"), [
    (b"{not json", "不是有效的 GeoJSON"),
    (json.dumps({"type": "Feature"}).encode(), "应为 GeoJSON 的 FeatureCollection"),
    (_collection(), "没有任何要素"),
    (_collection({"type": "Feature", "properties": {}, "geometry": GOOD[0]}), "第1个要素没有 code 属性"),
    (_collection(_feature("SF-CD-DH"), _feature("SF-CD-DH")), "第2个要素的部门编码SF-CD-DH重复"),
    (_collection(_feature("SF-CD"), _feature("SF-CD-DH", {"type": "Polygon", "coordinates": [SQUARE[:4]]})),
     "第2个要素（SF-CD-DH）：轮廓未闭合"),
    (_collection(_feature("SF-CD"), _feature("SF-NOWHERE")), "部门编码SF-NOWHERE不存在，未作任何改动"),
    (_collection(_feature("SF-CITY")), "不是县\\(区\\)级或乡镇\\(街道\\)级部门"),
])
def test_a_bad_file_fails_with_one_line_and_changes_nothing(network, tmp_path, monkeypatch, content, message):
    f.department("住房和城乡建设局", code="SF-CITY")
    path = tmp_path / "outlines.geojson"
    path.write_bytes(content)
    status, out, err = run_on_console(monkeypatch, "outlines", "import", str(path))
    assert status == 1
    assert out == ""
    assert len(err.strip().splitlines()) == 1
    assert re.search(message, err), err
    assert not Department.objects.filter(outline__isnull=False).exists()


def test_a_missing_file_fails_with_one_line(network, tmp_path, monkeypatch):
    status, _, err = run_on_console(monkeypatch, "outlines", "import", str(tmp_path / "none.geojson"))
    assert status == 1 and len(err.strip().splitlines()) == 1 and "无法读取" in err
