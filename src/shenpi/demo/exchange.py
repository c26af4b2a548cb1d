"""The demo's data exchange: the province's supervision platform and the national rating system as
destinations, in their default formats (exchange/fixtures/mapping-*.json).

They are written without an address: the sender resolves it when it sends, to the province and rating
sandboxes under SHENPI_SANDBOX_URL, which `make run` sets for the web servers only after the demo has
run (the payment and courier sandboxes are found the same way). Without it their events wait.
They are added after the replayed year, so that only what is done in the running demo goes out.
"""

from __future__ import annotations

from shenpi import clock
from shenpi.exchange import mappings
from shenpi.exchange.models import Destination
from shenpi.sandboxes.province import SECRETS

DESTINATIONS = (
    ("province", "省电子监察平台", Destination.Kind.UPSTREAM, mappings.PROVINCE),
    ("rating", "全国政务服务好差评系统", Destination.Kind.RATING, mappings.RATING),
)


def configure() -> int:
    """The demo's destinations, once; the number made now."""
    made = 0
    for code, name, kind, path in DESTINATIONS:
        if Destination.objects.filter(code=code).exists():
            continue
        mapping, _ = mappings.load(path)
        Destination.objects.create(code=code, name=name, kind=kind, url="", secret=next(iter(SECRETS.values())),
                                   mapping=mapping, created_at=clock.now())
        made += 1
    return made
