"""Anyone checks a certificate: the QR code's page, the upload form and `shenpi licence verify FILE`."""

import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from shenpi.licences import issue, verify
from shenpi.licences.models import Licence

from .conftest import pdf_bytes

pytestmark = pytest.mark.django_db


def test_the_qr_page_shows_the_certificate_and_its_sm2_check_without_sign_in(client, licence):
    with CaptureQueriesContext(connection) as queries:
        page = client.get(f"/licence/{licence.serial}/")
    assert page.status_code == 200
    text = page.content.decode()
    for shown in ("SM2签名验证通过", licence.serial, licence.identifier, "张三", "110105********002X",
                  "示范市住房和城乡建设局", "有效", "建筑工程施工许可证"):
        assert shown in text
    assert "11010519491231002X" not in text
    # One lookup and no write (no session, no log row).
    assert len(queries) == 1
    assert not any(q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE")) for q in queries)
    assert client.get(f"/licence/{licence.identifier}/").status_code == 200


def test_the_qr_code_points_at_the_page(licence):
    assert issue.verification_url(licence.serial) == f"https://zwfw.example.gov.cn/licence/{licence.serial}/"


def test_changed_data_fails_the_sm2_check_on_the_page(client, licence):
    data = json.loads(licence.signed_data)
    data["holder_name"] = "李四"
    Licence.objects.filter(pk=licence.pk).update(signed_data=issue.canonical_json(data))
    text = client.get(f"/licence/{licence.serial}/").content.decode()
    assert "SM2签名验证失败" in text and "SM2签名验证通过" not in text


def test_an_unknown_serial_is_a_404(client, db, key_dir):
    assert client.get("/licence/NOPE-2026-000001/").status_code == 404


def test_a_revoked_licence_shows_as_revoked_on_the_page_and_upload(client, office, licence):
    _, people, _ = office
    issue.revoke(licence, people["approver"], "以欺骗手段取得许可")
    text = client.get(f"/licence/{licence.serial}/").content.decode()
    assert "已吊销" in text and "以欺骗手段取得许可" in text
    answer = client.post("/licence/", {"pdf": SimpleUploadedFile("证照.pdf", pdf_bytes(licence))})
    text = answer.content.decode()
    assert "核验未通过" in text and "已吊销" in text


def test_upload_form_checks_both_signatures(client, licence):
    answer = client.post("/licence/", {"pdf": SimpleUploadedFile("证照.pdf", pdf_bytes(licence))})
    text = answer.content.decode()
    assert answer.status_code == 200
    assert "核验通过" in text and "PDF电子签章验证通过" in text and "SM2签名验证通过" in text


def test_upload_of_a_changed_pdf_fails(client, licence):
    pdf = bytearray(pdf_bytes(licence))
    pdf[len(pdf) // 4] ^= 0x01
    text = client.post("/licence/", {"pdf": SimpleUploadedFile("证照.pdf", bytes(pdf))}).content.decode()
    assert "核验未通过" in text and "PDF电子签章验证失败" in text


def _write(tmp_path, data: bytes):
    path = tmp_path / "licence.pdf"
    path.write_bytes(data)
    return str(path)


def test_command_verifies_a_genuine_certificate(tmp_path, licence):
    out = io.StringIO()
    call_command("licence", "verify", _write(tmp_path, pdf_bytes(licence)), stdout=out)
    text = out.getvalue()
    assert "PDF签章：验证通过" in text and "SM2签名：验证通过" in text and "状态：有效" in text
    assert "证照核验通过" in text


def test_command_fails_on_one_changed_byte(tmp_path, licence):
    pdf = bytearray(pdf_bytes(licence))
    pdf[len(pdf) // 4] ^= 0x01
    with pytest.raises(CommandError, match="核验未通过") as failure:
        call_command("licence", "verify", _write(tmp_path, bytes(pdf)), stdout=io.StringIO())
    assert failure.value.returncode == 1


def test_command_fails_when_the_data_was_changed_even_under_a_valid_pdf_signature(tmp_path, licence):
    """Changed data in a PDF whose PAdES signature is intact (as if the PDF key leaked): SM2 still fails."""
    import datetime as dt

    from shenpi.licences import keys

    payload = verify.embedded_payload(pdf_bytes(licence))
    data = json.loads(payload["signed_data"])
    data["valid_until"] = "2099-12-31"
    forged = dict(payload, signed_data=issue.canonical_json(data))
    sheet = issue.Sheet(title=licence.title, serial=licence.serial, identifier=licence.identifier,
                        holder_name=licence.holder_name, holder_id_masked=licence.holder_id_masked, fields=[],
                        department=licence.department.name, issued_on=dt.date(2026, 1, 1),
                        valid_from=dt.date(2026, 1, 1), valid_until=dt.date(2099, 12, 31), url="https://x/",
                        footer="", landscape=False, seal=b"")
    pdf = issue._attach_and_sign(issue.render_pdf(sheet), forged,
                                 keys.signer_for(licence.signing_key).pades_signer(), location="")
    outcome = verify.check_pdf(pdf)
    assert outcome.pades is True and outcome.sm2 is False and not outcome.ok
    with pytest.raises(CommandError, match="SM2签名验证失败"):
        call_command("licence", "verify", _write(tmp_path, pdf), stdout=io.StringIO())


def test_command_reports_a_cancelled_licence(tmp_path, office, licence):
    _, people, _ = office
    issue.cancel(licence, people["clerk"], "持证人申请注销")
    out = io.StringIO()
    with pytest.raises(CommandError, match="已注销"):
        call_command("licence", "verify", _write(tmp_path, pdf_bytes(licence)), stdout=out)
    assert "状态：已注销" in out.getvalue()


def test_command_on_the_console_exits_non_zero_with_one_line(tmp_path, licence, capsys):
    from shenpi.cli import main

    pdf = bytearray(pdf_bytes(licence))
    pdf[len(pdf) // 4] ^= 0x01
    with pytest.raises(SystemExit) as exit_:
        main(["licence", "verify", _write(tmp_path, bytes(pdf))])
    assert exit_.value.code == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "核验未通过" in err[0]


def test_a_changed_column_fails_the_check_even_with_the_signed_data_intact(client, licence):
    Licence.objects.filter(pk=licence.pk).update(holder_name="李四", valid_until="2099-12-31")
    text = client.get(f"/licence/{licence.serial}/").content.decode()
    assert "SM2签名验证失败" in text and "SM2签名验证通过" not in text
