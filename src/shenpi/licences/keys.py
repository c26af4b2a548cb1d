"""Department signing keys: where the private keys are, and the two signatures made with them.

Each department signs its certificates twice: SM2 with SM3 (国密, tongsuopy) over the certificate's
data, and ECDSA P-256 (PAdES, pyHanko) over the PDF, with an X.509 certificate issued by the centre's
CA, because PDF readers do not know SM2. The database keeps the public parts (`SigningKey`); the
private keys are in a `KeyStore` named by `SigningKey.key_reference`:

- "file:<department code>": PEM files under SHENPI_LICENCE_KEY_DIR/<code>/ (mode 0600), written by
  `shenpi licence keys` (demo) or copied in with `shenpi licence keys --import` (production);
- "hsm:<slot>/<label>": a hardware security module behind PKCS#11 (`HsmKeyStore`).

Nothing here writes a key inside the repository: a key folder within the source tree is refused
(var/, ignored by git, is where the default lives).
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import math
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes as x509_hashes
from cryptography.hazmat.primitives import serialization as x509_serialization
from cryptography.hazmat.primitives.asymmetric import ec as x509_ec
from cryptography.x509.oid import NameOID
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from tongsuopy.crypto import hashes as sm_hashes
from tongsuopy.crypto import serialization as sm_serialization
from tongsuopy.crypto.asymciphers import ec as sm_ec
from tongsuopy.crypto.exceptions import InvalidSignature

from shenpi import clock
from shenpi.errors import InvalidInput

from .models import SigningKey

SM2_KEY = "sm2.key.pem"
PADES_KEY = "pades.key.pem"
PADES_CERT = "pades.cert.pem"
CA_DIR = "ca"
CA_KEY = "ca.key.pem"
CA_CERT = "ca.cert.pem"
SEAL = "seal.png"
CERT_YEARS = 10


class KeyUnavailable(InvalidInput):
    """A department's private key cannot be used: missing files, no HSM configured."""

    def __init__(self, message: str):
        super().__init__(message, {"key": [message]})


def key_dir() -> Path:
    return Path(settings.LICENCE_KEY_DIR)


def repository_root() -> Path:
    """The source checkout this code runs from (src/shenpi/ → two levels up)."""
    return Path(__file__).resolve().parents[3]


def check_outside_repository(path: Path) -> Path:
    """Refuse a key folder inside the source tree: a private key there is one `git add .` from being
    published. var/ (ignored by git) is the one place inside the checkout allowed."""
    path = path.resolve()
    root = repository_root()
    if (root / ".git").exists() and path.is_relative_to(root) and not path.is_relative_to(root / "var"):
        raise KeyUnavailable(f"密钥目录 {path} 位于代码仓库内，私钥不得放在仓库中；请设置 SHENPI_LICENCE_KEY_DIR。")
    return path


def _write_private(path: Path, data: bytes) -> None:
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(data)
    path.chmod(0o600)


# -- signing ---------------------------------------------------------------------------------------

class DepartmentSigner:
    """What issuing needs of a department's private keys: an SM2 signature, a PAdES signer."""

    def sm2_sign(self, data: bytes) -> bytes:
        raise NotImplementedError

    def pades_signer(self):
        """A pyhanko.sign.signers.Signer for the PDF signature."""
        raise NotImplementedError


class KeyStore:
    """Where private keys live. `signer(reference)` answers a DepartmentSigner or raises KeyUnavailable."""

    prefix = ""

    def signer(self, reference: str) -> DepartmentSigner:
        raise NotImplementedError


class FileSigner(DepartmentSigner):
    def __init__(self, folder: Path):
        self.folder = folder
        try:
            self._sm2 = sm_serialization.load_pem_private_key((folder / SM2_KEY).read_bytes(), None)
            self._pades_key = (folder / PADES_KEY).read_bytes()
            self._pades_cert = (folder / PADES_CERT).read_bytes()
            self._ca_cert = (folder / CA_CERT).read_bytes() if (folder / CA_CERT).exists() else b""
        except FileNotFoundError as missing:
            raise KeyUnavailable(f"私钥文件不存在：{missing.filename}"
                                 "（运行 shenpi licence keys 生成或导入）。") from None
        self._pyhanko = None

    def sm2_sign(self, data: bytes) -> bytes:
        return self._sm2.sign(data, sm_ec.ECDSA(sm_hashes.SM3()))

    def pades_signer(self):
        if self._pyhanko is None:
            from asn1crypto import keys as asn1_keys
            from asn1crypto import x509 as asn1_x509
            from pyhanko.sign import signers
            from pyhanko_certvalidator.registry import SimpleCertificateStore

            key = x509_serialization.load_pem_private_key(self._pades_key, None)
            der_key = key.private_bytes(x509_serialization.Encoding.DER, x509_serialization.PrivateFormat.PKCS8,
                                        x509_serialization.NoEncryption())
            chain = [asn1_x509.Certificate.load(_der(self._ca_cert))] if self._ca_cert else []
            self._pyhanko = signers.SimpleSigner(
                signing_cert=asn1_x509.Certificate.load(_der(self._pades_cert)),
                signing_key=asn1_keys.PrivateKeyInfo.load(der_key),
                cert_registry=SimpleCertificateStore.from_certs(chain))
        return self._pyhanko


