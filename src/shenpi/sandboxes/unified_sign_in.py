"""Sandbox of the province's unified identity platform (统一身份认证): an OpenID Connect provider.

Authorization code flow with PKCE (S256), state and nonce, as the real platform speaks it:
- GET  /.well-known/openid-configuration   discovery document
- GET  /authorize                          a page where a tester picks who signs in (as a person or
                                           for the company that person represents), or types an identity
- POST /authorize                          the pick: 302 back to redirect_uri with code and state
                                           (or error=access_denied when the tester refuses)
- POST /token                              code + client secret + PKCE verifier -> RS256 ID token, access token
- GET  /jwks                               the public signing key
- GET  /userinfo                           the same claims for a Bearer access token
- POST /misbehave                          JSON {"id_token": MODE}: the next ID token comes out wrong, the
                                           way a forged or stale one would: bad_signature, foreign_key,
                                           expired, wrong_audience, wrong_issuer, wrong_nonce,
                                           not_a_jwt, missing (no id_token in the answer)

Claims beyond OIDC's: `id_card` (居民身份证号码), `user_type` (person | company), `uscc` and
`company_name` for a company, `real_name_verified` (the platform checked name and ID number),
`phone_number` and `phone_number_verified`.

The signing key is made afresh each time the server starts. Nothing of the platform is imported:
the identities below are the sandbox's own (the demo's applicants among them).
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import secrets
import time
from dataclasses import dataclass
from urllib.parse import urlencode

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from .server import Request, Response, Sandbox

# The clients registered with the platform: client id -> secret.
CLIENTS = {"shenpi": "unified-sign-in-sandbox-secret"}
CODE_SECONDS = 60
TOKEN_SECONDS = 300
TAMPER_MODES = ("bad_signature", "foreign_key", "expired", "wrong_audience", "wrong_issuer", "wrong_nonce", "not_a_jwt",
                "missing")


@dataclass(frozen=True)
class Identity:
    key: str
    name: str
    id_card: str
    mobile: str
    real_name_verified: bool = True
    company_name: str = ""
    uscc: str = ""


IDENTITIES = [
    Identity("liujianhua", "刘建华", "370211199106269695", "18739120839"),
    Identity("zhaohaiyan", "赵海燕", "370202198504123025", "15950746570",
             company_name="示范市恒通置业有限公司", uscc="91370281170400402A"),
    Identity("sunlihua", "孙丽华", "370211197809231547", "18192204178",
             company_name="示范市鑫源餐饮管理有限公司", uscc="9137028266375302X5"),
    Identity("wangxiaoming", "王小明", "370203199501010042", "13800000001"),
    Identity("chenweihe", "陈未核", "370281198808152461", "13800000002", real_name_verified=False),
]


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _int_b64(number: int) -> str:
    return b64url(number.to_bytes((number.bit_length() + 7) // 8, "big"))


class UnifiedSignIn(Sandbox):
    name = "unified-sign-in"

    def __init__(self):
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = b64url(hashlib.sha256(self.key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)).digest()[:12])
        super().__init__()

    def reset(self) -> None:
        self.codes: dict[str, dict] = {}
        self.access_tokens: dict[str, dict] = {}
        self.tamper = ""
        self.issued: list[dict] = []  # the ID tokens' claims, for tests to read

    def handle(self, request: Request) -> Response:
        routes = {
            ("GET", "/.well-known/openid-configuration"): self.discovery,
            ("GET", "/authorize"): self.authorize_page,
            ("POST", "/authorize"): self.authorize,
            ("POST", "/token"): self.token,
            ("GET", "/jwks"): self.jwks,
            ("GET", "/userinfo"): self.userinfo,
            ("POST", "/misbehave"): self.misbehave,
        }
        handler = routes.get((request.method, request.path))
        if handler is None:
            return Response.json({"error": "not_found"}, 404)
        return handler(request)

    # -- discovery and keys ------------------------------------------------------------------------

    def discovery(self, request: Request) -> Response:
        base = request.base_url
        return Response.json({
            "issuer": base,
            "authorization_endpoint": f"{base}/authorize",
            "token_endpoint": f"{base}/token",
            "userinfo_endpoint": f"{base}/userinfo",
            "jwks_uri": f"{base}/jwks",
            "response_types_supported": ["code"],
            "grant_types_supported": ["authorization_code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
            "scopes_supported": ["openid", "profile", "phone", "id_card"],
            "claims_supported": ["sub", "name", "id_card", "user_type", "uscc", "company_name",
                                 "real_name_verified", "phone_number", "phone_number_verified"],
        })

    def jwks(self, request: Request) -> Response:
        numbers = self.key.public_key().public_numbers()
        return Response.json({"keys": [{"kty": "RSA", "use": "sig", "alg": "RS256", "kid": self.kid,
                                        "n": _int_b64(numbers.n), "e": _int_b64(numbers.e)}]})

    # -- the browser's part --------------------------------------------------------------------------

    def _authorize_problem(self, params: dict[str, str]) -> str:
        if params.get("client_id") not in CLIENTS:
            return "未登记的应用（client_id）。"
        if not params.get("redirect_uri", "").startswith(("http://", "https://")):
            return "缺少或错误的回调地址（redirect_uri）。"
        if params.get("response_type") != "code":
            return "仅支持授权码模式（response_type=code）。"
        if "openid" not in params.get("scope", "").split():
            return "scope 须包含 openid。"
        if params.get("code_challenge_method") != "S256" or not params.get("code_challenge"):
            return "须使用 PKCE（code_challenge_method=S256）。"
        if not params.get("state") or not params.get("nonce"):
            return "缺少 state 或 nonce。"
        return ""

    def authorize_page(self, request: Request) -> Response:
        params = request.query
        problem = self._authorize_problem(params)
        if problem:
            return Response.html(f"<!doctype html><meta charset=utf-8><p>{html.escape(problem)}</p>", 400)
        hidden = "".join(f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
                         for k, v in params.items())
        rows = []
        for identity in IDENTITIES:
            note = "" if identity.real_name_verified else "（未实名核验）"
            buttons = (f'<button name="pick" value="{identity.key}:person">以个人身份登录</button>')
            if identity.uscc:
                buttons += (f' <button name="pick" value="{identity.key}:company">'
                            f'以法人身份登录（{html.escape(identity.company_name)}）</button>')
            rows.append(f"<tr><td>{html.escape(identity.name)}{note}</td><td>{identity.id_card}</td>"
                        f"<td>{identity.mobile}</td><td>{buttons}</td></tr>")
        page = f"""<!doctype html><html lang="zh-CN"><meta charset="utf-8">
