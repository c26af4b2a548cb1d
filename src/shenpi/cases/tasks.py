"""Celery tasks: delivery of the case events' outbox to their subscribers (shenpi.cases.hooks)."""

from celery import shared_task

from . import hooks


@shared_task(name=hooks.DELIVERY_TASK, ignore_result=True)
def deliver_publications(limit: int = 100) -> dict[str, int]:
    """Deliver every due event (queued after each commit; every minute by beat for retries)."""
    return hooks.deliver(limit)