class FileKeyStore(KeyStore):
    """PEM files under SHENPI_LICENCE_KEY_DIR/<department code>/."""

    prefix = "file:"

    def signer(self, reference: str) -> DepartmentSigner:
        folder = check_outside_repository(key_dir() / reference.removeprefix(self.prefix))
        return _file_signer(str(folder), _stamp(folder))


@functools.lru_cache(maxsize=64)
def _file_signer(folder: str, stamp: tuple) -> FileSigner:
    # Keyed by the files' modification times: keys replaced with --force are read again.
    return FileSigner(Path(folder))


def _stamp(folder: Path) -> tuple:
    return tuple((folder / name).stat().st_mtime_ns if (folder / name).exists() else 0
                 for name in (SM2_KEY, PADES_KEY, PADES_CERT, CA_CERT))


class HsmKeyStore(KeyStore):
    """Keys inside a hardware security module, reached through PKCS#11 (SHENPI_LICENCE_HSM_MODULE).

    A reference "hsm:<slot>/<label>" names the token slot and the key label; the module signs SM2
    (CKM_SM2_SM3 where the vendor supports it) and ECDSA P-256 without the key ever leaving it. This
    release carries no PKCS#11 binding: with no module configured, or with one, it refuses clearly,
    so a production set-up that needs an HSM learns it at the first issue and not from a bad PDF.
    """

    prefix = "hsm:"

    def signer(self, reference: str) -> DepartmentSigner:
        if not settings.LICENCE_HSM_MODULE:
            raise KeyUnavailable(f"密钥 {reference} 位于加密机，但未配置 SHENPI_LICENCE_HSM_MODULE。")
        raise KeyUnavailable(f"密钥 {reference}：本版本尚未接入 PKCS#11 加密机（{settings.LICENCE_HSM_MODULE}），"
                             "请改用文件密钥（shenpi licence keys --import）。")


STORES: dict[str, KeyStore] = {store.prefix: store for store in (FileKeyStore(), HsmKeyStore())}


def signer_for(signing_key: SigningKey) -> DepartmentSigner:
    reference = signing_key.key_reference
    for prefix, store in STORES.items():
        if reference.startswith(prefix):
            return store.signer(reference)
    raise KeyUnavailable(f"无法识别的私钥位置：{reference}")


# -- public parts, cached: the verification page checks a signature per request -----------------

@functools.lru_cache(maxsize=256)
def sm2_public_key(pem: str):
    return sm_serialization.load_pem_public_key(pem.encode())


def sm2_verify(public_key_pem: str, signature: bytes, data: bytes) -> bool:
    try:
        sm2_public_key(public_key_pem).verify(signature, data, sm_ec.ECDSA(sm_hashes.SM3()))
    except (InvalidSignature, ValueError):
        return False
    return True


def _der(pem: bytes) -> bytes:
    return x509.load_pem_x509_certificate(pem).public_bytes(x509_serialization.Encoding.DER)


def active_key(department) -> SigningKey | None:
    return SigningKey.objects.filter(department=department, active=True).order_by("-created_at").first()


# -- generation (demo) and import (production) ---------------------------------------------------

def _name(common_name: str, unit: str = "") -> x509.Name:
    parts = [x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
             x509.NameAttribute(NameOID.ORGANIZATION_NAME, settings.CENTRE_NAME)]
    if unit:
        parts.append(x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, unit))
    parts.append(x509.NameAttribute(NameOID.COMMON_NAME, common_name))
    return x509.Name(parts)


