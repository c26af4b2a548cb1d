import datetime as dt
import logging
import os
import socket
from urllib.parse import urlparse

import pytest
import time_machine

from shenpi import background, clock
from shenpi.catalog.services import forget_flows


@pytest.fixture(autouse=True)
def _running_clock():
    """Every test starts and ends with the real clock."""
    clock.set_now(None)
    yield
    clock.set_now(None)


# UTC hours at which a day in Asia/Shanghai differs in interesting ways from the UTC day: 00:30 is
# 08:30 there (before office hours), 07:59 is 15:59 (office hours, same date), 16:30 is 00:30 of
# the next local day and 23:30 is 07:30 of it. At the last two, `.date()` of an aware moment (a
# UTC date) is the day before the local date that services count in.
CLOCKS = ("00:30", "07:59", "16:30", "23:30")
_session_travel: list[time_machine.travel] = []


def pytest_addoption(parser):
    parser.addoption("--utc-clock", metavar="HH:MM", default=None,
                     help="run the session with the wall clock at this UTC time of today, ticking (browser tests "
                          "are skipped); tests marked `clocks` then run at this time only")


def utc_moment(text: str) -> dt.datetime:
    """Today's UTC date at the UTC time HH:MM, aware: time_machine reads a naive moment in the
    process's local zone, which Django sets to Asia/Shanghai."""
    hours, minutes = (int(part) for part in text.split(":"))
    today = dt.datetime.now(dt.UTC).date()
    return dt.datetime.combine(today, dt.time(hours, minutes), tzinfo=dt.UTC)


def pytest_configure(config):
    """--utc-clock moves the whole session before anything is built, so that data made once per
    module or session (the demo year) and the tests reading it agree on the day."""
    text = config.getoption("utc_clock")
    if text is None:
        return
    try:
        destination = utc_moment(text)
    except ValueError:
        raise pytest.UsageError(f"--utc-clock={text}: expected a UTC time HH:MM, e.g. 23:30") from None
    travel = time_machine.travel(destination, tick=True)
    travel.start()
    _session_travel.append(travel)


def pytest_unconfigure(config):
    while _session_travel:
        _session_travel.pop().stop()


def pytest_collection_modifyitems(config, items):
    """Chromium keeps the real time: a session cookie the server dates in the moved time may be
    expired on arrival, and the page's own clock disagrees with the server's."""
    if not _session_travel:
        return
    skip = pytest.mark.skip(reason="browser tests run at the real time only (--utc-clock moves this process alone)")
    for item in items:
        if item.get_closest_marker("e2e"):
            item.add_marker(skip)


def pytest_generate_tests(metafunc):
    """A test marked `clocks` runs once per UTC time of CLOCKS (or once, at --utc-clock).

    `clocks(per_test=False)` marks a test whose data is built once per module (the demo year):
    moving the test alone would read that data on another day than it was built, so such a test
    is moved only by --utc-clock, with its module."""
    marker = metafunc.definition.get_closest_marker("clocks")
    if marker is None or not marker.kwargs.get("per_test", True) or metafunc.config.getoption("utc_clock"):
        return
    metafunc.parametrize("_utc_clock", CLOCKS, indirect=True, ids=[f"utc{t.replace(':', '')}" for t in CLOCKS])


@pytest.fixture(autouse=True)
def _utc_clock(request, _running_clock):
    """For a test marked `clocks`: the wall clock (time.time, datetime.now, timezone.now and so
    shenpi.clock) at one of CLOCKS today, ticking on from there. Only function-scoped fixtures
    are built at that time; a test whose data comes from a wider fixture is moved by --utc-clock."""
    text = getattr(request, "param", None)
    if text is None:
        yield None
        return
    with time_machine.travel(utc_moment(text), tick=True):
        yield text


@pytest.fixture(autouse=True)
def _no_wake_up_from_another_test():
    """Each test's commits wake the delivery workers themselves (see shenpi.background)."""
    background.forget_wake_ups()


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


# Tests that run a real Celery worker use this Redis database.
REDIS_URL = os.environ.get("SHENPI_TEST_REDIS_URL", "redis://127.0.0.1:6379/14")


