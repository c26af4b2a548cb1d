"""Signing in through the unified identity platform's sandbox: the platform's redirects are followed
by the Django test client, the browser's hop to the provider by urllib over real HTTP."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from html.parser import HTMLParser
from urllib.parse import urlencode, urlsplit

NAME = "unified-sign-in"
START = "/account/login/unified/"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


_opener = urllib.request.build_opener(_NoRedirect)


class _Hidden(HTMLParser):
    def __init__(self):
        super().__init__()
        self.fields: dict[str, str] = {}

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "input" and attrs.get("type") == "hidden":
            self.fields[attrs["name"]] = attrs.get("value", "")


def start(client, query: str = "") -> str:
    """The provider's authorize address the platform sends the browser to."""
    response = client.get(START + query)
    assert response.status_code == 302, response
    return response["Location"]


def pick(authorize_url: str, choice: str = "wangxiaoming:person", **fields) -> str:
    """What the tester does on the provider's page: the callback path (with code and state) it sends back to."""
    with urllib.request.urlopen(authorize_url, timeout=5) as page:  # noqa: S310 - the local sandbox
        parser = _Hidden()
        parser.feed(page.read().decode())
    form = {**parser.fields, "pick": choice, **fields}
    request = urllib.request.Request(authorize_url.split("?")[0], data=urlencode(form).encode())  # noqa: S310
    try:
        _opener.open(request, timeout=5)  # noqa: S310
    except urllib.error.HTTPError as answer:
        assert answer.code == 302, answer.read()
        location = urlsplit(answer.headers["Location"])
        return f"{location.path}?{location.query}"
    raise AssertionError("the provider did not send the browser back")


def sign_in(client, choice: str = "wangxiaoming:person", **fields):
    """The whole sign-in; the answer is the page the platform finally shows."""
    return client.get(pick(start(client), choice, **fields), follow=True)


def control(sandboxes, path: str, data: dict) -> dict:
    request = urllib.request.Request(f"{sandboxes.base_url}{path}", data=json.dumps(data).encode(),  # noqa: S310
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=5) as answer:  # noqa: S310
        return json.loads(answer.read())


def misbehave(sandboxes, mode: str) -> None:
    control(sandboxes, f"/{NAME}/misbehave", {"id_token": mode})
