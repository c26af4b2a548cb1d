import pytest
import requests


@pytest.fixture
def gateway(sandboxes, settings):
    """The payment gateway's sandbox, reached the way `make run` does; notifications retried quickly."""
    settings.PAYMENT_URL = ""
    settings.PAYMENT_MERCHANT_ID = ""
    settings.PAYMENT_MERCHANT_KEY = ""
    sandbox = sandboxes.sandboxes["payment"]
    sandbox.retry_delays = [0.2, 0.5, 1]
    sandbox.base = sandboxes.url("payment")
    return sandbox


def control(gateway, what: str, **data):
    answer = requests.post(f"{gateway.base}/control/{what}", json=data, timeout=5)
    answer.raise_for_status()
    return answer.json()
