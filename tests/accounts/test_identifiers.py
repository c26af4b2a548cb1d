"""A citizen ID number's birth date is checked against the platform's day, not the host's."""

import datetime as dt

import pytest
from django.utils import timezone

from shenpi import clock
from shenpi.accounts.identifiers import IdentifierError, validate_id_number
from tests.applicants.helpers import person_id


def born(day: dt.date) -> str:
    return person_id(f"110105{day:%Y%m%d}123")


def test_a_birth_date_after_today_is_refused_and_today_is_accepted():
    # 2 March 2026 00:30 in Shanghai is still 1 March in UTC.
    clock.set_now(timezone.make_aware(dt.datetime(2026, 3, 2, 0, 30)))
    assert validate_id_number(born(dt.date(2026, 3, 2))) == born(dt.date(2026, 3, 2))
    with pytest.raises(IdentifierError, match="出生日期不合理"):
        validate_id_number(born(dt.date(2026, 3, 3)))
