"""National cryptography (国密) helpers: SM3 digests, and SM4-GCM encryption of personal data and
applicants' files at rest under a key ring of its own.

Both come from `cryptography` (OpenSSL), about a thousand times faster than pure-Python SM3.

The key ring (docs/operations.md, "Keys") is read from SHENPI_FIELD_KEY_FILE (var/field_key in
the embedded default), never derived from the secret key:

    index <32 hex>        the blind-index key: stable, never rotated (lookups by equality use it)
    key <32 hex>          the current key: everything new is encrypted under it (the first key line)
    key <32 hex>          previous keys: decryption only, until `shenpi keys rotate` has re-encrypted
    legacy <32 hex>       the key of values written before key rings ("sm4:", SM4-CBC), decryption only

SHENPI_FIELD_KEY, when set, is the current key and the file's key lines are previous ones.

A value is "sm4gcm:v1:<key id>:" + base64(nonce ‖ ciphertext ‖ tag); the prefix is the additional
authenticated data, so a value moved to another key id or altered in any byte fails with
TamperedError. A file is the header b"SPENC1" + key id + nonce, then ciphertext ‖ tag. Values
and files written before ("sm4:" SM4-CBC without integrity, files in clear) are still read, and
rewritten by `shenpi keys rotate`.
"""

from __future__ import annotations

import base64
import hashlib
import os
import secrets
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, hmac, padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage
from django.core.signals import setting_changed
from django.db import models

LEGACY_PREFIX = "sm4:"
PREFIX = "sm4gcm:v1:"
FILE_MAGIC = b"SPENC1"
_KEY_ID_LENGTH = 8
_NONCE = 12
_TAG = 16
FILE_HEADER = len(FILE_MAGIC) + _KEY_ID_LENGTH + _NONCE
FILE_OVERHEAD = FILE_HEADER + _TAG
# How often a process looks whether the key file changed (a rotation by another process).
_RECHECK_SECONDS = 1.0


class KeyError_(Exception):
    """Base of the key ring's errors (a name that does not shadow the built-in KeyError)."""


class MissingKey(KeyError_):
    """A value or file was encrypted under a key the ring no longer holds."""


class TamperedError(KeyError_):
    """Authenticated decryption failed: the value or file was altered, or is not what it claims."""


def sm3_hex(data: bytes) -> str:
    digest = hashes.Hash(hashes.SM3())
    digest.update(data)
    return digest.finalize().hex()


def key_id(key: bytes) -> str:
    """A short public name of a key: stored with every value so the right key decrypts it."""
    return sm3_hex(b"shenpi-key-id:" + key)[:_KEY_ID_LENGTH]


# -- the key ring -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class KeyRing:
    current: bytes
    index: bytes
    previous: tuple[bytes, ...] = ()
    legacy: bytes | None = None
    by_id: dict[str, bytes] = field(default_factory=dict, compare=False)

    def __post_init__(self):
        for key in (self.current, *self.previous):
            self.by_id[key_id(key)] = key

    @property
    def current_id(self) -> str:
        return key_id(self.current)


def _hex_key(text: str, where: str) -> bytes:
    try:
        key = bytes.fromhex(text.strip())
    except ValueError:
        raise KeyError_(f"{where}: a key is 32 hex digits") from None
    if len(key) != 16:
        raise KeyError_(f"{where}: a key is 32 hex digits (16 bytes), not {len(key)} bytes")
    return key


