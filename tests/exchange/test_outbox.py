import pytest

from shenpi import clock
from shenpi.cases import services
from shenpi.exchange import sender
from shenpi.exchange.models import Delivery, Destination, Event
from tests import factories as f
from tests.exchange.receiver import Receiver

pytestmark = pytest.mark.django_db


@pytest.fixture
def receiver():
    server = Receiver("秘钥-test")
    yield server
    server.shutdown()


def upstream(url: str, **kw) -> Destination:
    return Destination.objects.create(code="province", name="省电子监察平台", kind=Destination.Kind.UPSTREAM, url=url,
                                      secret="秘钥-test", created_at=clock.now(), **kw)


def test_an_accepted_case_reaches_the_receiver_signed_once(receiver):
    upstream(receiver.url)
    dept = f.department()
    people = f.staff(dept)
    case = f.receive(people["clerk"], f.item(dept))
    services.perform(case, "accept", actor=people["clerk"])
    sender.send_due()
    assert [e["kind"] for e in receiver.events] == ["accept"]
    assert receiver.events[0]["case"] == case.number
    assert receiver.refusals == []
    assert Delivery.objects.get().status == Delivery.Status.DELIVERED


def test_a_receiver_down_keeps_the_event_pending_then_delivers_it(receiver, settings):
    settings.EXCHANGE_RETRY_FIRST = 0
    upstream(receiver.url)
    dept = f.department()
    people = f.staff(dept)
    case = f.receive(people["clerk"], f.item(dept))
    receiver.status = 503
    services.perform(case, "accept", actor=people["clerk"])
    result = sender.send_due(max_batches=1)
    assert result.retried == 1 and receiver.events == []
    receiver.status = 200
    sender.send_due()
    assert [e["id"] for e in receiver.events] == [str(Event.objects.get().key)]


def test_nothing_is_written_without_a_destination():
    dept = f.department()
    people = f.staff(dept)
    services.perform(f.receive(people["clerk"], f.item(dept)), "accept", actor=people["clerk"])
    assert not Event.objects.exists()
