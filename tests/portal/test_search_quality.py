"""How often the guide search puts the item people mean among the first three results.

The queries (tests/portal/search_queries.tsv) are what people type: parts of names, abbreviations
and everyday words (环评, 社保, 营业执照, 施工证), pinyin (sgxk) and typos (社会保章卡), each with the
demo catalogue's item it is meant to find. The share found in the top three is printed and must
stay at 95 % or more.
"""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest
from django.db import transaction

from shenpi.accounts.models import Role
from shenpi.catalog.models import ItemVersion, ProcedureKind
from shenpi.portal import guides
from shenpi.portal.models import SearchSynonym
from shenpi.workdays import services as workdays

QUERIES = Path(__file__).with_name("search_queries.tsv")
TOP = 3
TARGET = 0.95
SEED_MIGRATIONS = ("0003_seed_search_synonyms", "0004_seed_fire_review_synonyms")


def queries() -> list[tuple[str, str, str]]:
    rows = []
    for line in QUERIES.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            query, wanted, kind = line.split("\t")
            rows.append((query, wanted, kind))
    return rows


def seed_synonyms() -> None:
    """The migrations' entries, in case a test elsewhere flushed the table earlier in the session."""
    seeded = [entry for migration in SEED_MIGRATIONS
              for entry in importlib.import_module(f"shenpi.portal.migrations.{migration}").SYNONYMS]
    for term, meanings in seeded:
        SearchSynonym.objects.get_or_create(term=term, defaults={"meanings": "\n".join(meanings.split("、"))})


def catalogue_reference_data() -> None:
    """What the migrations seed and the demo's catalogue needs (as tests/demo/conftest.py)."""
    for code, name in Role.NAMES.items():
        Role.objects.get_or_create(code=code, defaults={"name": name})
    kinds = importlib.import_module("shenpi.catalog.migrations.0002_procedure_kinds").KINDS
    for code, name, days in kinds:
        ProcedureKind.objects.get_or_create(code=code, defaults={"name": name, "default_limit_days": days})
    workdays.seed_from_chinesecalendar()
    workdays.forget_calendar()


@pytest.fixture(scope="module")
def demo_catalogue(django_db_setup, django_db_blocker):
    """The demo's departments and items (no cases), rolled back when the module is done."""
    from shenpi.demo import generator

    with django_db_blocker.unblock(), transaction.atomic():
        catalogue_reference_data()
        seed_synonyms()
        generator.generate(cases=0)
        yield
        transaction.set_rollback(True)


def top_names(query: str) -> list[str]:
    found = guides.search(guides.Filters(query=query))
    names = dict(ItemVersion.objects.filter(pk__in=found.ids[:TOP]).values_list("pk", "name"))
    return [names[pk] for pk in found.ids[:TOP]]


def test_the_list_has_at_least_a_hundred_queries_of_every_kind():
    rows = queries()
    assert len(rows) >= 100
    assert {kind for _, _, kind in rows} == {"name", "short", "pinyin", "typo"}


@pytest.mark.django_db
def test_at_least_95_percent_of_the_queries_find_the_intended_item_in_the_first_three(demo_catalogue):
    rows = queries()
    names = set(ItemVersion.objects.published().values_list("name", flat=True))
    assert {wanted for _, wanted, _ in rows} <= names, "every intended item is in the demo catalogue"
    misses = []
    by_kind: dict[str, list[int]] = {}
    for query, wanted, kind in rows:
        hit = wanted in top_names(query)
        by_kind.setdefault(kind, []).append(hit)
        if not hit:
            misses.append(f"{query} → {wanted} (got {top_names(query)})")
    share = sum(sum(hits) for hits in by_kind.values()) / len(rows)
    detail = ", ".join(f"{kind} {sum(h)}/{len(h)}" for kind, h in sorted(by_kind.items()))
    print(f"\nguide search: {share:.1%} of {len(rows)} queries find the intended item in the top {TOP} ({detail})")
    for miss in misses:
        print("  miss:", miss)
    assert share >= TARGET, misses
