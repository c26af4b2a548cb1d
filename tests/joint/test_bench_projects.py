"""The projects benchmark's generator at a small scale: what it writes hangs together (PostgreSQL only:
it generates with PostgreSQL's SQL and vacuums outside a transaction)."""

from __future__ import annotations

import pytest
from django.conf import settings

from bench import projects
from shenpi.cases.models import Case, State
from shenpi.joint.models import Project, Stage, StagePart

ON_POSTGRES = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")


def test_a_projects_cases_are_spread_over_its_four_stages():
    assert projects.stage_sizes(10) == [3, 3, 2, 2]
    assert projects.stage_sizes(4) == [1, 1, 1, 1]
    assert projects.stage_sizes(2) == [1, 1, 0, 0]
    assert sum(projects.stage_sizes(37)) == 37


@pytest.mark.skipif(not ON_POSTGRES, reason="the generator writes with PostgreSQL's SQL (generate_series, VACUUM)")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_generator_writes_projects_stages_and_parts_that_agree():
    result = projects.generate(projects=200, cases=1000, seed=5)
    assert Project.objects.count() == 200
    assert Project.objects.filter(key_project=True).count() == 20
    assert Project.objects.filter(green_channel=True).count() == 10
    assert Case.objects.count() == Case.objects.exclude(project_code="").count() == 1000
    assert result["parts"] == StagePart.objects.count() == Case.objects.exclude(accept_date=None).count()
    decided = {State.DECIDED, State.COMPLETED}
    for stage in Stage.objects.select_related("project").prefetch_related("parts__case")[:200]:
        cases = [part.case for part in stage.parts.all()]
        assert {c.project_code for c in cases} == {stage.project.code}
        assert stage.template.project_type_id == stage.project.project_type_id
        assert stage.promised_due > stage.accept_date
        assert stage.accept_date == min(c.accept_date for c in cases)
        ended = any(c.decision == "deny" or c.state in (State.REFUSED, State.WITHDRAWN, State.VOIDED) for c in cases)
        if ended:
            assert stage.state == Stage.State.ENDED
        elif all(c.state in decided for c in cases):
            assert stage.state == Stage.State.CONCLUDED and stage.used_days is not None
        else:
            assert stage.state == Stage.State.OPEN and stage.concluded_at is None
        if stage.project.green_channel:
            assert stage.promised_total == max(1, -(-stage.template.promised_total // 2))
    # Without the pages (or with them, after they are merged) the measurement runs or says why not.
    pages = projects.measure_pages(clients=2, seconds=0.2, warmup=0, max_requests=4, seed=1)
    for page in pages.values():
        assert page.get("measured") is False or set(page["statuses"]) <= {200}
