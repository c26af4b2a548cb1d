"""The query of waiting online orders in a thread of the web server, for the embedded default without
Celery beat. Each process of the server may run it: settling an order locks it and records the
payment once (idempotent on the gateway's transaction number), so two passes do no harm."""

from __future__ import annotations

import logging
import threading

from django.db import close_old_connections

logger = logging.getLogger("shenpi.fees")

INTERVAL = 60.0  # seconds
_started = threading.Event()


def start_querier(interval: float = INTERVAL) -> threading.Thread | None:
    """Start the thread once per process; None when it already runs."""
    if _started.is_set():
        return None
    _started.set()
    thread = threading.Thread(target=_loop, args=(interval,), name="shenpi-fees-query", daemon=True)
    thread.start()
    return thread


def _loop(interval: float) -> None:
    while True:
        threading.Event().wait(interval)
        query_once()


def query_once() -> None:
    from .tasks import query_waiting_orders

    close_old_connections()
    try:
        result = query_waiting_orders()
        if result["paid"]:
            logger.info("网上缴费：查询补记 %d 笔未收到通知的支付", result["paid"])
    except Exception:  # the next round tries again; the web server must not die with the querier
        logger.exception("网上缴费订单查询失败")
    finally:
        close_old_connections()
