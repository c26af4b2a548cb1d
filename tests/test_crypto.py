"""The field key ring: SM4-GCM values and files under a key of their own, tampering detected,
values of the former scheme still read, and rotation to a new key after which the old one goes."""

from __future__ import annotations

import base64
import hashlib
import os
import stat

import pytest
from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.db import connection

from shenpi import crypto
from shenpi.applicants.models import Applicant
from tests.applicants.helpers import person_id, register

LEGACY_MASTER = hashlib.sha256(b"shenpi-field-key:an old secret key").digest()
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + os.urandom(64)


@pytest.fixture
def key_file(settings, tmp_path):
    """A key ring of the test's own, with the former scheme's key (as an upgraded installation has)."""
    path = tmp_path / "field_key"
    crypto.create_key_file(path, legacy=LEGACY_MASTER)
    settings.FIELD_KEY_FILE = path
    settings.FIELD_KEY = ""
    settings.MEDIA_ROOT = tmp_path / "media"
    yield path
    crypto.forget()


def legacy_value(text: str, key: bytes) -> str:
    """A value as the former code wrote it: "sm4:" + base64(iv ‖ SM4-CBC(PKCS7(text)))."""
    iv = os.urandom(16)
    padder = padding.PKCS7(128).padder()
    data = padder.update(text.encode()) + padder.finalize()
    encryptor = Cipher(algorithms.SM4(key), modes.CBC(iv)).encryptor()
    return "sm4:" + base64.b64encode(iv + encryptor.update(data) + encryptor.finalize()).decode()


def raw_applicant(pk: int) -> tuple[str, str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number, mobile FROM applicants_applicant WHERE id = %s", [pk])
        return cursor.fetchone()


def test_the_key_file_is_the_owner_s_only_and_not_derived_from_the_secret_key(key_file, settings):
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    ring = crypto.ring()
    assert ring.legacy == LEGACY_MASTER[:16] and ring.current != ring.legacy
    assert settings.SECRET_KEY.encode() not in key_file.read_bytes()
    # An upgraded installation keeps its blind-index key, so existing lookups still find their rows.
    old_index_key = hashlib.sha256(b"blind-index:" + LEGACY_MASTER).digest()[:16]
    assert ring.index == old_index_key
    fresh = key_file.with_name("fresh")
    crypto.create_key_file(fresh, legacy=None)
    assert "legacy" not in fresh.read_text() and old_index_key.hex() not in fresh.read_text()


def test_values_are_authenticated_and_tampering_is_refused(key_file):
    value = crypto.encrypt("110105199003071239")
    assert value.startswith(f"sm4gcm:v1:{crypto.ring().current_id}:")
    assert crypto.decrypt(value) == "110105199003071239"
    assert crypto.encrypt("110105199003071239") != value  # a fresh nonce each time
    prefix, body = value.rsplit(":", 1)
    raw = bytearray(base64.b64decode(body))
    raw[14] ^= 1
    with pytest.raises(crypto.TamperedError, match="未通过完整性校验"):
        crypto.decrypt(f"{prefix}:{base64.b64encode(bytes(raw)).decode()}")
    with pytest.raises(crypto.TamperedError):
        crypto.decrypt(value[:-8] + "AAAAAAA=")
    with pytest.raises(crypto.MissingKey, match="不在密钥环中"):
        crypto.decrypt(value.replace(crypto.ring().current_id, "00000000"))


def test_values_of_the_former_scheme_are_still_read(key_file, db):
    applicant = register(id_number=person_id(), mobile="13912345678")
    old = legacy_value(person_id(), LEGACY_MASTER[:16])
    with connection.cursor() as cursor:
        cursor.execute("UPDATE applicants_applicant SET id_number = %s WHERE id = %s", [old, applicant.pk])
    assert Applicant.objects.get(pk=applicant.pk).id_number == person_id()


def test_files_are_stored_encrypted_and_read_back_plain(key_file):
    name = default_storage.save("materials/test.png", ContentFile(PNG))
    on_disk = (key_file.parent / "media" / name).read_bytes()
    assert not on_disk.startswith(b"\x89PNG") and PNG[16:48] not in on_disk
    assert on_disk.startswith(b"SPENC1" + crypto.ring().current_id.encode())
    with default_storage.open(name, "rb") as handle:
        assert handle.read() == PNG
    assert default_storage.size(name) == len(PNG)
    # A file stored in clear before encryption is still served as it is.
    (key_file.parent / "media" / "materials" / "old.png").write_bytes(PNG)
    with default_storage.open("materials/old.png", "rb") as handle:
        assert handle.read() == PNG
    tampered = bytearray(on_disk)
    tampered[40] ^= 1
    (key_file.parent / "media" / name).write_bytes(bytes(tampered))
    with pytest.raises(crypto.TamperedError, match="文件未通过完整性校验"):
        default_storage.open(name, "rb")


def test_rotation_re_encrypts_everything_and_the_old_keys_can_then_go(key_file, db, capsys):
    applicant = register(id_number=person_id(), mobile="13912345678")
    first = crypto.ring().current_id
    with connection.cursor() as cursor:
        cursor.execute("UPDATE applicants_applicant SET mobile = %s WHERE id = %s",
                       [legacy_value("13912345678", LEGACY_MASTER[:16]), applicant.pk])
    stored = default_storage.save("materials/id-card.png", ContentFile(PNG))
    (key_file.parent / "media" / "materials" / "clear.png").write_bytes(PNG)
    with pytest.raises(Exception, match="仍有"):
        call_command("keys", "retire")
    call_command("keys", "rotate", "--batch", "1")
    out = capsys.readouterr().out
    second = crypto.ring().current_id
    assert second != first and "全部数据已在当前密钥下" in out
    raw_id, raw_mobile = raw_applicant(applicant.pk)
    assert raw_id.startswith(f"sm4gcm:v1:{second}:") and raw_mobile.startswith(f"sm4gcm:v1:{second}:")
    for name in (stored, "materials/clear.png"):
        assert (key_file.parent / "media" / name).read_bytes().startswith(b"SPENC1" + second.encode())
    call_command("keys", "retire")
    assert "legacy" not in key_file.read_text() and key_file.read_text().count("\nkey ") == 1
    crypto.forget()
    ring = crypto.ring()
    assert ring.previous == () and ring.legacy is None
    again = Applicant.objects.get(pk=applicant.pk)
    assert (again.id_number, again.mobile) == (person_id(), "13912345678")
    assert Applicant.objects.filter(id_index=crypto.blind_index(person_id())).exists()
    with default_storage.open(stored, "rb") as handle:
        assert handle.read() == PNG
    call_command("keys", "status")
    assert f"{second} " in capsys.readouterr().out


def test_a_key_is_added_for_decryption_first_then_promoted(key_file, capsys):
    first = crypto.ring().current_id
    call_command("keys", "add")
    [added] = set(crypto.ring().by_id) - {first}
    assert f"新密钥 {added} 已加入" in capsys.readouterr().out
    assert crypto.ring().current_id == first and crypto.encrypt("x").startswith(f"sm4gcm:v1:{first}:")
    call_command("keys", "promote", added)
    assert crypto.ring().current_id == added and first in crypto.ring().by_id
    with pytest.raises(Exception, match="没有密钥 00000000"):
        call_command("keys", "promote", "00000000")
