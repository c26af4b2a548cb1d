import pytest

from shenpi import clock
from shenpi.catalog.services import forget_flows


@pytest.fixture(autouse=True)
def _running_clock():
    """Every test starts and ends with the real clock."""
    clock.set_now(None)
    yield
    clock.set_now(None)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Argon2 is deliberately slow; tests create many users and do not test the hasher's cost."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher",
                                 "django.contrib.auth.hashers.Argon2PasswordHasher"]


@pytest.fixture(autouse=True)
def _no_flow_from_another_test():
    """Each test's database is rolled back, so version ids come again with other flows."""
    forget_flows()
    yield
    forget_flows()