<title>统一身份认证平台（沙箱）</title><link rel="icon" href="data:,">
<style>body{{font-family:sans-serif;margin:2rem}}td,th{{padding:.4rem .8rem;border-bottom:1px solid #ddd}}</style>
<h1>统一身份认证平台（沙箱）</h1>
<p>应用 <b>{html.escape(params["client_id"])}</b> 请求获取您的身份信息。请选择登录身份：</p>
<form method="post">{hidden}
<table><tr><th>姓名</th><th>身份证号码</th><th>手机号码</th><th></th></tr>{"".join(rows)}</table>
<h2>其他身份</h2>
<p><label>姓名 <input name="name"></label> <label>身份证号码 <input name="id_card"></label>
<label>手机号码 <input name="phone_number"></label></p>
<p><label>单位名称 <input name="company_name"></label> <label>统一社会信用代码 <input name="uscc"></label>
（填写则以法人身份登录）</p>
<p><button name="pick" value="custom">以此身份登录</button> <button name="pick" value="deny">拒绝授权</button></p>
</form></html>"""
        return Response.html(page)

    def authorize(self, request: Request) -> Response:
        form = request.form()
        problem = self._authorize_problem(form)
        if problem:
            return Response.html(f"<!doctype html><meta charset=utf-8><p>{html.escape(problem)}</p>", 400)
        back = form["redirect_uri"] + ("&" if "?" in form["redirect_uri"] else "?")
        claims = self._picked(form)
        if claims is None:
            return Response.redirect(back + urlencode({"error": "access_denied", "state": form["state"]}))
        code = secrets.token_urlsafe(24)
        self.codes[code] = {"client_id": form["client_id"], "redirect_uri": form["redirect_uri"],
                            "challenge": form["code_challenge"], "nonce": form["nonce"], "claims": claims,
                            "expires": time.time() + CODE_SECONDS}
        return Response.redirect(back + urlencode({"code": code, "state": form["state"]}))

    def _picked(self, form: dict[str, str]) -> dict | None:
        pick = form.get("pick", "")
        if pick == "custom":
            identity = Identity("custom", form.get("name", "").strip(), form.get("id_card", "").strip().upper(),
                                form.get("phone_number", "").strip(),
                                company_name=form.get("company_name", "").strip(),
                                uscc=form.get("uscc", "").strip().upper())
            return self._claims(identity, company=bool(identity.uscc))
        key, _, kind = pick.partition(":")
        identity = next((each for each in IDENTITIES if each.key == key), None)
        if identity is None:
            return None
        return self._claims(identity, company=kind == "company" and bool(identity.uscc))

    @staticmethod
    def _claims(identity: Identity, company: bool) -> dict:
        claims = {
            "sub": hashlib.sha256(identity.id_card.encode()).hexdigest()[:24],
            "name": identity.name, "id_card": identity.id_card,
            "user_type": "company" if company else "person",
            "real_name_verified": identity.real_name_verified,
            "phone_number": identity.mobile, "phone_number_verified": bool(identity.mobile),
        }
        if company:
            claims.update(uscc=identity.uscc, company_name=identity.company_name)
        return claims

    # -- the platform's back channel -------------------------------------------------------------------

    def _client(self, request: Request, form: dict[str, str]) -> str | None:
        """The client id whose secret came with the request (HTTP Basic or in the body), else None."""
        client_id, secret = form.get("client_id", ""), form.get("client_secret", "")
        authorization = request.headers.get("authorization", "")
        if authorization.startswith("Basic "):
            try:
                client_id, _, secret = base64.b64decode(authorization[6:]).decode().partition(":")
            except ValueError:
                return None
        expected = CLIENTS.get(client_id)
        if expected is None or not secrets.compare_digest(expected.encode(), secret.encode()):
            return None
        return client_id

    def token(self, request: Request) -> Response:
        form = request.form()
        client_id = self._client(request, form)
        if client_id is None:
            return Response.json({"error": "invalid_client"}, 401)
        if form.get("grant_type") != "authorization_code":
            return Response.json({"error": "unsupported_grant_type"}, 400)
        grant = self.codes.pop(form.get("code", ""), None)  # a code is good once
        if grant is None or grant["expires"] < time.time() or grant["client_id"] != client_id:
            return Response.json({"error": "invalid_grant", "error_description": "code unknown, used or expired"}, 400)
        if form.get("redirect_uri") != grant["redirect_uri"]:
            return Response.json({"error": "invalid_grant", "error_description": "redirect_uri differs"}, 400)
        challenge = b64url(hashlib.sha256(form.get("code_verifier", "").encode()).digest())
        if not secrets.compare_digest(challenge, grant["challenge"]):
            return Response.json({"error": "invalid_grant", "error_description": "PKCE verification failed"}, 400)
        now = int(time.time())
        claims = {"iss": request.base_url, "aud": client_id, "iat": now, "exp": now + TOKEN_SECONDS,
                  "auth_time": now, "nonce": grant["nonce"], **grant["claims"]}
        access_token = secrets.token_urlsafe(24)
        self.access_tokens[access_token] = grant["claims"]
        self.issued.append(claims)
        answer = {"access_token": access_token, "token_type": "Bearer", "expires_in": TOKEN_SECONDS,
                  "id_token": self._id_token(claims)}
        if answer["id_token"] == "":
            del answer["id_token"]
        return Response.json(answer)

    def _id_token(self, claims: dict) -> str:
        mode, self.tamper = self.tamper, ""
        if mode in ("not_a_jwt", "missing"):
            return "" if mode == "missing" else b64url(json.dumps(claims, ensure_ascii=False).encode())
        claims = dict(claims)
        if mode == "expired":
            claims.update(iat=claims["iat"] - 2 * TOKEN_SECONDS, exp=claims["iat"] - TOKEN_SECONDS)
        elif mode == "wrong_audience":
            claims["aud"] = "another-client"
        elif mode == "wrong_issuer":
            claims["iss"] = "https://impostor.example/unified-sign-in"
        elif mode == "wrong_nonce":
            claims["nonce"] = secrets.token_urlsafe(16)
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048) if mode == "foreign_key" else self.key
        header = b64url(json.dumps({"alg": "RS256", "typ": "JWT", "kid": self.kid}).encode())
        payload = b64url(json.dumps(claims, ensure_ascii=False).encode())
        signature = key.sign(f"{header}.{payload}".encode(), padding.PKCS1v15(), hashes.SHA256())
        if mode == "bad_signature":
            # The claims changed after signing: another ID number in a token signed for the first.
            forged = dict(claims, id_card="110105199003071239", name="冒用者")
            payload = b64url(json.dumps(forged, ensure_ascii=False).encode())
        return f"{header}.{payload}.{b64url(signature)}"

    def userinfo(self, request: Request) -> Response:
        authorization = request.headers.get("authorization", "")
        claims = self.access_tokens.get(authorization.removeprefix("Bearer ").strip())
        if not authorization.startswith("Bearer ") or claims is None:
            return Response.json({"error": "invalid_token"}, 401)
        return Response.json(claims)

    def misbehave(self, request: Request) -> Response:
        try:
            mode = str((request.json() or {}).get("id_token", ""))
        except (ValueError, AttributeError):
            mode = ""
        if mode not in TAMPER_MODES:
            return Response.json({"error": f"id_token is one of {', '.join(TAMPER_MODES)}"}, 400)
        self.tamper = mode
        return Response.json({"id_token": mode})
