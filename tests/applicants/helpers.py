"""Applicants for tests: valid identifiers, the code read back from the SMS outbox, a verified account."""

from __future__ import annotations

import logging
import re
from contextlib import contextmanager

from django.test import Client

from shenpi.accounts.identifiers import id_number_check_digit, uscc_check_character
from shenpi.applicants import services
from shenpi.applicants.models import Applicant
from shenpi.cases.models import ApplicantKind
from shenpi.notifications.models import Notification

PASSWORD = "Kaishi-banshi-2026"


def person_id(first17: str = "11010519900307123") -> str:
    return first17 + id_number_check_digit(first17)


def uscc(first17: str = "91110105MA01ABCD1") -> str:
    return first17 + uscc_check_character(first17)


def wrong_check(number: str) -> str:
    """The same number with another check character."""
    last = number[-1]
    return number[:-1] + ("1" if last != "1" else "2")


class _Phone(logging.Handler):
    """What the log backend sent while registering: the SMS as the phone gets it, when the message
    was delivered at once (a live server's transactions commit, and the sealed copy is wiped)."""

    def __init__(self):
        super().__init__(logging.INFO)
        self.texts: list[str] = []

    def emit(self, record):
        self.texts.append(record.getMessage())


_phone = _Phone()


@contextmanager
def listening():
    logger = logging.getLogger("shenpi.notifications")
    level = logger.level
    logger.addHandler(_phone)
    logger.setLevel(logging.INFO)
    try:
        yield
    finally:
        logger.removeHandler(_phone)
        logger.setLevel(level)


def last_code(mobile_masked: str | None = None) -> str:
    """The code in the latest SMS of the outbox as it leaves for the phone: its sealed text while
    queued (the stored body has the code masked), else what the log backend sent."""
    messages = Notification.objects.filter(template="mobile_code", channel=Notification.Channel.SMS)
    if mobile_masked:
        messages = messages.filter(address_masked=mobile_masked)
    found = re.search(r"验证码为(\d{6})", messages.order_by("-pk").first().outgoing_body())
    if found is None:
        sent = [t for t in _phone.texts if "验证码为" in t and (not mobile_masked or mobile_masked in t)]
        found = re.search(r"验证码为(\d{6})", sent[-1])
    return found.group(1)


def register(*, kind=ApplicantKind.PERSON, name=None, id_number=None, mobile="13912345678",
             password=PASSWORD, contact_name="") -> Applicant:
    person = kind == ApplicantKind.PERSON
    with listening():
        return services.register(services.Registration(
            kind=kind, name=name or ("李四" if person else "示范科技有限公司"),
            id_number=id_number or (person_id() if person else uscc()), mobile=mobile, password=password,
            contact_name=contact_name or ("" if person else "王五")))


def verified(**kw) -> Applicant:
    applicant = register(**kw)
    return services.verify_registration(applicant, last_code(applicant.mobile_masked))


def real_named(applicant: Applicant) -> Applicant:
    """The account real-name verified at a window (窗口现场核验), as a clerk does after seeing the card."""
    from tests import factories

    clerk = factories.user(None, "clerk", full_name="实名核验窗口")
    if applicant.is_person:
        services.window_verify(applicant, staff=clerk, name=applicant.name, id_number=applicant.id_number)
    else:
        services.window_verify(applicant, staff=clerk, name="王五", id_number=person_id("11010519850615123"),
                               role="legal_representative", representative="王五")
    applicant.refresh_from_db()  # the caller's object too
    return applicant


def client_for(applicant: Applicant) -> Client:
    client = Client()
    client.force_login(applicant.user)
    return client
