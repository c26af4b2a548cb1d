"""`shenpi figures`: status and rebuild in local time; a bad date is one line on stderr and a non-zero exit."""

import datetime as dt
import io
import subprocess
import sys

import pytest
from django.core.management import call_command

from shenpi import clock
from shenpi.figures.models import CaseDay


def test_rebuild_and_status_speak_local_time(world):
    out = io.StringIO()
    with clock.frozen(clock.day_start(dt.date(2026, 11, 5)) + dt.timedelta(hours=7, minutes=30)):  # 23:30 UTC before
        call_command("figures", "rebuild", stdout=out)
    assert "数据截至 2026-11-05 07:30:00" in out.getvalue()
    assert CaseDay.objects.filter(department=world.a).exists()
    out = io.StringIO()
    call_command("figures", "status", stdout=out)
    assert "cases: 数据截至 2026-11-05 07:30:00" in out.getvalue()


@pytest.mark.parametrize("args, message", [
    (["rebuild", "--from", "2026-13-01"], "日期“2026-13-01”格式不对"),
    (["rebuild", "--from", "2026-11-02", "--to", "2026-11-01"], "起始日期晚于截止日期"),
])
def test_a_bad_date_is_refused_with_one_line(args, message):
    done = subprocess.run([sys.executable, "-m", "shenpi.cli", "figures", *args], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode != 0
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and message in lines[0]
