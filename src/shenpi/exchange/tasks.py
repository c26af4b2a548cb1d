"""Celery tasks of data exchange: sending the outbox (queued after each commit that wrote events; every
30 seconds by beat for retries and for rows a dead worker held)."""

from celery import shared_task

from . import sender


@shared_task(name=sender.SEND_TASK, ignore_result=True)
def send_events() -> dict[str, int]:
    sent = sender.send_due()
    return {"delivered": sent.delivered, "retried": sent.retried, "dead": sent.dead, "batches": sent.batches}
