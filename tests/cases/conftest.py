import pytest

from shenpi.cases import hooks
from tests import factories as f


@pytest.fixture
def own_hooks(monkeypatch):
    """Receivers and subscribers registered by a test are gone after it; the apps' own stay."""
    for table in ("_before", "_after", "_subscribers"):
        monkeypatch.setattr(hooks, table, dict(getattr(hooks, table)))
    hooks._plan.clear()
    yield
    hooks._plan.clear()


@pytest.fixture
def office():
    """A department with one person per role, and an item with the three-step flow."""
    dept = f.department()
    return dept, f.staff(dept), f.item(dept)
