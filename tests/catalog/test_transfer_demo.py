"""The demo catalogue (every department's items, flows, materials and fees) survives a round trip."""

import time

import pytest

from shenpi.catalog import transfer
from shenpi.catalog.models import ItemVersion
from shenpi.demo import generator

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("export", [transfer.export_json, transfer.export_xlsx])
def test_demo_catalogue_round_trip_is_an_empty_plan(export):
    result = generator.Result()
    generator._build_items(result, generator._build_departments(result), None)
    in_force = ItemVersion.objects.published().count()
    assert in_force > 50
    started = time.perf_counter()
    content = export()
    plan = transfer.diff(transfer.parse(content))
    seconds = time.perf_counter() - started
    assert plan.empty and plan.unchanged == in_force and plan.absent == []
    print(f"{export.__name__}: {in_force} items, {len(content)} bytes, export+parse+diff {seconds:.1f}s")
