"""`shenpi licence keys`: generate for the demo, refuse to overwrite, import for production."""

import io

import pytest
from django.core.management import CommandError, call_command

from shenpi.licences import keys
from shenpi.licences.models import SigningKey
from tests import factories as f

pytestmark = pytest.mark.django_db


def test_generate_refuse_then_force(key_dir):
    dept = f.department(name="示范市交通运输局")
    out = io.StringIO()
    call_command("licence", "keys", dept.code, stdout=out)
    assert "已生成" in out.getvalue() and (key_dir / dept.code / keys.SM2_KEY).exists()
    with pytest.raises(CommandError, match="--force"):
        call_command("licence", "keys", dept.code, stdout=io.StringIO())
    first = SigningKey.objects.get(department=dept)
    call_command("licence", "keys", dept.code, "--force", stdout=io.StringIO())
    assert SigningKey.objects.get(department=dept, active=True) != first


def test_all_skips_departments_with_keys(key_dir):
    one, two = f.department(name="甲局"), f.department(name="乙局")
    call_command("licence", "keys", one.code, stdout=io.StringIO())
    out = io.StringIO()
    call_command("licence", "keys", "--all", stdout=out)
    assert "跳过" in out.getvalue() and SigningKey.objects.filter(department=two, active=True).exists()


def test_import_from_files_and_sign_with_them(key_dir, tmp_path):
    source = f.department(name="来源局")
    keys.generate(source)
    folder = key_dir / source.code
    target = f.department(name="导入局")
    call_command("licence", "keys", "--import", target.code, "--sm2-key", str(folder / keys.SM2_KEY),
                 "--pades-key", str(folder / keys.PADES_KEY), "--pades-cert", str(folder / keys.PADES_CERT),
                 "--ca-cert", str(folder / keys.CA_CERT), stdout=io.StringIO())
    imported = SigningKey.objects.get(department=target)
    signer = keys.signer_for(imported)
    assert keys.sm2_verify(imported.sm2_public_key, signer.sm2_sign(b"data"), b"data")
    # A certificate that does not match the key is refused.
    other = f.department(name="别局")
    keys.generate(other)
    with pytest.raises(CommandError, match="不匹配"):
        call_command("licence", "keys", "--import", f.department(name="错局").code,
                     "--sm2-key", str(folder / keys.SM2_KEY), "--pades-key", str(folder / keys.PADES_KEY),
                     "--pades-cert", str(key_dir / other.code / keys.PADES_CERT), stdout=io.StringIO())


def test_hsm_reference_refuses_clearly(key_dir):
    dept = f.department(name="加密机局")
    key = keys.generate(dept)
    key.key_reference = "hsm:0/shenpi-sign"
    with pytest.raises(keys.KeyUnavailable, match="SHENPI_LICENCE_HSM_MODULE"):
        keys.signer_for(key)
