"""A department with staff, another one, an item, and completed cases to rate."""

import datetime as dt
from dataclasses import dataclass

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from shenpi import clock
from shenpi.accounts.models import User
from shenpi.cases import services as cases
from shenpi.cases.models import Case
from shenpi.catalog.models import Department, Item, Window
from tests import factories as f


def at(y, m, d, hh=10, mm=0) -> dt.datetime:
    return timezone.make_aware(dt.datetime(y, m, d, hh, mm))


@pytest.fixture(autouse=True)
def _empty_cache():
    """Anti-spam and tracking counters live in the cache: each test starts without any."""
    cache.clear()
    yield
    cache.clear()


@dataclass
class World:
    dept: Department
    other: Department
    people: dict[str, User]
    others: dict[str, User]
    item: Item
    window: Window

    def client(self, user: User) -> Client:
        client = Client()
        f.login_staff(client, user)
        return client


@pytest.fixture
def world(db) -> World:
    dept = f.department("住房和城乡建设局")
    other = f.department("公安局")
    people = f.staff(dept)
    others = f.staff(other)
    return World(dept, other, people, others, f.item(dept), people["clerk"].window)


def accepted(world: World, **kw) -> Case:
    case = f.receive(world.people["clerk"], world.item, **kw)
    return cases.perform(case, "accept", actor=world.people["clerk"])


def completed(world: World, **kw) -> Case:
    people = world.people
    case = accepted(world, **kw)
    for role in ("handler", "reviewer", "approver"):
        case = cases.perform(case, "pass", actor=people[role], params={"opinion": "同意"})
    case = cases.perform(case, "grant", actor=people["approver"], params={"opinion": "准予"})
    return cases.perform(case, "complete", actor=people["clerk"])


def freeze(moment: dt.datetime) -> None:
    clock.set_now(moment)
