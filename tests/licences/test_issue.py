"""制证: the certificate PDF and its two signatures, and what the library keeps."""

import io
import json

import pytest
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext
from pypdf import PdfReader

from shenpi import crypto
from shenpi.errors import TransitionRefused
from shenpi.licences import issue, keys, verify
from shenpi.licences.models import Licence, SigningKey
from tests.factories import PERSON_ID

from .conftest import granted, pdf_bytes

pytestmark = pytest.mark.django_db


def _ca_roots(licence):
    from asn1crypto import x509 as asn1_x509
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    pem = licence.signing_key.ca_certificate.encode()
    return [asn1_x509.Certificate.load(x509.load_pem_x509_certificate(pem).public_bytes(serialization.Encoding.DER))]


def _pyhanko_status(pdf: bytes, roots):
    reader = PdfFileReader(io.BytesIO(pdf))
    return validate_pdf_signature(reader.embedded_signatures[0], ValidationContext(trust_roots=roots))


def test_issued_pdf_is_signed_and_verifies_against_the_centre_ca(licence):
    pdf = pdf_bytes(licence)
    status = _pyhanko_status(pdf, _ca_roots(licence))
    assert status.intact and status.valid and status.trusted and status.bottom_line
    assert licence.pdf_digest == crypto.sm3_hex(pdf)
    text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert licence.serial in text and "建筑工程施工许可证" in text and "示范小区1号楼" in text


def test_one_changed_byte_breaks_the_pdf_signature(licence):
    pdf = bytearray(pdf_bytes(licence))
    # A byte inside the signed page content (not the signature's own hex string).
    position = len(pdf) // 4
    pdf[position] = (pdf[position] + 1) % 256
    status = _pyhanko_status(bytes(pdf), _ca_roots(licence))
    assert not status.bottom_line
    outcome = verify.check_pdf(bytes(pdf))
    assert not outcome.ok and outcome.pades is False


def test_sm2_signature_covers_the_data_and_fails_after_it_changes(licence):
    assert verify.check_licence(licence).sm2
    data = json.loads(licence.signed_data)
    assert data["serial"] == licence.serial and data["holder_name"] == "张三"
    # The signed text names the holder by blind index, never by ID number.
    assert PERSON_ID not in licence.signed_data
    licence.signed_data = licence.signed_data.replace("张三", "李四")
    assert not verify.check_licence(licence).sm2


def test_holder_id_is_encrypted_indexed_and_masked(licence):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT holder_id FROM licences_licence WHERE id = %s", [licence.pk])
        (stored,) = cursor.fetchone()
    assert PERSON_ID not in stored and crypto.is_encrypted(stored)
    assert Licence.objects.get(pk=licence.pk).holder_id == PERSON_ID
    assert licence.holder_id_index == crypto.blind_index(PERSON_ID)
    assert licence.holder_id_masked == "110105********002X"


def test_a_case_is_issued_once_and_only_when_granted(office, licence):
    dept, people, it = office
    with pytest.raises(TransitionRefused):
        issue.issue(licence.case, people["approver"])
    from tests import factories as f

    received = f.receive(people["clerk"], it)
    with pytest.raises(TransitionRefused):
        issue.issue(received, people["approver"])


def test_serials_count_per_department_and_year(office):
    dept, people, it = office
    first = issue.issue(granted(people, it, "一号楼"), people["approver"])
    second = issue.issue(granted(people, it, "二号楼"), people["approver"])
    assert first.serial.endswith("000001") and second.serial.endswith("000002")
    assert first.serial.startswith(f"{dept.code}-")


def test_keys_live_in_the_key_folder_with_private_modes(office, key_dir):
    dept, _, _ = office
    folder = key_dir / dept.code
    for name in (keys.SM2_KEY, keys.PADES_KEY):
        assert (folder / name).stat().st_mode & 0o777 == 0o600
    key = SigningKey.objects.get(department=dept)
    assert "PRIVATE" not in key.sm2_public_key + key.certificate + key.ca_certificate
    assert key.key_reference == f"file:{dept.code}"


def test_keys_are_not_overwritten_without_force(office):
    dept, _, _ = office
    with pytest.raises(keys.KeyUnavailable):
        keys.generate(dept)
    replaced = keys.generate(dept, force=True)
    assert SigningKey.objects.get(department=dept, active=True) == replaced


def test_a_key_folder_inside_the_repository_is_refused(office, settings):
    dept, _, _ = office
    settings.LICENCE_KEY_DIR = keys.repository_root() / "src" / "keys"
    with pytest.raises(keys.KeyUnavailable, match="仓库"):
        keys.generate(dept, force=True)
    assert not (keys.repository_root() / "src" / "keys").exists()


def test_no_key_file_is_tracked_by_git():
    import subprocess

    root = keys.repository_root()
    tracked = subprocess.run(["git", "ls-files"], cwd=root, capture_output=True, text=True, check=True).stdout
    assert not [name for name in tracked.splitlines() if name.endswith((".pem", ".key"))]
    ignored = subprocess.run(["git", "check-ignore", "-q", "var/keys/D001/sm2.key.pem"], cwd=root)
    assert ignored.returncode == 0
