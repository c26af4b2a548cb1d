"""The embedded default has no Celery: each web server process scans in a daemon thread instead.

The thread scans every `interval` seconds, and sooner after an action commits in its process
(`wake`, called by the supervision app's receiver of case actions): a burst of actions ends in one
scan, at most one every `soon` seconds. Several processes scanning is harmless: scans take a lock
and alerts are unique (see scan.py).
"""

from __future__ import annotations

import logging
import threading
import time

from django.db import close_old_connections

logger = logging.getLogger("shenpi.supervision")
_started = threading.Event()
_due = threading.Event()


def running() -> bool:
    return _started.is_set()


def wake() -> None:
    """Scan soon: something the rules watch has changed in this process."""
    _due.set()


def start_scanner(interval: float, soon: float) -> threading.Thread | None:
    """Start the scanning thread once per process; None when it already runs."""
    if _started.is_set():
        return None
    _started.set()
    thread = threading.Thread(target=_loop, args=(interval, soon), name="shenpi-supervise", daemon=True)
    thread.start()
    return thread


def _loop(interval: float, soon: float) -> None:
    last = time.monotonic()
    while True:
        if _due.wait(interval):
            time.sleep(max(0.0, soon - (time.monotonic() - last)))
        _due.clear()
        _scan_once()
        last = time.monotonic()


def _scan_once() -> None:
    from .scan import scan

    close_old_connections()
    try:
        result = scan()
        logger.info("；".join(result.lines()))
    except Exception:  # the next round tries again; the web server must not die with the scanner
        logger.exception("电子监察扫描失败")
    finally:
        close_old_connections()
