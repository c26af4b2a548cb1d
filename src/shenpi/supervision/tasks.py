from celery import shared_task

from .scan import scan


@shared_task(name="shenpi.supervision.tasks.supervise")
def supervise() -> dict:
    """One scan; Celery beat runs it every minute. Returns the counts per level."""
    result = scan()
    return {"kind": result.kind, "raised": dict(result.raised), "closed": dict(result.closed),
            "seconds": round(result.seconds, 3)}
