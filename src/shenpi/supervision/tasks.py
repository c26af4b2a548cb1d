"""The supervision scan as periodic work: a Celery task (beat, settings.CELERY_BEAT_SCHEDULE) and, without a
broker, a job of shenpi.background run by one web server process of the machine (registered in apps.py)."""

import logging

from celery import shared_task

from .scan import scan

logger = logging.getLogger("shenpi.supervision")


@shared_task(name="shenpi.supervision.tasks.supervise")
def supervise() -> dict:
    """One scan; Celery beat runs it every SHENPI_SUPERVISE_INTERVAL seconds. Returns the counts per level.

    Beat's run and a manual or overlapping one are safe together: scans take a lock (scan.py)."""
    result = scan()
    return {"kind": result.kind, "raised": dict(result.raised), "closed": dict(result.closed),
            "seconds": round(result.seconds, 3)}


def scan_and_log() -> None:
    """The in-process job: one scan, its counts in the log."""
    logger.info("；".join(scan().lines()))
