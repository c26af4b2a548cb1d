"""`shenpi assess`: the ranking on the console, as text or JSON; bad input as one line and a status."""

import io
import json

import pytest
from django.core.management import call_command

from .conftest import NOW


def assess(*args) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("assess", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_text_ranking_of_a_month(world):
    out, err = assess("--month", "2026-10")
    lines = out.splitlines()
    assert lines[0] == "2026年10月部门绩效考核排名（窗口单位月度绩效考核（市级方案））"
    assert lines[1].split("\t") == ["名次", "得分", "扣分", "加分", "名称", "未录入项"]
    assert lines[2].split("\t")[:5] == ["1", "42.00", "0.00", "0.00", "市场监督管理局"]
    assert lines[3].split("\t")[:5] == ["2", "13.40", "20.00", "4.00", "住房和城乡建设局"]
    assert "政务公开" in lines[3]
    assert err.startswith("共2个部门，1个月，用时")


def test_json_ranking_has_the_breakdown_and_indicators(world):
    out, _ = assess("--month", "2026-10", "--json")
    data = json.loads(out)
    assert (data["period"], data["level"], data["months"]) == ("2026-10", "department", ["2026-10"])
    a = data["rows"][1]
    assert (a["rank"], a["name"], a["score"]) == (2, "住房和城乡建设局", 13.4)
    month = a["months"][0]
    assert month["weighted"] == 29.4 and month["areas"]["time_limit"] == {
        "name": "期限合法", "weight": 14.0, "source": "measured", "value": 80.0, "points": 11.2}
    assert [d["points"] for d in month["deductions"]] == [5.0, 5.0, 10.0]
    assert month["bonuses"] == [{"name": "提前办结率每满10%", "value": 40.0, "points": 4.0}]
    assert month["indicators"]["completed"] == 5 and month["indicators"]["on_time_rate"] == 80.0
    assert month["indicators"]["complaints"] == 0
    assert data["seconds"] >= 0


def test_other_periods_and_levels(world):
    out, _ = assess("--period", "2026-H2")
    assert out.splitlines()[1].split("\t") == ["名次", "平均得分", "计入月数", "名称"]
    assert "2\t30.20\t2\t住房和城乡建设局" in out
    out, _ = assess("--month", "2026-10", "--level", "person", "--json")
    names = {row["name"] for row in json.loads(out)["rows"]}
    assert {"承办人", "审核人", "窗口人员"} <= names


def test_default_is_the_last_month(world):
    out, _ = assess()
    assert out.startswith("2026年10月")
    assert NOW.month == 11


@pytest.mark.parametrize(("args", "message"), [
    (["--month", "2026-13"], "月份不存在"),
    (["--month", "2026-Q4"], "--month 应为月份"),
    (["--period", "soon"], "格式不对"),
    (["--month", "2027-01"], "尚未开始"),
])
def test_bad_input_is_one_line_and_a_status(world, args, message):
    err = io.StringIO()
    with pytest.raises(SystemExit) as exit_:
        call_command("assess", *args, stdout=io.StringIO(), stderr=err)
    assert exit_.value.code == 1
    assert err.getvalue().strip().count("\n") == 0 and message in err.getvalue()