def parse_key_file(text: str, where: str = "key file") -> dict:
    """{"index": bytes, "keys": [bytes, …] (current first), "legacy": bytes | None}."""
    found = {"index": None, "keys": [], "legacy": None}
    for number, line in enumerate(text.splitlines(), 1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        kind, _, value = line.partition(" ")
        place = f"{where}, line {number}"
        if kind == "key":
            found["keys"].append(_hex_key(value, place))
        elif kind in ("index", "legacy"):
            found[kind] = _hex_key(value, place)
        else:
            raise KeyError_(f"{place}: unknown entry {kind!r} (index, key or legacy)")
    if found["index"] is None:
        raise KeyError_(f"{where}: no index line")
    return found


def format_key_file(index: bytes, keys: list[bytes], legacy: bytes | None) -> str:
    lines = ["# Shenpi field keys (docs/operations.md, \"Keys\"). Keep this file out of database backups.",
             f"index {index.hex()}"]
    lines += [f"key {key.hex()}" for key in keys]
    if legacy is not None:
        lines.append(f"legacy {legacy.hex()}")
    return "\n".join(lines) + "\n"


def legacy_master(secret_key: str, field_key: str) -> bytes:
    """The master of the former scheme: SHENPI_FIELD_KEY, else derived from the secret key."""
    if field_key:
        return bytes.fromhex(field_key)
    return hashlib.sha256(("shenpi-field-key:" + secret_key).encode()).digest()


def write_key_file(path: Path, text: str) -> None:
    """Readable by the owner only, replaced in one step (a reader never sees half a file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as out:
        out.write(text)
        out.flush()
        os.fsync(out.fileno())
    os.replace(temporary, path)


def create_key_file(path: Path, *, legacy: bytes | None, with_key: bool = True) -> None:
    """A first key file: a random current key (unless SHENPI_FIELD_KEY gives it); with `legacy` (the
    former master), that master's key for old values and its blind-index key, so existing lookups
    keep working; else a random blind-index key."""
    if legacy is None:
        index, old = secrets.token_bytes(16), None
    else:
        index, old = hashlib.sha256(b"blind-index:" + legacy).digest()[:16], legacy[:16]
    write_key_file(path, format_key_file(index, [secrets.token_bytes(16)] if with_key else [], old))


_lock = threading.Lock()
_cache: dict[str, object] = {}


def _load() -> KeyRing:
    path = Path(settings.FIELD_KEY_FILE)
    try:
        text = path.read_text()
    except FileNotFoundError:
        raise KeyError_(f"no field key file at {path} (SHENPI_FIELD_KEY_FILE)") from None
    found = parse_key_file(text, str(path))
    keys = found["keys"]
    if settings.FIELD_KEY:
        current = _hex_key(settings.FIELD_KEY, "SHENPI_FIELD_KEY")
        previous = tuple(k for k in keys if k != current)
    elif keys:
        current, previous = keys[0], tuple(keys[1:])
    else:
        raise KeyError_(f"{path}: no key line, and SHENPI_FIELD_KEY is empty")
    return KeyRing(current=current, index=found["index"], previous=previous, legacy=found["legacy"])


def _stamp() -> tuple:
    path = Path(settings.FIELD_KEY_FILE)
    try:
        info = path.stat()
    except FileNotFoundError:
        return (str(path), None)
    return (str(path), info.st_mtime_ns, info.st_size, info.st_ino, settings.FIELD_KEY)


def ring(*, reload: bool = False) -> KeyRing:
    """The key ring, read again when the key file changed (seen within a second)."""
    now = time.monotonic()
    cached = _cache.get("ring")
    if cached is not None and not reload and now - _cache["checked"] < _RECHECK_SECONDS:
        return cached
    stamp = _stamp()
    with _lock:
        if cached is None or reload or stamp != _cache.get("stamp"):
            _cache["ring"], _cache["stamp"] = _load(), stamp
        _cache["checked"] = now
        return _cache["ring"]


def forget() -> None:
    """Read the key file again on next use (tests, and after this process rewrote it)."""
    with _lock:
        _cache.clear()


def _forget_on_change(setting, **kwargs):
    if setting in ("FIELD_KEY", "FIELD_KEY_FILE"):
        forget()


setting_changed.connect(_forget_on_change)


def _key_for(identifier: str) -> bytes:
    key = ring().by_id.get(identifier)
    if key is None:  # written by a process that already has a newer ring
        key = ring(reload=True).by_id.get(identifier)
    if key is None:
        raise MissingKey(f"密钥 {identifier} 不在密钥环中（SHENPI_FIELD_KEY_FILE），无法解密。")
    return key


# -- values ---------------------------------------------------------------------------------------

def _seal(key: bytes, data: bytes, associated: bytes) -> bytes:
    nonce = os.urandom(_NONCE)
    encryptor = Cipher(algorithms.SM4(key), modes.GCM(nonce)).encryptor()
    encryptor.authenticate_additional_data(associated)
    return nonce + encryptor.update(data) + encryptor.finalize() + encryptor.tag


def _unseal(key: bytes, sealed: bytes, associated: bytes, what: str) -> bytes:
    if len(sealed) < _NONCE + _TAG:
        raise TamperedError(f"{what}已被截断或篡改，无法解密。")
    nonce, body, tag = sealed[:_NONCE], sealed[_NONCE:-_TAG], sealed[-_TAG:]
    decryptor = Cipher(algorithms.SM4(key), modes.GCM(nonce, tag)).decryptor()
    decryptor.authenticate_additional_data(associated)
    try:
        return decryptor.update(body) + decryptor.finalize()
    except InvalidTag:
        raise TamperedError(f"{what}未通过完整性校验（已被篡改或不属于该密钥），拒绝解密。") from None


def encrypt(text: str) -> str:
    keys = ring()
    prefix = f"{PREFIX}{keys.current_id}:"
    return prefix + base64.b64encode(_seal(keys.current, text.encode(), prefix.encode())).decode()


def _decrypt_legacy(token: str) -> str:
    legacy = ring().legacy
    if legacy is None:
        raise MissingKey("旧格式（sm4:）的加密值需要 legacy 密钥，密钥环中没有。")
    raw = base64.b64decode(token[len(LEGACY_PREFIX):])
    decryptor = Cipher(algorithms.SM4(legacy), modes.CBC(raw[:16])).decryptor()
    data = decryptor.update(raw[16:]) + decryptor.finalize()
    unpadder = padding.PKCS7(128).unpadder()
    return (unpadder.update(data) + unpadder.finalize()).decode()


def decrypt(token: str) -> str:
    """The plain text of a stored value; text that is not encrypted comes back as it is."""
    if token.startswith(PREFIX):
        identifier, _, body = token[len(PREFIX):].partition(":")
        prefix = f"{PREFIX}{identifier}:"
        try:
            sealed = base64.b64decode(body, validate=True)
        except ValueError:
            raise TamperedError("加密字段已被篡改（不是有效的编码），拒绝解密。") from None
        return _unseal(_key_for(identifier), sealed, prefix.encode(), "加密字段").decode()
    if token.startswith(LEGACY_PREFIX):
        return _decrypt_legacy(token)
    return token


def is_encrypted(value: str) -> bool:
    return value.startswith((PREFIX, LEGACY_PREFIX))


def is_current(value: str) -> bool:
    """Encrypted under the current key in the current format (rotation leaves it alone)."""
    return value.startswith(f"{PREFIX}{ring().current_id}:")


def blind_index(text: str) -> str:
    """A keyed SM3 digest: lets an encrypted value be looked up by equality without decrypting."""
    mac = hmac.HMAC(ring().index, hashes.SM3())
    mac.update(text.strip().upper().encode())
    return mac.finalize().hex()


class EncryptedCharField(models.TextField):
    """Stored SM4-GCM-encrypted; reads back as plain text."""

    def from_db_value(self, value, expression, connection):
        return decrypt(value) if value else value

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if not value or is_encrypted(value):
            return value
        return encrypt(value)


# -- files ----------------------------------------------------------------------------------------

def seal_file(content: bytes) -> bytes:
    keys = ring()
    header = FILE_MAGIC + keys.current_id.encode()
    return header + _seal(keys.current, content, header)


def file_key_id(raw: bytes) -> str | None:
    """The key id of an encrypted file's bytes (its header is enough); None for a file in clear."""
    if not raw.startswith(FILE_MAGIC) or len(raw) < len(FILE_MAGIC) + _KEY_ID_LENGTH:
        return None
    return raw[len(FILE_MAGIC):len(FILE_MAGIC) + _KEY_ID_LENGTH].decode("ascii", "replace")


def open_file(raw: bytes) -> bytes:
    """The plain content of stored bytes; a file stored in clear before encryption comes back as it is."""
    identifier = file_key_id(raw)
    if identifier is None:
        return raw
    split = len(FILE_MAGIC) + _KEY_ID_LENGTH
    return _unseal(_key_for(identifier), raw[split:], raw[:split], "文件")


class EncryptedStorage(FileSystemStorage):
    """The media storage: files are written SM4-GCM-encrypted and read back plain.

    Whole files in memory: every upload is checked first and limited in size
    (shenpi.cases.files.MAX_UPLOAD_BYTES), so a file is never larger than that.
    """

    def _save(self, name, content):
        if hasattr(content, "seek"):
            content.seek(0)
        data = b"".join(content.chunks()) if hasattr(content, "chunks") else content.read()
        return super()._save(name, ContentFile(seal_file(data)))

    def _open(self, name, mode="rb"):
        if "w" in mode or "a" in mode or "+" in mode:
            raise ValueError("encrypted storage opens files for reading only")
        with super()._open(name, "rb") as handle:
            raw = handle.read()
        content = open_file(raw)
        return ContentFile(content if "b" in mode else content.decode(), name=name)

    def size(self, name):
        with super()._open(name, "rb") as handle:
            head = handle.read(FILE_HEADER)
        stored = super().size(name)
        return stored - FILE_OVERHEAD if file_key_id(head) is not None else stored

    def raw(self, name) -> bytes:
        """The bytes as they are on disk (rotation, tests)."""
        with super()._open(name, "rb") as handle:
            return handle.read()

    def replace_raw(self, name, data: bytes) -> None:
        """Rewrite a file's stored bytes in one step (rotation)."""
        path = Path(self.path(name))
        temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
        temporary.write_bytes(data)
        os.replace(temporary, path)
