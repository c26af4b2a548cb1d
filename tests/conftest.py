import pytest

from shenpi import clock


@pytest.fixture(autouse=True)
def _running_clock():
    """Every test starts and ends with the real clock."""
    clock.set_now(None)
    yield
    clock.set_now(None)
