"""Periodic work of fees: querying online orders whose notification never came (Celery beat every
minute, settings.CELERY_BEAT_SCHEDULE; without a broker a job of shenpi.background run by one web server
process of the machine, registered in apps.py). Two passes at once do no harm: settling an order locks it
and records the payment once (idempotent on the gateway's transaction number)."""

import datetime as dt
import logging

from celery import shared_task
from django.conf import settings

from . import online

logger = logging.getLogger("shenpi.fees")


@shared_task(name="shenpi.fees.tasks.query_waiting_orders", ignore_result=True)
def query_waiting_orders() -> dict[str, int]:
    """Ask the gateway about every order waiting longer than SHENPI_PAYMENT_QUERY_AFTER_MINUTES."""
    return online.query_waiting(dt.timedelta(minutes=settings.PAYMENT_QUERY_AFTER_MINUTES))


def query_and_log() -> None:
    """The in-process job without a broker."""
    result = query_waiting_orders()
    if result["paid"]:
        logger.info("网上缴费：查询补记 %d 笔未收到通知的支付", result["paid"])
