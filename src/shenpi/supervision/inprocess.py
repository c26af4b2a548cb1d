"""The embedded default has no Celery: each web server process scans in a daemon thread instead.

Several processes scanning is harmless: scans take a lock and alerts are unique (see scan.py).
"""

from __future__ import annotations

import logging
import threading

from django.db import close_old_connections

logger = logging.getLogger("shenpi.supervision")
_started = threading.Event()


def start_scanner(interval: float) -> threading.Thread | None:
    """Start the scanning thread once per process; None when it already runs."""
    if _started.is_set():
        return None
    _started.set()
    thread = threading.Thread(target=_loop, args=(interval,), name="shenpi-supervise", daemon=True)
    thread.start()
    return thread


def _loop(interval: float) -> None:
    from .scan import scan

    stop = threading.Event()
    while not stop.wait(interval):
        close_old_connections()
        try:
            result = scan()
            logger.info("；".join(result.lines()))
        except Exception:  # the next minute tries again; the web server must not die with the scanner
            logger.exception("电子监察扫描失败")
        finally:
            close_old_connections()