def _usage(*, sign_certs: bool) -> x509.KeyUsage:
    return x509.KeyUsage(digital_signature=True, content_commitment=not sign_certs, key_encipherment=False,
                         data_encipherment=False, key_agreement=False, key_cert_sign=sign_certs,
                         crl_sign=sign_certs, encipher_only=False, decipher_only=False)


def centre_ca(*, create: bool = True):
    """(private key, certificate) of the centre's CA in the key folder; generated on first use."""
    folder = check_outside_repository(key_dir() / CA_DIR)
    if (folder / CA_KEY).exists() and (folder / CA_CERT).exists():
        return (x509_serialization.load_pem_private_key((folder / CA_KEY).read_bytes(), None),
                x509.load_pem_x509_certificate((folder / CA_CERT).read_bytes()))
    if not create:
        raise KeyUnavailable(f"中心CA证书不存在：{folder / CA_CERT}")
    key = x509_ec.generate_private_key(x509_ec.SECP256R1())
    now = clock.now()
    subject = _name(f"{settings.CENTRE_NAME}证照签发CA")
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=365 * 20))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(_usage(sign_certs=True), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(key, x509_hashes.SHA256()))
    _write_private(folder / CA_KEY, key.private_bytes(x509_serialization.Encoding.PEM,
                                                      x509_serialization.PrivateFormat.PKCS8,
                                                      x509_serialization.NoEncryption()))
    (folder / CA_CERT).write_bytes(cert.public_bytes(x509_serialization.Encoding.PEM))
    return key, cert


def seal_png(name: str, size: int = 480) -> bytes:
    """A red round official seal (公章) with the department's name around a star, for the demo."""
    from PIL import Image, ImageDraw, ImageFont

    from shenpi.fonts import candidate_paths

    red = (200, 16, 16, 235)
    image = Image.new("RGBA", (size, size), (255, 255, 255, 0))
    draw = ImageDraw.Draw(image)
    margin = size // 40
    draw.ellipse((margin, margin, size - margin, size - margin), outline=red, width=size // 28)
    centre = size / 2
    star_r = size * 0.15
    points = [(centre + star_r * (1 if k % 2 == 0 else 0.38) * math.sin(k * math.pi / 5),
               centre - star_r * (1 if k % 2 == 0 else 0.38) * math.cos(k * math.pi / 5)) for k in range(10)]
    draw.polygon(points, fill=red)
    font_path = next((p for p in candidate_paths() if p.is_file()), None)

    def font(px):
        return ImageFont.truetype(str(font_path), px) if font_path else ImageFont.load_default()

    text = name[:16]
    glyph = font(int(size * 0.11))
    # The name runs along the upper arc, from lower left to lower right, each character upright to the centre.
    spread = min(250.0, 22.0 * len(text))
    radius = size * 0.36
    for index, char in enumerate(text):
        angle = -spread / 2 + (spread * (index + 0.5) / len(text))
        tile = Image.new("RGBA", (int(size * 0.14), int(size * 0.14)), (255, 255, 255, 0))
        ImageDraw.Draw(tile).text((tile.width / 2, tile.height / 2), char, font=glyph, fill=red, anchor="mm")
        tile = tile.rotate(-angle, resample=Image.BICUBIC, expand=True)
        x = centre + radius * math.sin(math.radians(angle)) - tile.width / 2
        y = centre - radius * math.cos(math.radians(angle)) - tile.height / 2
        image.alpha_composite(tile, (int(x), int(y)))
    draw.text((centre, size * 0.74), "行政审批专用章", font=font(int(size * 0.07)), fill=red, anchor="mm")
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


@dataclass
class KeyFiles:
    sm2_key: bytes
    pades_key: bytes
    pades_cert: bytes
    ca_cert: bytes
    seal: bytes


def _generated(department) -> KeyFiles:
    ca_key, ca_cert = centre_ca()
    sm2 = sm_ec.generate_private_key(sm_ec.SM2())
    key = x509_ec.generate_private_key(x509_ec.SECP256R1())
    now = clock.now()
    cert = (x509.CertificateBuilder().subject_name(_name(department.name, department.code))
            .issuer_name(ca_cert.subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=365 * CERT_YEARS))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(_usage(sign_certs=False), critical=True)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
            .sign(ca_key, x509_hashes.SHA256()))
    pem = x509_serialization.Encoding.PEM
    return KeyFiles(
        sm2_key=sm2.private_bytes(sm_serialization.Encoding.PEM, sm_serialization.PrivateFormat.PKCS8,
                                  sm_serialization.NoEncryption()),
        pades_key=key.private_bytes(pem, x509_serialization.PrivateFormat.PKCS8, x509_serialization.NoEncryption()),
        pades_cert=cert.public_bytes(pem), ca_cert=ca_cert.public_bytes(pem), seal=seal_png(department.name))


