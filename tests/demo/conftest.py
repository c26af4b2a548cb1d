"""One demo year of 200 cases per test module, generated once and rolled back afterwards.

Generating takes seconds, so the module shares it: the data lives in an outer transaction that
each test's own transaction nests in, and which is rolled back when the module is done, so no
other test ever sees the demo.
"""

import importlib

import pytest
from django.db import transaction
from django.test import override_settings

from shenpi import clock
from shenpi.accounts.models import Role
from shenpi.catalog.models import ProcedureKind
from shenpi.demo import generator
from shenpi.workdays import services as workdays

CASES = 200


def _reference_data() -> None:
    """What the migrations seed, in case a test elsewhere flushed the database earlier in the session."""
    for code, name in Role.NAMES.items():
        Role.objects.get_or_create(code=code, defaults={"name": name})
    kinds = importlib.import_module("shenpi.catalog.migrations.0002_procedure_kinds").KINDS
    for code, name, days in kinds:
        ProcedureKind.objects.get_or_create(code=code, defaults={"name": name, "default_limit_days": days})
    workdays.seed_from_chinesecalendar()
    workdays.forget_calendar()


@pytest.fixture(scope="module")
def var_dir(tmp_path_factory):
    path = tmp_path_factory.mktemp("var")
    with override_settings(VAR_DIR=path, MEDIA_ROOT=path / "media", LICENCE_KEY_DIR=path / "keys"):
        yield path


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker, var_dir):
    """(the generator's result, whether the clock was left frozen) for a 200-case year up to now."""
    with django_db_blocker.unblock():
        with transaction.atomic():
            _reference_data()
            result = generator.generate(cases=CASES)
            frozen_after = clock._frozen
            yield result, frozen_after
            transaction.set_rollback(True)
        workdays.forget_calendar()
