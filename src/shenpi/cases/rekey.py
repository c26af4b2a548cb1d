"""Re-encrypting personal data and stored files under the current field key (`shenpi keys`).

Every model field that is an EncryptedCharField, in every app, and every file of the media storage
are read in batches; what is not under the current key in the current format (an older key, the
former SM4-CBC "sm4:" values, files kept in clear) is decrypted and encrypted again. A row is
written only if its value is still the one read (another process may have changed it meanwhile),
each batch in its own transaction, so the work can stop at any point and a second run continues:
what is already under the current key is only read. Once a scan finds nothing left under another
key, the previous keys can be dropped from the key ring (`shenpi keys retire`).

The blind-index key is not rotated: it only lets values be found by equality (an HMAC), it never
decrypts anything, and replacing it would mean recomputing every index while lookups go on.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.core.files.storage import default_storage
from django.db import connection, transaction

from shenpi import crypto

BATCH = 500


@dataclass
class Tally:
    """What a pass found (by key id, "legacy" for SM4-CBC, "plain" for clear text) and rewrote."""

    values: Counter = field(default_factory=Counter)
    files: Counter = field(default_factory=Counter)
    rewritten_values: int = 0
    rewritten_files: int = 0

    def outdated(self) -> int:
        """Values and files not under the current key."""
        current = crypto.ring().current_id
        return sum(n for k, n in (self.values + self.files).items() if k != current)


def _kind(value: str) -> str:
    if value.startswith(crypto.PREFIX):
        return value[len(crypto.PREFIX):].partition(":")[0]
    return "legacy" if value.startswith(crypto.LEGACY_PREFIX) else "plain"


def encrypted_columns() -> Iterator[tuple[type, list]]:
    for model in apps.get_models():
        fields = [f for f in model._meta.concrete_fields if isinstance(f, crypto.EncryptedCharField)]
        if fields and not model._meta.proxy and model._meta.managed:
            yield model, fields


def _values(model, fields, tally: Tally, rewrite: bool, batch: int) -> None:
    qn = connection.ops.quote_name
    table, pk = qn(model._meta.db_table), qn(model._meta.pk.column)
    columns = [qn(f.column) for f in fields]
    last = None
    while True:
        where = f"WHERE {pk} > %s " if last is not None else ""
        sql = f"SELECT {pk}, {', '.join(columns)} FROM {table} {where}ORDER BY {pk} LIMIT %s"  # noqa: S608
        with connection.cursor() as cursor:
            cursor.execute(sql, ([last] if last is not None else []) + [batch])
            rows = cursor.fetchall()
        if not rows:
            return
        current = crypto.ring().current_id
        with transaction.atomic():
            for row in rows:
                for column, value in zip(columns, row[1:], strict=True):
                    if not value:
                        continue
                    kind = _kind(value)
                    tally.values[kind] += 1
                    if kind == current or not rewrite:
                        continue
                    fresh = crypto.encrypt(crypto.decrypt(value))
                    with connection.cursor() as cursor:
                        cursor.execute(f"UPDATE {table} SET {column} = %s WHERE {pk} = %s AND {column} = %s",  # noqa: S608
                                       [fresh, row[0], value])
                        tally.rewritten_values += cursor.rowcount
        last = rows[-1][0]


def _media_files() -> Iterator[str]:
    root = Path(default_storage.location)
    if not root.exists():
        return
    for folder, _, names in os.walk(root):
        for name in sorted(names):
            if not name.startswith("."):  # a temporary file of an interrupted rewrite
                yield str((Path(folder) / name).relative_to(root))


def _files(tally: Tally, rewrite: bool) -> None:
    storage = default_storage
    if not isinstance(storage, crypto.EncryptedStorage):
        return
    current = crypto.ring().current_id
    for name in _media_files():
        raw = storage.raw(name)
        kind = crypto.file_key_id(raw) or "plain"
        tally.files[kind] += 1
        if kind != current and rewrite:
            storage.replace_raw(name, crypto.seal_file(crypto.open_file(raw)))
            tally.rewritten_files += 1


def scan(*, rewrite: bool, batch: int = BATCH) -> Tally:
    """Count every encrypted value and stored file by key; with rewrite, re-encrypt the outdated."""
    tally = Tally()
    for model, fields in encrypted_columns():
        _values(model, fields, tally, rewrite, batch)
    _files(tally, rewrite)
    return tally


# -- the key file ---------------------------------------------------------------------------------

def _key_file() -> dict:
    return crypto.parse_key_file(Path(settings.FIELD_KEY_FILE).read_text(), str(settings.FIELD_KEY_FILE))


def _env_key_set() -> None:
    if settings.FIELD_KEY:
        raise crypto.KeyError_("SHENPI_FIELD_KEY 已设置：请将其改为新密钥、把旧密钥作为 key 行写入密钥文件，"
                               "再运行 shenpi keys rotate --resume。")


def _write(found: dict, keys: list[bytes]) -> None:
    crypto.write_key_file(Path(settings.FIELD_KEY_FILE), crypto.format_key_file(found["index"], keys, found["legacy"]))
    crypto.forget()


def add_key(*, current: bool = True) -> str:
    """A new key: current (at the head of the key file, the former current key becomes a previous
    one), or decryption-only at the end, for servers with copies of the file to learn it first."""
    _env_key_set()
    found = _key_file()
    key = os.urandom(16)
    _write(found, [key, *found["keys"]] if current else [*found["keys"], key])
    return crypto.key_id(key)


def promote(identifier: str) -> None:
    """Make a key already in the file the current one."""
    _env_key_set()
    found = _key_file()
    chosen = [k for k in found["keys"] if crypto.key_id(k) == identifier]
    if not chosen:
        raise crypto.KeyError_(f"密钥文件中没有密钥 {identifier}。")
    _write(found, [chosen[0], *(k for k in found["keys"] if k != chosen[0])])


def retire() -> list[str]:
    """Drop the previous keys and the legacy key from the key file; the ids dropped."""
    found = _key_file()
    keys = crypto.ring(reload=True)
    kept = [] if settings.FIELD_KEY else [keys.current]
    dropped = [crypto.key_id(k) for k in found["keys"] if k != keys.current]
    if found["legacy"] is not None:
        dropped.append("legacy")
    crypto.write_key_file(Path(settings.FIELD_KEY_FILE), crypto.format_key_file(found["index"], kept, None))
    crypto.forget()
    return dropped
