"""Local stand-ins for the outside world: an SMTP server and an SMS gateway on 127.0.0.1."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import json
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from aiosmtpd.controller import Controller
from django.utils import timezone

from shenpi import clock
from shenpi.accounts.models import Role
from shenpi.cases import services as case_services
from tests import factories as f

START = timezone.make_aware(dt.datetime(2026, 3, 2, 10, 0))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# -- SMTP ------------------------------------------------------------------------------------------

@dataclass
class Mailbox:
    """What the local SMTP server received; recipients in `refuse` get a permanent 550."""

    messages: list = field(default_factory=list)
    refuse: set = field(default_factory=set)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802 - aiosmtpd's hook
        if address in self.refuse:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos),
                              email.message_from_bytes(envelope.original_content, policy=email.policy.default)))
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_server(settings):
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.NOTIFY_EMAIL = "smtp"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.DEFAULT_FROM_EMAIL = "noreply@zwfw.example.gov.cn"
    yield mailbox
    controller.stop()


# -- SMS gateway -----------------------------------------------------------------------------------

@dataclass
class Gateway:
    """The requests received, and the answers to give: status codes or ("sleep", seconds), then 200."""

    url: str = ""
    received: list = field(default_factory=list)
    answers: list = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _gateway_handler(gateway: Gateway):
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - http.server's hook
            body = self.rfile.read(int(self.headers["Content-Length"]))
            with gateway.lock:
                gateway.received.append({"path": self.path, "headers": dict(self.headers),
                                         "json": json.loads(body.decode())})
                answer = gateway.answers.pop(0) if gateway.answers else 200
            if isinstance(answer, tuple):
                time.sleep(answer[1])
                answer = 200
            self.send_response(answer)
            if 300 <= answer < 400:
                self.send_header("Location", "/elsewhere")
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b'{"code": 0}' if answer == 200 else b'{"code": 1}')

        def log_message(self, *args):
            pass

    return Handler


@pytest.fixture
def sms_gateway(settings):
    gateway = Gateway()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _gateway_handler(gateway))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    gateway.url = f"http://127.0.0.1:{server.server_address[1]}/sms/send"
    settings.NOTIFY_SMS, settings.SMS_URL, settings.SMS_TOKEN, settings.SMS_TIMEOUT = "http", gateway.url, "", 2
    yield gateway
    server.shutdown()
    server.server_close()


# -- people and cases ------------------------------------------------------------------------------

@pytest.fixture
def org(db):
    clock.set_now(START)
    dept = f.department("市市场监督管理局")
    people = f.staff(dept)
    people[Role.HANDLER].email = "handler@zwfw.example.gov.cn"
    people[Role.HANDLER].save()
    return dept, people


@pytest.fixture
def accepted_case(org):
    dept, people = org
    it = f.item(dept, name="食品经营许可证核发")
    # No contact phone: the acceptance's own SMS to the applicant would join the messages under test.
    case = f.receive(people[Role.CLERK], it, name="李四", phone="")
    return case_services.perform(case, "accept", actor=people[Role.CLERK])
