import logging
import os
import socket
from urllib.parse import urlparse

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
