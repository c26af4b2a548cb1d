"""The unified identity platform's sandbox speaks OpenID Connect the way the real platform does:
its discovery document, a code good once for the registered client with the right PKCE verifier,
an RS256 ID token that verifies against its JWKS, and user info for the access token."""

import base64
import hashlib
import json
import urllib.error
import urllib.request
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
import pytest

from shenpi.sandboxes.unified_sign_in import CLIENTS

NAME = "unified-sign-in"
VERIFIER = "v" * 50
REDIRECT = "http://testserver/account/login/unified/callback/"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _open(url, data=None, headers=None):
    request = urllib.request.Request(url, data=data, headers=headers or {})  # noqa: S310 - the local sandbox
    try:
        with urllib.request.build_opener(_NoRedirect).open(request, timeout=5) as answer:
            return answer.status, answer.headers, answer.read()
    except urllib.error.HTTPError as answer:
        return answer.code, answer.headers, answer.read()


def _code(base, pick="liujianhua:person", nonce="n-1", client_id="shenpi"):
    challenge = base64.urlsafe_b64encode(hashlib.sha256(VERIFIER.encode()).digest()).rstrip(b"=").decode()
    form = {"response_type": "code", "client_id": client_id, "redirect_uri": REDIRECT, "scope": "openid",
            "state": "s-1", "nonce": nonce, "code_challenge": challenge, "code_challenge_method": "S256",
            "pick": pick}
    status, headers, _ = _open(f"{base}/authorize", urlencode(form).encode())
    assert status == 302
    query = parse_qs(urlsplit(headers["Location"]).query)
    assert query["state"] == ["s-1"]
    return query["code"][0]


def _token(base, code, verifier=VERIFIER, secret=CLIENTS["shenpi"]):
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT, "client_id": "shenpi",
            "client_secret": secret, "code_verifier": verifier}
    status, _, body = _open(f"{base}/token", urlencode(form).encode())
    return status, json.loads(body)


@pytest.fixture
def base(sandboxes):
    return sandboxes.url(NAME)


def test_discovery_names_the_endpoints(base):
    status, _, body = _open(f"{base}/.well-known/openid-configuration")
    document = json.loads(body)
    assert status == 200 and document["issuer"] == base
    assert document["token_endpoint"] == f"{base}/token" and document["jwks_uri"] == f"{base}/jwks"
    assert document["code_challenge_methods_supported"] == ["S256"]


def test_the_id_token_verifies_against_the_jwks_and_carries_the_identity(base):
    status, tokens = _token(base, _code(base, "sunlihua:company", nonce="abc"))
    assert status == 200
    jwks = jwt.PyJWKSet.from_json(_open(f"{base}/jwks")[2].decode())
    claims = jwt.decode(tokens["id_token"], jwks.keys[0], algorithms=["RS256"], audience="shenpi", issuer=base)
    assert claims["nonce"] == "abc" and claims["exp"] > claims["iat"]
    assert claims["user_type"] == "company" and claims["uscc"] == "9137028266375302X5"
    assert claims["name"] == "孙丽华" and claims["real_name_verified"] is True
    status, _, body = _open(f"{base}/userinfo", headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert status == 200 and json.loads(body)["sub"] == claims["sub"]


def test_a_code_is_good_once_and_only_with_its_verifier_and_the_secret(base):
    code = _code(base)
    assert _token(base, code, secret="wrong")[0] == 401
    assert _token(base, code, verifier="w" * 50) == (400, {"error": "invalid_grant",
                                                          "error_description": "PKCE verification failed"})
    code = _code(base)
    assert _token(base, code)[0] == 200
    assert _token(base, code)[0] == 400


def test_the_page_lists_the_identities_and_refuses_a_request_without_pkce(base):
    query = urlencode({"response_type": "code", "client_id": "shenpi", "redirect_uri": REDIRECT,
                       "scope": "openid", "state": "s", "nonce": "n"})
    assert _open(f"{base}/authorize?{query}")[0] == 400
    status, _, body = _open(f"{base}/authorize?{query}&code_challenge=abc&code_challenge_method=S256")
    page = body.decode()
    assert status == 200 and "刘建华" in page and "示范市恒通置业有限公司" in page


def test_an_unknown_client_is_refused(base):
    status, _, _ = _open(f"{base}/authorize?" + urlencode({"client_id": "nobody", "redirect_uri": REDIRECT}))
    assert status == 400


def test_misbehaving_spoils_the_next_id_token_only(base, sandboxes):
    _open(f"{base}/misbehave", json.dumps({"id_token": "expired"}).encode())
    jwks = jwt.PyJWKSet.from_json(_open(f"{base}/jwks")[2].decode())
    with pytest.raises(jwt.ExpiredSignatureError):
        jwt.decode(_token(base, _code(base))[1]["id_token"], jwks.keys[0], algorithms=["RS256"], audience="shenpi")
    assert jwt.decode(_token(base, _code(base))[1]["id_token"], jwks.keys[0], algorithms=["RS256"],
                      audience="shenpi")["name"] == "刘建华"
