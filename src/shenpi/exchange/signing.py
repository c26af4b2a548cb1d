"""Signatures of what leaves (HMAC-SM3 or HMAC-SHA256 over timestamp and body), and their check.

A receiver recomputes the MAC over "<timestamp>\\n<body>" with the shared secret and compares in constant
time, refusing a timestamp outside the replay window (docs/webhooks.md and docs/examples/webhook_receiver.py
have the receiving side in Python).
"""

from __future__ import annotations

import hmac as std_hmac
import time

from cryptography.hazmat.primitives import hashes, hmac

ALGORITHMS = {"hmac-sm3": hashes.SM3, "hmac-sha256": hashes.SHA256}
REPLAY_WINDOW = 300  # seconds either side of the receiver's clock

SIGNATURE_HEADER = "X-Shenpi-Signature"
TIMESTAMP_HEADER = "X-Shenpi-Timestamp"
ALGORITHM_HEADER = "X-Shenpi-Algorithm"


def mac(secret: str, algorithm: str, timestamp: str, body: bytes) -> str:
    signer = hmac.HMAC(secret.encode(), ALGORITHMS[algorithm]())
    signer.update(timestamp.encode() + b"\n" + body)
    return signer.finalize().hex()


def headers(secret: str, algorithm: str, body: bytes, now: float | None = None) -> dict[str, str]:
    timestamp = str(int(time.time() if now is None else now))
    return {TIMESTAMP_HEADER: timestamp, ALGORITHM_HEADER: algorithm,
            SIGNATURE_HEADER: mac(secret, algorithm, timestamp, body)}


def verify(secret: str, received: dict[str, str], body: bytes, now: float | None = None,
           window: int = REPLAY_WINDOW) -> str | None:
    """None when the signature holds and the timestamp is within the window; else why not."""
    algorithm = received.get(ALGORITHM_HEADER, "")
    if algorithm not in ALGORITHMS:
        return "签名算法不支持"
    timestamp = received.get(TIMESTAMP_HEADER, "")
    if not timestamp.isdigit():
        return "缺少时间戳"
    if abs((time.time() if now is None else now) - int(timestamp)) > window:
        return "时间戳超出有效期"
    if not std_hmac.compare_digest(mac(secret, algorithm, timestamp, body), received.get(SIGNATURE_HEADER, "")):
        return "签名不符"
    return None
