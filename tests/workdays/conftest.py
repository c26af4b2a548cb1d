import pytest

from shenpi.workdays import services


@pytest.fixture(autouse=True)
def _fresh_calendar_cache():
    """The cached calendar is process-wide: no test may see another test's (rolled back) table."""
    services.forget_calendar()
    yield
    services.forget_calendar()


@pytest.fixture
def seeded(db):
    """The table as the migration leaves it, even if an earlier test elsewhere flushed it."""
    services.seed_from_chinesecalendar()
    services.forget_calendar()


@pytest.fixture(scope="session")
def package_calendar(django_db_setup, django_db_blocker):
    """The calendar loaded from the seeded table, once: Hypothesis runs many examples on it."""
    with django_db_blocker.unblock():
        services.seed_from_chinesecalendar()
        return services.load_calendar()
