"""A department with two windows and a clerk, an item, and a second department; the clock before 国庆 2026."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from shenpi import clock
from shenpi.accounts.models import Role, User
from shenpi.appointments import services
from shenpi.appointments.models import Slot
from shenpi.catalog.models import Department, Item, Window
from shenpi.workdays import services as workdays
from tests import factories as f
from tests.applicants.helpers import person_id

MOBILE = "13912345678"


def at(y, m, d, hh=10, mm=0) -> dt.datetime:
    return timezone.make_aware(dt.datetime(y, m, d, hh, mm))


def person(n: int = 0, name: str = "李四", mobile: str = MOBILE) -> services.Person:
    return services.Person(name, person_id(f"11010519900307{n:03d}"), mobile)


@dataclass
class World:
    dept: Department
    window: Window
    item: Item
    clerk: User
    handler: User
    other_dept: Department
    other_window: Window
    other_item: Item
    other_clerk: User
    admin: User

    def client(self, user: User) -> Client:
        client = Client()
        f.login_staff(client, user)
        return client

    def slot(self, start: dt.datetime, capacity: int = 2, minutes: int = 30, item=None, window=None) -> Slot:
        return Slot.objects.create(window=window or self.window, item=item, start=start,
                                   end=start + dt.timedelta(minutes=minutes), capacity=capacity,
                                   published_at=clock.now())


@pytest.fixture
def world(db) -> World:
    # The calendar as the migration leaves it, even if a transactional test elsewhere flushed the table.
    workdays.seed_from_chinesecalendar()
    workdays.forget_calendar()
    cache.clear()  # failed look-ups counted by earlier tests from the same test client address
    # Thursday 24 September 2026, before the 中秋/国庆 holidays (25 Sep, 1–7 Oct; 10 Oct is a make-up working day).
    clock.set_now(at(2026, 9, 24, 15, 0))
    dept = f.department("市市场监督管理局")
    window = Window.objects.create(department=dept, number="A08", name="市场监管窗口", location="一楼A区")
    clerk = f.user(dept, Role.CLERK, full_name="窗口甲", window=window)
    handler = f.user(dept, Role.HANDLER, full_name="承办乙")
    item = f.item(dept, name="食品经营许可证核发")
    other_dept = f.department("市住房和城乡建设局")
    other_window = Window.objects.create(department=other_dept, number="B02", name="住建窗口")
    other_clerk = f.user(other_dept, Role.CLERK, full_name="窗口丙", window=other_window)
    other_item = f.item(other_dept, name="建筑工程施工许可证核发")
    admin = f.user(None, Role.ADMIN, full_name="中心管理员")
    return World(dept, window, item, clerk, handler, other_dept, other_window, other_item, other_clerk, admin)
