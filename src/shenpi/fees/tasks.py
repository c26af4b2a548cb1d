"""Periodic work of fees: querying online orders whose notification never came (Celery beat every
minute, settings.CELERY_BEAT_SCHEDULE; in a web server thread without a broker, fees/inprocess.py)."""

import datetime as dt

from celery import shared_task
from django.conf import settings

from . import online


@shared_task(name="shenpi.fees.tasks.query_waiting_orders", ignore_result=True)
def query_waiting_orders() -> dict[str, int]:
    """Ask the gateway about every order waiting longer than SHENPI_PAYMENT_QUERY_AFTER_MINUTES."""
    return online.query_waiting(dt.timedelta(minutes=settings.PAYMENT_QUERY_AFTER_MINUTES))
