"""The UKey's cryptography: its public key as registered, the signature of a challenge, and the signer.

A UKey (or any holder of a CA-issued key pair) signs the server's random challenge with its private
key; the server checks the signature against the public key the security administrator registered.
ECDSA over NIST P-256 with SHA-256: the `cryptography` library has no SM2 (GM/T 0003) signatures, so a
centre whose UKeys only sign with SM2 needs a verifier for it behind the same two functions.

`sign_challenge()` and `new_key_pair()` play the UKey's local signer (`shenpi ukey-sign`), for tests
and for a centre trying the interface without hardware.
"""

from __future__ import annotations

import base64
import binascii

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from shenpi.errors import InvalidInput

CURVE = ec.SECP256R1
SIGNATURE = ec.ECDSA(hashes.SHA256())


def public_key_of(pem: str) -> ec.EllipticCurvePublicKey:
    """The P-256 public key in a PEM public key or X.509 certificate; InvalidInput when it is neither."""
    data = pem.strip().encode()
    try:
        if b"BEGIN CERTIFICATE" in data:
            key = x509.load_pem_x509_certificate(data).public_key()
        else:
            key = serialization.load_pem_public_key(data)
    except (ValueError, UnsupportedAlgorithm) as error:
        raise InvalidInput("无法识别的公钥或证书：请粘贴 PEM 格式（-----BEGIN PUBLIC KEY----- 或 "
                           "-----BEGIN CERTIFICATE-----）。") from error
    if not isinstance(key, ec.EllipticCurvePublicKey) or not isinstance(key.curve, CURVE):
        raise InvalidInput("仅支持 ECDSA P-256（secp256r1）密钥。")
    return key


def public_pem(key: ec.EllipticCurvePublicKey) -> str:
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def fingerprint(key: ec.EllipticCurvePublicKey) -> str:
    """SHA-256 of the key's DER SubjectPublicKeyInfo, in hex: what the holder compares on their UKey."""
    digest = hashes.Hash(hashes.SHA256())
    digest.update(key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo))
    return digest.finalize().hex()


def signature_matches(pem: str, challenge: str, signature: str) -> bool:
    """Whether `signature` (base64 DER ECDSA) signs the challenge's text with the registered key."""
    try:
        raw = base64.b64decode("".join(signature.split()), validate=True)
        public_key_of(pem).verify(raw, challenge.encode(), SIGNATURE)
    except (InvalidSignature, InvalidInput, ValueError, binascii.Error):
        return False
    return True


# -- the local signer ---------------------------------------------------------------------------------

def new_key_pair() -> tuple[str, str]:
    """A new key pair as a UKey would hold it: (private key PEM, public key PEM)."""
    private = ec.generate_private_key(CURVE())
    private_pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                        serialization.NoEncryption()).decode()
    return private_pem, public_pem(private.public_key())


def sign_challenge(private_pem: str, challenge: str) -> str:
    """The base64 signature the UKey's signer answers a challenge with."""
    private = serialization.load_pem_private_key(private_pem.encode(), password=None)
    return base64.b64encode(private.sign(challenge.strip().encode(), SIGNATURE)).decode()
