"""Many people book the last places of a slot at the same moment: exactly the capacity gets in.

Each thread has its own database connection; a barrier releases them together. The place is taken
by one conditional UPDATE in the booking's transaction, so the count can never pass the capacity
whatever the interleaving; the test also checks that the refused ones left nothing behind.
"""

from __future__ import annotations

import pytest
from django.conf import settings

from shenpi.appointments import services
from shenpi.appointments.models import Booking, Slot
from shenpi.errors import TransitionRefused
from shenpi.notifications.models import Notification
from tests.concurrency import race

from .conftest import at, person

ON_POSTGRES = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")

pytestmark = [
    pytest.mark.skipif(not ON_POSTGRES, reason=(
        "SQLite has one writer per database file: concurrent bookings are serialised by the file lock, "
        "so only PostgreSQL shows whether the conditional UPDATE holds under real concurrency")),
    # Threads see only committed data; serialized_rollback restores the seeded roles and calendar.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_ten_people_for_three_places(world):
    slot = world.slot(at(2026, 9, 28, 9, 30), capacity=3)
    results = race(*[lambda n=n: services.book(trusted=True, slot_id=slot.pk, item=world.item, person=person(n))
                    for n in range(1, 11)])
    booked = [r for r in results if isinstance(r, Booking)]
    refused = [r for r in results if isinstance(r, TransitionRefused)]
    assert len(booked) == 3 and len(refused) == 7, results
    assert all("已约满" in r.message for r in refused)
    slot.refresh_from_db()
    assert slot.booked == 3
    assert Booking.objects.filter(slot=slot, status=Booking.Status.BOOKED).count() == 3
    assert Notification.objects.filter(template="appointment_booked").count() == 3


def test_one_person_booking_two_slots_of_the_same_day_at_once_gets_one(world):
    slots = [world.slot(at(2026, 9, 28, 9, 30)), world.slot(at(2026, 9, 28, 10, 0)),
             world.slot(at(2026, 9, 28, 10, 30))]
    results = race(*[lambda s=s: services.book(trusted=True, slot_id=s.pk, item=world.item,
                                               person=person(1)) for s in slots])
    assert sum(isinstance(r, Booking) for r in results) == 1, results
    assert all("每人每天只能预约一次" in r.message for r in results if not isinstance(r, Booking))
    # The refused ones gave their place back with their rolled-back transaction.
    assert sum(Slot.objects.filter(pk__in=[s.pk for s in slots]).values_list("booked", flat=True)) == 1


def test_cancelling_and_booking_at_once_never_overbook(world):
    slot = world.slot(at(2026, 9, 28, 9, 30), capacity=2)
    first = services.book(trusted=True, slot_id=slot.pk, item=world.item, person=person(1))
    services.book(trusted=True, slot_id=slot.pk, item=world.item, person=person(2))
    calls = [lambda: services.cancel(first)]
    calls += [lambda n=n: services.book(trusted=True, slot_id=slot.pk, item=world.item,
                                        person=person(n)) for n in range(3, 9)]
    race(*calls)
    slot.refresh_from_db()
    active = Booking.objects.filter(slot=slot, status=Booking.Status.BOOKED).count()
    assert slot.booked == active <= 2
