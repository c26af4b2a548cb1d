"""Celery tasks of delivery: tracking of parcels in transit (beat, every half hour)."""

from celery import shared_task

from . import services


@shared_task(name="shenpi.delivery.tasks.track_parcels", ignore_result=True)
def track_parcels(limit: int = 500) -> dict[str, int]:
    """Query the courier for every parcel not yet signed for: catches the pushes it lost."""
    return services.track_in_transit(limit)
