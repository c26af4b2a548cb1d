"""With a read replica (SHENPI_REPLICA_URL), the statistics read from it and write to the primary."""

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connections, router, transaction
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from shenpi.cases.models import Case
from shenpi.figures import query, routers
from shenpi.figures.models import CaseDay, Upkeep
from shenpi.figures.query import Scope
from tests import factories as f

SRC = Path(__file__).resolve().parents[2] / "src"
DAY = dt.date(2026, 10, 9)


def settings_with(**env) -> dict:
    """DATABASES and DATABASE_ROUTERS as a fresh process reads them from its environment."""
    script = ("import json; from django.conf import settings; "
              "print(json.dumps({'aliases': sorted(settings.DATABASES), "
              "'replica': settings.DATABASES.get('replica', {}).get('NAME'), "
              "'mirror': settings.DATABASES.get('replica', {}).get('TEST', {}).get('MIRROR'), "
              "'routers': settings.DATABASE_ROUTERS}))")
    environment = {k: v for k, v in os.environ.items() if k != "SHENPI_REPLICA_URL"}
    environment.update(DJANGO_SETTINGS_MODULE="shenpi.settings", PYTHONPATH=str(SRC), **env)
    done = subprocess.run([sys.executable, "-c", script], env=environment, capture_output=True, text=True,
                          check=True, timeout=60)
    return json.loads(done.stdout.strip().splitlines()[-1])


# Marked for the database so that they run before the tests that add the alias (pytest-django runs
# transactional tests last).
@pytest.mark.django_db
def test_without_the_setting_there_is_no_replica():
    assert "replica" not in settings.DATABASES and not routers.has_replica()
    assert routers.reading() == "default"
    assert settings_with() == {"aliases": ["default"], "replica": None, "mirror": None, "routers": []}


@pytest.mark.django_db
def test_the_setting_adds_the_alias_and_the_router():
    got = settings_with(SHENPI_REPLICA_URL="postgres://reader@replica.internal:5432/shenpi")
    assert got == {"aliases": ["default", "replica"], "replica": "shenpi", "mirror": "default",
                   "routers": ["shenpi.figures.routers.ReplicaRouter"]}


@pytest.fixture(scope="module")
def replica(django_db_setup, django_db_blocker):
    """A `replica` alias on the test database itself, as Django's TEST MIRROR makes one, and the router.

    The tests commit (a replica sees committed rows only); serialized_rollback restores the seeded rows."""
    with django_db_blocker.unblock():
        connections.settings[routers.REPLICA] = {**connections["default"].settings_dict,
                                                 "TEST": {"MIRROR": "default"}}
    with override_settings(DATABASE_ROUTERS=["shenpi.figures.routers.ReplicaRouter"]):
        yield
    connections[routers.REPLICA].close()
    del connections[routers.REPLICA]
    del connections.settings[routers.REPLICA]


def _a_day_row() -> CaseDay:
    dept = f.department("住房和城乡建设局")
    return CaseDay.objects.create(day=DAY, department=dept, item=f.item(dept), channel="window", received=3,
                                  completed=2, on_time=2)


@pytest.mark.django_db(transaction=True, serialized_rollback=True, databases=["default", "replica"])
def test_figures_read_from_the_replica_and_write_to_the_primary(replica):
    with CaptureQueriesContext(connections["default"]) as primary, \
            CaptureQueriesContext(connections["replica"]) as copy:
        row = _a_day_row()
    assert not any("figures_caseday" in q["sql"] for q in copy.captured_queries)
    assert any("INSERT INTO" in q["sql"] and "figures_caseday" in q["sql"] for q in primary.captured_queries)

    assert router.db_for_read(CaseDay) == router.db_for_read(Upkeep) == "replica"
    assert router.db_for_write(CaseDay) == "default"
    assert router.db_for_read(Case) == "default"  # other apps read the primary as before
    with CaptureQueriesContext(connections["default"]) as primary, \
            CaptureQueriesContext(connections["replica"]) as copy:
        got = query.total(DAY, DAY, scope=Scope(departments=(row.department_id,)), names=["received", "completed"])
    assert got == {"received": 3, "completed": 2}
    assert any("figures_caseday" in q["sql"] for q in copy.captured_queries)
    assert not primary.captured_queries


@pytest.mark.django_db(transaction=True, serialized_rollback=True, databases=["default", "replica"])
def test_drill_down_reads_cases_from_the_replica_but_a_transaction_reads_its_own_writes(replica):
    assert routers.reading() == "replica"
    with CaptureQueriesContext(connections["replica"]) as copy:
        Case.objects.using(routers.reading()).filter(number="X").exists()
    assert any("cases_case" in q["sql"] for q in copy.captured_queries)
    with transaction.atomic():
        assert routers.reading() == "default"
        assert router.db_for_read(CaseDay) == "default"
        row = _a_day_row()
        assert CaseDay.objects.filter(pk=row.pk).exists()  # not yet on any replica
    assert router.allow_migrate("replica", "figures") is False
    assert router.allow_migrate("default", "figures") is not False
