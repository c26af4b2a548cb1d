"""Rate-limit counters: one number per key for every process, on Redis and on the embedded file cache."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import REDIS_URL, _redis_reachable
from django.core.cache import cache

from shenpi import limits

SRC = str(Path(__file__).resolve().parents[1] / "src")


@pytest.fixture(params=["redis", "file"])
def backend(request, settings, tmp_path):
    """The shared cache of production (Redis) or of the embedded default (files in var/cache)."""
    if request.param == "redis":
        if not _redis_reachable():
            pytest.skip(f"Redis is not reachable at {REDIS_URL} (set SHENPI_TEST_REDIS_URL)")
        settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                       "LOCATION": REDIS_URL}}
    else:
        settings.CACHES = {"default": {"BACKEND": "shenpi.limits.SharedFileCache",
                                       "LOCATION": str(tmp_path / "cache")}}
    cache.clear()
    yield request.param
    cache.clear()


def test_hits_count_up_within_the_window_and_the_limit_is_reached(backend):
    counter = limits.key("test", "10.0.0.1")
    assert limits.count(counter) == 0
    assert [limits.hit(counter, 60) for _ in range(3)] == [1, 2, 3]
    assert limits.reached(counter, 3) and not limits.reached(counter, 4)
    assert limits.count(limits.key("test", "10.0.0.2")) == 0


def test_later_hits_do_not_extend_the_window(backend):
    counter = limits.key("test", "window")
    limits.hit(counter, 1)
    time.sleep(0.6)
    limits.hit(counter, 1)  # an incr that moved the expiry would keep the counter past the first second
    time.sleep(0.6)
    assert limits.count(counter) == 0
    assert limits.hit(counter, 1) == 1


def test_personal_or_long_subjects_are_hashed_into_the_key():
    assert limits.key("sms", "13800138000") == "limit:sms:13800138000"
    hashed = limits.key("login-account", "张三")
    assert "张三" not in hashed and len(hashed) < 100
    assert limits.key("x", None) == "limit:x:unknown"


_HAMMER = """
import sys
from shenpi import limits
for _ in range(int(sys.argv[1])):
    limits.hit("limit:test:shared", 600)
"""


def test_two_server_processes_count_into_one_number(backend, tmp_path):
    """What two gunicorn workers do: no hit is lost, none counted twice."""
    env = {**os.environ, "PYTHONPATH": SRC, "DJANGO_SETTINGS_MODULE": "shenpi.settings",
           "SHENPI_VAR_DIR": str(tmp_path), "SHENPI_CACHE_URL": REDIS_URL if backend == "redis" else ""}
    env.pop("DATABASE_URL", None)
    script = "import django; django.setup()\n" + _HAMMER
    workers = [subprocess.Popen([sys.executable, "-c", script, "150"], env=env) for _ in range(2)]
    assert [worker.wait(timeout=120) for worker in workers] == [0, 0]
    if backend == "file":
        settings_cache = limits.SharedFileCache(str(tmp_path / "cache"), {})
        assert settings_cache.get("limit:test:shared") == 300
    else:
        assert limits.count("limit:test:shared") == 300
