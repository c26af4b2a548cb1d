"""The statistics benchmark at a tiny scale: it runs through, and the aggregates equal the plain GROUP BY
over the generated cases (PostgreSQL only: the generator writes with PostgreSQL's SQL)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings

from bench import reports
from shenpi import clock
from shenpi.cases.models import Case, State
from shenpi.figures import query

ON_POSTGRES = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")


@pytest.mark.skipif(not ON_POSTGRES, reason="the generator writes with PostgreSQL's SQL (generate_series, VACUUM)")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_bench_runs_and_the_aggregates_agree_with_the_cases():
    result = reports.run(open_cases=300, closed_cases=3000, repeat=1, actions=3)
    assert result["cases"] == 3300
    assert result["headline"]["agree"] is True and result["headline"]["plain"]["counters"] > 20
    assert result["rebuild"]["cases"]["days"] > 300 and result["rebuild"]["rows"]["caseday"] > 0
    up = result["upkeep"]
    assert up["actions"] == 6 and up["keep_up_s"] > 0
    # The upkeep counted the bench's completions: today's aggregates equal a count over the cases.
    today = clock.today()
    start, end = clock.days_range(today, today)
    completed = Case.objects.filter(state=State.COMPLETED, completed_at__gte=start, completed_at__lt=end).count()
    assert query.total(today, today)["completed"] == completed >= 6
    recent = clock.now() - dt.timedelta(minutes=10)
    assert Case.objects.filter(state=State.COMPLETED, completed_at__gte=recent).count() >= 6
    assessed = result["assessment"]
    assert assessed["aggregates"]["rows"] == assessed["cases"]["rows"] > 0
    for figure in result["reports"].values():  # whatever reports are registered ran, or say why not
        assert "failed" in figure or figure["warm_s"] >= 0
