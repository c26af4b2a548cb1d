"""Webhooks of department systems over real HTTP: subscribed through the API with a token, delivered
signed to a local server built from docs/examples/webhook_receiver.py, so the documented check is
the one these deliveries pass."""

from __future__ import annotations

import datetime as dt
import importlib.util
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from shenpi import clock
from shenpi.cases import services
from shenpi.exchange import sender
from shenpi.exchange.models import Delivery, Destination
from shenpi.security.models import SecurityEvent
from tests import factories as f

pytestmark = pytest.mark.django_db

HOOKS = "/api/v1/webhooks/"
EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "webhook_receiver.py"


def _example():
    spec = importlib.util.spec_from_file_location("webhook_receiver_example", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


example = _example()


def at(y, m, d, hh=10):
    return timezone.make_aware(dt.datetime(y, m, d, hh))


@pytest.fixture(autouse=True)
def _fast(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.EXCHANGE_RETRY_FIRST = 0


@pytest.fixture
def world(db):
    clock.set_now(at(2026, 12, 1))
    zjj, scjg = f.department("住房和城乡建设局", code="ZJJ"), f.department("市场监督管理局", code="SCJG")
    zjj_people, scjg_people = f.staff(zjj), f.staff(scjg)
    return SimpleNamespace(zjj=zjj, scjg=scjg, zjj_people=zjj_people, scjg_people=scjg_people,
                           permit=f.item(zjj), record=f.item(zjj, name="竣工验收备案"),
                           food=f.item(scjg, name="食品经营许可"))


def client_of(user, **scope) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {f.api_token(user, act=False, **scope)}")
    return client


class Endpoint:
    """A department system's receiving end: the documented example's server and inbox."""

    def __init__(self, secret: str = "whsec_unset", *,  # noqa: S107 (replaced by the API's)
                 algorithm: str | None = None, skew: float = 0):
        self.events: list[dict] = []
        self.inbox = example.Inbox(self.events.append)
        self.secret = secret
        self.server = example.serve(secret, self.inbox, algorithm=algorithm, now=lambda: time.time() + skew)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/events"

    def use(self, secret: str, algorithm: str | None = None) -> None:
        """The secret the API returned: the server is restarted with it, on the same port."""
        port = self.server.server_address[1]
        self.server.shutdown()
        self.server.server_close()
        self.server = example.serve(secret, self.inbox, port=port, algorithm=algorithm)

    @property
    def refusals(self) -> list[str]:
        return self.server.refusals


@pytest.fixture
def endpoints():
    made: list[Endpoint] = []

    def make(**kw) -> Endpoint:
        made.append(Endpoint(**kw))
        return made[-1]

    yield make
    for endpoint in made:
        endpoint.server.shutdown()
        endpoint.server.server_close()


def subscribe(client, endpoint: Endpoint, **body) -> dict:
    body = {"name": "部门审批系统", "url": endpoint.url, **body}
    answer = client.post(HOOKS, body, format="json")
    assert answer.status_code == 201, answer.json()
    created = answer.json()
    endpoint.use(created["secret"], created["algorithm"])
    return created


def accept(world, item, clerk_of="zjj_people", **kw):
    clerk = getattr(world, clerk_of)["clerk"]
    return services.perform(f.receive(clerk, item, **kw), "accept", actor=clerk)


def test_each_subscription_gets_its_kinds_items_and_departments_signed_with_its_algorithm(world, endpoints):
    both = client_of(world.zjj_people["clerk"], departments=[world.zjj, world.scjg])
    permits, market = endpoints(), endpoints()
    first = subscribe(both, permits, event_kinds=["accept"], items=[world.permit.code], algorithm="hmac-sm3")
    second = subscribe(both, market, departments=["SCJG"], algorithm="hmac-sha256")
    assert (second["departments"], second["items"], second["event_kinds"]) == (["SCJG"], [], [])
    assert (first["departments"], first["items"]) == (["SCJG", "ZJJ"], [world.permit.code])
    wanted = accept(world, world.permit)
    accept(world, world.record)  # another item of the department
    clerk = world.zjj_people["clerk"]
    services.perform(f.receive(clerk, world.permit), "refuse", actor=clerk, params={"reason": "不属于本部门职权"})
    food = accept(world, world.food, clerk_of="scjg_people")
    sender.send_due()
    assert [(e["kind"], e["case"]) for e in permits.events] == [("accept", wanted.number)]
    assert [(e["kind"], e["case"]) for e in market.events] == [("accept", food.number)]
    assert permits.refusals == market.refusals == []
    log = both.get(f"{HOOKS}{first['id']}/deliveries/").json()["results"]
    assert [(row["case"], row["status"], row["attempts"], row["round"]) for row in log] == [
        (wanted.number, "delivered", 1, 0)]
    assert log[0]["event"] == permits.events[0]["id"] and log[0]["delivered_at"]


def test_a_stale_timestamp_is_refused_by_the_documented_check(world, endpoints):
    client = client_of(world.zjj_people["clerk"])
    late = endpoints(skew=example.REPLAY_WINDOW + 30)  # the receiver's clock 330 s ahead of ours
    created = client.post(HOOKS, {"name": "审批系统", "url": late.url, "algorithm": "hmac-sha256"},
                          format="json").json()
    late.server.shutdown()
    late.server.server_close()
    late.server = example.serve(created["secret"], late.inbox, port=int(late.url.split(":")[2].split("/")[0]),
                                now=lambda: time.time() + example.REPLAY_WINDOW + 30)
    accept(world, world.permit)
    sender.send_due(max_batches=1)
    assert late.refusals == ["timestamp outside the replay window"] and late.events == []
    row = client.get(f"{HOOKS}{created['id']}/deliveries/").json()["results"][0]
    assert (row["status"], row["attempts"], row["last_error"]) == ("pending", 1, "HTTPError: HTTP 401: ")


def test_a_wrong_secret_fails_the_delivery_and_the_log_shows_it(world, endpoints, settings):
    settings.EXCHANGE_MAX_ATTEMPTS = 2
    client = client_of(world.zjj_people["clerk"])
    endpoint = endpoints()
    created = subscribe(client, endpoint)
    endpoint.use("whsec_not-the-one")
    case = accept(world, world.permit)
    sender.send_due()
    assert endpoint.events == [] and endpoint.refusals == ["bad signature"] * 2
    answer = client.get(f"{HOOKS}{created['id']}/deliveries/", {"status": "failed"})
    failed = answer.json()["results"]
    assert [(row["case"], row["attempts"], row["last_error"]) for row in failed] == [
        (case.number, 2, "HTTPError: HTTP 401: ")]
    assert client.get(f"{HOOKS}{created['id']}/deliveries/", {"status": "delivered"}).json()["results"] == []
    # Fixed on the receiving side, the system asks for the day again: the dead letter and its replay arrive,
    # once for the receiver.
    endpoint.use(created["secret"], "hmac-sm3")
    answer = client.post(f"{HOOKS}{created['id']}/replays/", {"from": "2026-12-01T00:00:00+08:00",
                                                               "to": "2026-12-02T00:00:00+08:00"}, format="json")
    assert answer.json() == {"events": 1}
    sender.send_due()
    assert [e["case"] for e in endpoint.events] == [case.number] and endpoint.inbox.repeats == 1
    assert set(Delivery.objects.values_list("round", "status")) == {(0, "delivered"), (1, "delivered")}


def test_the_secret_is_shown_once_and_a_rotated_one_signs_the_next_batch(world, endpoints):
    client = client_of(world.zjj_people["clerk"])
    endpoint = endpoints()
    created = subscribe(client, endpoint)
    assert created["secret"].startswith("whsec_")
    detail = client.get(f"{HOOKS}{created['id']}/").json()
    assert "secret" not in detail and detail["algorithm"] == "hmac-sm3"
    assert "secret" not in client.get(HOOKS).json()[0]
    rotated = client.post(f"{HOOKS}{created['id']}/rotate-secret/").json()["secret"]
    assert rotated != created["secret"]
    accept(world, world.permit)
    sender.send_due(max_batches=1)
    assert endpoint.refusals == ["bad signature"]  # still checking with the old secret
    endpoint.use(rotated, "hmac-sm3")
    sender.send_due()
    assert len(endpoint.events) == 1
    actions = set(SecurityEvent.objects.filter(target=f"webhook:{created['id']}").values_list("action", flat=True))
    assert actions == {"webhook.created", "webhook.secret_rotated"}


def test_subscriptions_stay_within_the_token_scope(world, endpoints):
    client = client_of(world.zjj_people["clerk"])  # its own department only
    url = endpoints().url

    def refused(**body):
        answer = client.post(HOOKS, {"name": "审批系统", "url": url, **body}, format="json")
        assert answer.status_code == 400, answer.json()
        return answer.json()["fields"]

    assert "不在令牌范围内" in refused(departments=["SCJG"])["departments"][0]
    assert "不在令牌范围" in refused(items=[world.food.code])["items"][0]
    assert "不存在" in refused(items=["NO-SUCH-ITEM"])["items"][0]
    assert "http" in refused(url="ftp://127.0.0.1/x")["url"][0]
    assert set(refused(event_kinds=["accept", "gossip"], algorithm="md5")) == {"event_kinds.1", "algorithm"}
    assert not Destination.objects.exists()
    # Left empty, the filters are the token's scope, not everything.
    created = client.post(HOOKS, {"name": "审批系统", "url": url}, format="json").json()
    assert (created["departments"], created["items"], created["event_kinds"]) == (["ZJJ"], [], [])
    assert client.patch(f"{HOOKS}{created['id']}/", {"departments": ["SCJG"]}, format="json").status_code == 400
    # A session has no scope to bound the events; another token's subscription is not there.
    session = APIClient()
    f.login_staff(session, world.zjj_people["clerk"])
    assert session.post(HOOKS, {"name": "审批系统", "url": url}, format="json").status_code == 403
    stranger = client_of(world.scjg_people["clerk"])
    assert stranger.get(f"{HOOKS}{created['id']}/").status_code == 404
    assert stranger.post(f"{HOOKS}{created['id']}/replays/", {"from": "2026-12-01T00:00:00+08:00",
                                                              "to": "2026-12-02T00:00:00+08:00"},
                         format="json").status_code == 404
    assert stranger.get(HOOKS).json() == []


def test_a_replay_sends_the_same_events_again_for_that_period_only(world, endpoints, settings):
    client = client_of(world.zjj_people["clerk"])
    endpoint = endpoints()
    created = subscribe(client, endpoint, algorithm="hmac-sha256")
    cases = []
    for day in (1, 2, 3):
        clock.set_now(at(2026, 12, day))
        cases.append(accept(world, world.permit))
    sender.send_due()
    assert [e["case"] for e in endpoint.events] == [c.number for c in cases]
    second_day = endpoint.events[1]["id"]
    period = {"from": "2026-12-02T00:00:00+08:00", "to": "2026-12-03T00:00:00+08:00"}
    replays = f"{HOOKS}{created['id']}/replays/"
    answer = client.post(replays, period, format="json")
    assert (answer.status_code, answer.json()) == (202, {"events": 1})
    client.post(replays, period, format="json")  # asked twice: a third round
    sender.send_due()
    assert endpoint.inbox.repeats == 2 and len(endpoint.events) == 3
    rounds = Delivery.objects.filter(event_id=second_day).order_by("round").values_list("round", "status")
    assert list(rounds) == [(0, "delivered"), (1, "delivered"), (2, "delivered")]
    log = client.get(f"{HOOKS}{created['id']}/deliveries/", period).json()["results"]
    assert [(row["event"], row["round"]) for row in log] == [(second_day, 2), (second_day, 1), (second_day, 0)]
    settings.EXCHANGE_WEBHOOK_REPLAY_MAX = 2
    too_many = client.post(replays, {"from": "2026-12-01T00:00:00+08:00", "to": "2026-12-04T00:00:00+08:00"},
                           format="json")
    assert too_many.status_code == 400 and "分段" in too_many.json()["fields"]["to"][0]
    backwards = client.post(replays, {"from": period["to"], "to": period["from"]}, format="json")
    assert backwards.status_code == 400 and "to" in backwards.json()["fields"]
    assert Delivery.objects.count() == 5
    assert SecurityEvent.objects.filter(action="webhook.replayed").count() == 2


def test_a_deactivated_subscription_gets_nothing(world, endpoints):
    client = client_of(world.zjj_people["clerk"])
    endpoint = endpoints()
    created = subscribe(client, endpoint)
    waiting = accept(world, world.permit)  # written, not yet sent
    answer = client.delete(f"{HOOKS}{created['id']}/")
    assert answer.status_code == 200 and answer.json()["active"] is False
    accept(world, world.permit)
    sender.send_due()
    assert endpoint.events == []
    assert list(Delivery.objects.values_list("event__case_id", flat=True)) == [waiting.pk]
    assert client.post(f"{HOOKS}{created['id']}/replays/", {"from": "2026-12-01T00:00:00+08:00",
                                                            "to": "2026-12-02T00:00:00+08:00"},
                       format="json").status_code == 400
    client.patch(f"{HOOKS}{created['id']}/", {"active": True}, format="json")
    sender.send_due()
    assert [e["case"] for e in endpoint.events] == [waiting.number]


def test_a_revoked_token_stops_its_subscriptions_deliveries(world, endpoints):
    from shenpi.api import tokens
    from shenpi.api.models import ApiToken

    client = client_of(world.zjj_people["clerk"])
    endpoint = endpoints()
    created = subscribe(client, endpoint)
    waiting = accept(world, world.permit)  # written before the revocation, not yet sent
    destination = Destination.objects.get(code=created["id"])
    tokens.revoke(ApiToken.objects.get(pk=destination.owner_token_id))
    accept(world, world.permit)
    sender.send_due()
    assert endpoint.events == []
    assert list(Delivery.objects.values_list("event__case_id", flat=True)) == [waiting.pk]
