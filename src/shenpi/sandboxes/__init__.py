"""Sandboxes: local stand-ins for the outside systems Shenpi talks to, each over real HTTP.

Every outside system (the identity service, the province's unified sign-in, later the payment
gateway, the courier, the province's supervision platform …) is reached through an interface with
a production backend that speaks HTTP. Its sandbox answers the same requests from a local HTTP
server, so callbacks, signatures, retries and time-outs are exercised for real in the tests and
in `make run`. A sandbox never imports the platform: it only knows the wire format.

All sandboxes are served by one server (`shenpi sandboxes serve`), each under its own path
prefix: http://127.0.0.1:8100/identity/… (see docs/sandboxes.md).
"""

# name -> "module:Class" of each sandbox; the name is its path prefix on the server.
SANDBOXES: dict[str, str] = {
    "identity": "shenpi.sandboxes.identity:IdentitySandbox",
    "unified-sign-in": "shenpi.sandboxes.unified_sign_in:UnifiedSignIn",
    "courier": "shenpi.sandboxes.courier:CourierSandbox",
    "payment": "shenpi.sandboxes.payment:PaymentSandbox",
    "province": "shenpi.sandboxes.province:ProvinceSandbox",
    "rating": "shenpi.sandboxes.province:RatingSandbox",
}


def endpoint(name: str, url: str, key: str, secret: str, sandbox_credentials: str) -> tuple[str, str, str]:
    """(address, key, secret) of an outside system: its configured address, else its sandbox's under
    SHENPI_SANDBOX_URL, else "" (not configured). Only while the sandbox stands in are its own
    credentials ("module:DICT", first entry) the defaults, so production has no default secret."""
    from django.conf import settings

    sandbox = f"{settings.SANDBOX_URL}/{name}" if settings.SANDBOX_URL else ""
    url = url or sandbox
    if not url.startswith(("http://", "https://")):
        url = ""
    if url and url == sandbox:
        from importlib import import_module

        module, attribute = sandbox_credentials.split(":")
        sandbox_key, sandbox_secret = next(iter(getattr(import_module(module), attribute).items()))
        key, secret = key or sandbox_key, secret or sandbox_secret
    return url, key, secret
