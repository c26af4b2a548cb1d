"""The retention job in a thread of the web server, for the embedded default without Celery beat.

Once shortly after start and then every INTERVAL; each process of the server runs it, which is
harmless: the purge takes the chain head's lock, and a second pass finds nothing left to delete.
"""

from __future__ import annotations

import logging
import threading

from django.db import close_old_connections

logger = logging.getLogger("shenpi.security")

INTERVAL = 6 * 3600.0  # seconds
FIRST_AFTER = 60.0
_started = threading.Event()


def start_purger(interval: float = INTERVAL) -> threading.Thread | None:
    """Start the thread once per process; None when it already runs."""
    if _started.is_set():
        return None
    _started.set()
    thread = threading.Thread(target=_loop, args=(interval,), name="shenpi-security-purge", daemon=True)
    thread.start()
    return thread


def _loop(interval: float) -> None:
    wait = FIRST_AFTER
    while True:
        threading.Event().wait(wait)
        wait = interval
        purge_once()


def purge_once() -> None:
    from .retention import purge

    close_old_connections()
    try:
        result = purge()
        if result.deleted:
            logger.info("安全审计记录按保存期限删除 %d 条（%s 之前）", result.deleted, result.before.isoformat())
    except Exception:  # the next round tries again; the web server must not die with the purger
        logger.exception("安全审计记录保存期限清理失败")
    finally:
        close_old_connections()