def _redis_reachable() -> bool:
    address = urlparse(REDIS_URL)
    try:
        with socket.create_connection((address.hostname or "127.0.0.1", address.port or 6379), timeout=1) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


@pytest.fixture
def celery_app(settings):
    """The project's Celery app pointed at the local Redis, no longer eager."""
    if not _redis_reachable():
        pytest.skip(f"Redis is not reachable at {REDIS_URL} (set SHENPI_TEST_REDIS_URL)")
    from kombu import pools

    from shenpi.celery import app

    def forget_connections():
        if app._pool is not None:
            app._pool.force_close_all()
            app._pool = None
        app.amqp._producer_pool = None
        # kombu keeps pools per connection URL; a closed one would be handed out again.
        pools.reset()

    previous = {key: app.conf[key] for key in ("broker_url", "task_always_eager", "worker_hijack_root_logger")}
    settings.CELERY_BROKER_URL = REDIS_URL
    forget_connections()
    # The worker must leave the root logger of the test session alone.
    app.conf.update(broker_url=REDIS_URL, task_always_eager=False, worker_hijack_root_logger=False)
    app.control.purge()
    # A worker configures logging when it starts and may disable the loggers it finds; later tests
    # that read log records (caplog) need them as they were.
    loggers = {name: logger.disabled for name, logger in logging.root.manager.loggerDict.items()
               if isinstance(logger, logging.Logger)}
    yield app
    forget_connections()
    app.conf.update(previous)
    for name, disabled in loggers.items():
        logging.getLogger(name).disabled = disabled


@pytest.fixture(autouse=True)
def _no_calendar_from_another_test():
    """A test that imported a holiday notice leaves a cached calendar its rolled-back database lacks."""
    from shenpi.workdays import services

    before = services._cached
    yield
    if services._cached is not before:
        services.forget_calendar()


@pytest.fixture(scope="session")
def _sandbox_server():
    from shenpi.sandboxes.server import SandboxServer, load

    server = SandboxServer(("127.0.0.1", 0), load())
    server.start_in_thread()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def sandboxes(_sandbox_server, settings):
    """Every outside system's sandbox on one local HTTP server, fresh for each test; settings point
    at it the way `make run` does (SHENPI_SANDBOX_URL), tests then set the addresses they use."""
    _sandbox_server.reset()
    settings.SANDBOX_URL = _sandbox_server.base_url
    yield _sandbox_server
    _sandbox_server.reset()


@pytest.fixture(autouse=True)
def _no_counter_from_another_test():
    """Rate-limit counters (shenpi.limits) live in the shared cache: each test starts without any."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def admin_client(client, admin_user):
    """pytest-django's superuser client, signed in with both factors (a superuser must pass a second)."""
    from tests.factories import login_staff

    return login_staff(client, admin_user)


UNIFIED_SIGN_IN = "unified-sign-in"


@pytest.fixture
def provider(sandboxes, settings):
    """The unified identity platform's sandbox, configured the way `make run` reaches it; yields the sandbox."""
    from shenpi.applicants import unified_sign_in
    from shenpi.sandboxes.unified_sign_in import CLIENTS

    settings.UNIFIED_SIGN_IN_URL = sandboxes.url(UNIFIED_SIGN_IN)
    settings.UNIFIED_SIGN_IN_CLIENT_ID = "shenpi"
    settings.UNIFIED_SIGN_IN_CLIENT_SECRET = CLIENTS["shenpi"]
    unified_sign_in.forget_provider()
    yield sandboxes.sandboxes[UNIFIED_SIGN_IN]
    unified_sign_in.forget_provider()


@pytest.fixture
def clamd(settings):
    """A fake ClamAV daemon on 127.0.0.1 speaking INSTREAM (tests/fake_clamd.py); settings point at it."""
    from tests.fake_clamd import FakeClamd, serve

    state = FakeClamd()
    server = serve(state)
    settings.CLAMD_ADDRESS = state.address
    settings.CLAMD_TIMEOUT = 5
    settings.CLAMD_FAIL_CLOSED = True
    yield state
    server.shutdown()
    server.server_close()