def _checked(files: KeyFiles) -> tuple[str, str]:
    """(SM2 public key PEM, certificate PEM) after checking each private key matches its public part."""
    try:
        sm2 = sm_serialization.load_pem_private_key(files.sm2_key, None)
        pades = x509_serialization.load_pem_private_key(files.pades_key, None)
        cert = x509.load_pem_x509_certificate(files.pades_cert)
        if files.ca_cert:
            x509.load_pem_x509_certificate(files.ca_cert)
    except ValueError as error:
        raise KeyUnavailable(f"密钥或证书文件无法读取：{error}") from None
    if not isinstance(pades, x509_ec.EllipticCurvePrivateKey) or pades.curve.name != "secp256r1":
        raise KeyUnavailable("PDF签名私钥应为 ECDSA P-256（PDF阅读器可验证）。")
    pem = x509_serialization.Encoding.PEM
    spki = x509_serialization.PublicFormat.SubjectPublicKeyInfo
    if pades.public_key().public_bytes(pem, spki) != cert.public_key().public_bytes(pem, spki):
        raise KeyUnavailable("PDF签名私钥与证书不匹配。")
    probe = b"shenpi key check"
    public = sm2.public_key()
    public.verify(sm2.sign(probe, sm_ec.ECDSA(sm_hashes.SM3())), probe, sm_ec.ECDSA(sm_hashes.SM3()))
    return (public.public_bytes(sm_serialization.Encoding.PEM, sm_serialization.PublicFormat.SubjectPublicKeyInfo)
            .decode(), files.pades_cert.decode())


def install(department, files: KeyFiles, *, force: bool = False, label: str = "") -> SigningKey:
    """Write a department's private keys into the key folder and record its public parts as the
    department's active SigningKey; an existing key is kept unless `force`."""
    folder = check_outside_repository(key_dir() / department.code)
    existing = active_key(department)
    if not force and (existing is not None or (folder / SM2_KEY).exists()):
        raise KeyUnavailable(f"{department.name}（{department.code}）已有签章密钥；如需替换请加 --force。")
    sm2_public, certificate = _checked(files)
    with transaction.atomic():
        _write_private(folder / SM2_KEY, files.sm2_key)
        _write_private(folder / PADES_KEY, files.pades_key)
        (folder / PADES_CERT).write_bytes(files.pades_cert)
        if files.ca_cert:  # the chain embedded in each PDF signature
            (folder / CA_CERT).write_bytes(files.ca_cert)
        SigningKey.objects.filter(department=department, active=True).update(active=False)
        key = SigningKey(department=department, label=label or f"{department.name}签章密钥", sm2_public_key=sm2_public,
                         certificate=certificate, ca_certificate=files.ca_cert.decode(),
                         key_reference=f"file:{department.code}", created_at=clock.now())
        if files.seal:
            key.seal_image.save(f"{department.code}-{SEAL}", ContentFile(files.seal), save=False)
        key.save()
    return key


def generate(department, *, force: bool = False) -> SigningKey:
    """New keys for a department (the demo; a test installation): SM2, P-256 with a certificate from
    the centre CA, and a drawn seal."""
    if not force and active_key(department) is not None:
        raise KeyUnavailable(f"{department.name}（{department.code}）已有签章密钥；如需替换请加 --force。")
    return install(department, _generated(department), force=force)


def import_files(department, *, sm2_key: Path, pades_key: Path, pades_cert: Path, ca_cert: Path | None = None,
                 seal: Path | None = None, force: bool = False) -> SigningKey:
    """Production: keys and certificate issued elsewhere (the province's CA), read from files."""
    try:
        files = KeyFiles(sm2_key=sm2_key.read_bytes(), pades_key=pades_key.read_bytes(),
                         pades_cert=pades_cert.read_bytes(), ca_cert=ca_cert.read_bytes() if ca_cert else b"",
                         seal=seal.read_bytes() if seal else b"")
    except OSError as error:
        raise KeyUnavailable(f"无法读取文件 {error.filename}：{error.strerror}") from None
    return install(department, files, force=force, label=f"{department.name}签章密钥（导入）")
