"""Helpers of the feed's tests: an office, cases walked through their actions, the sandbox receivers."""

from __future__ import annotations

import requests

from shenpi import clock
from shenpi.cases import services
from shenpi.exchange import mappings
from shenpi.exchange.models import Destination
from shenpi.sandboxes.province import SECRETS
from tests import factories as f

SECRET = next(iter(SECRETS.values()))


def office():
    dept = f.department()
    return dept, f.staff(dept), f.item(dept)


def province(mapping: bool = False, **kw) -> Destination:
    """The province's platform at its sandbox (no address of its own: resolved at send time)."""
    return Destination.objects.create(
        code=kw.pop("code", "province"), name="省电子监察平台", kind=Destination.Kind.UPSTREAM, url=kw.pop("url", ""),
        secret=SECRET, mapping=mappings.load(mappings.PROVINCE)[0] if mapping else None, created_at=clock.now(), **kw)


def rating_system(**kw) -> Destination:
    return Destination.objects.create(code="rating", name="好差评系统", kind=Destination.Kind.RATING, url="",
                                      secret=SECRET, mapping=mappings.load(mappings.RATING)[0], created_at=clock.now(),
                                      **kw)


def accepted(people, it):
    return services.perform(f.receive(people["clerk"], it), "accept", actor=people["clerk"])


def completed(people, it, decision: str = "grant"):
    case = accepted(people, it)
    for role in ("handler", "reviewer", "approver"):
        case = services.perform(case, "pass", actor=people[role])
    params = {"opinion": "符合条件"} if decision == "grant" else {"reason": "不符合规划条件"}
    case = services.perform(case, decision, actor=people["approver"], params=params)
    return services.perform(case, "complete", actor=people["clerk"])


class Sandbox:
    """One sandbox receiver of the session's sandbox server, over HTTP."""

    def __init__(self, server, name: str = "province"):
        self.url = server.url(name)

    def stats(self) -> dict:
        return requests.get(f"{self.url}/stats", timeout=5).json()

    def events(self) -> list[dict]:
        return requests.get(f"{self.url}/events", timeout=5).json()["events"]

    def behave(self, mode: str, seconds: float = 0) -> None:
        answer = requests.post(f"{self.url}/behaviour", json={"mode": mode, "seconds": seconds}, timeout=5)
        answer.raise_for_status()
