"""`manage.py check --deploy` with the environment of a production server reports nothing."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
PRODUCTION = {
    "SHENPI_HTTPS": "1",
    "SHENPI_DEBUG": "0",
    "SHENPI_SECRET_KEY": "k3y-" + "x7Qp2Lw9Zr4Tn8Vb6Hm1Jc5Fd0Gs3Ka7Ue2Yi9Po4Rt6Ew8Sz1Xc5Nv3Bm7Lk0Dj2Fh4Gq",
    "SHENPI_FIELD_KEY": "00112233445566778899aabbccddeeff",
    "SHENPI_ALLOWED_HOSTS": "zwfw.example.gov.cn",
    "SHENPI_PROXY_SSL_HEADER": "X-Forwarded-Proto",
}


def _clean_environ() -> dict[str, str]:
    # Browser tests set DJANGO_ALLOW_ASYNC_UNSAFE in this process; a production server has none of these.
    return {k: v for k, v in os.environ.items()
            if not k.startswith("SHENPI_") and k not in ("DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE")}


def _check(tmp_path, **env) -> subprocess.CompletedProcess:
    environ = _clean_environ()
    environ.update(PYTHONPATH=str(SRC), SHENPI_VAR_DIR=str(tmp_path / "var"), **env)
    return subprocess.run([sys.executable, "-m", "shenpi.cli", "check", "--deploy", "--fail-level", "WARNING"],
                          env=environ, capture_output=True, text=True, timeout=120, cwd=tmp_path)


@pytest.mark.parametrize("proxy", ["X-Forwarded-Proto", ""])
def test_a_production_environment_passes_the_deploy_check(tmp_path, proxy):
    result = _check(tmp_path, **{**PRODUCTION, "SHENPI_PROXY_SSL_HEADER": proxy})
    assert result.returncode == 0, result.stderr + result.stdout
    assert "System check identified no issues" in result.stdout


def test_without_https_the_check_names_what_is_missing(tmp_path):
    result = _check(tmp_path, **{**PRODUCTION, "SHENPI_HTTPS": "0"})
    assert result.returncode != 0
    for warning in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert warning in result.stderr


def test_https_settings(tmp_path):
    """What SHENPI_HTTPS turns on, read in a fresh process."""
    import json

    code = ("import json; from django.conf import settings as s; import django; django.setup(); print(json.dumps("
            "[s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_INCLUDE_SUBDOMAINS, s.SECURE_HSTS_PRELOAD,"
            " s.SECURE_PROXY_SSL_HEADER, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE]))")
    environ = _clean_environ()
    environ.update(PYTHONPATH=str(SRC), DJANGO_SETTINGS_MODULE="shenpi.settings", SHENPI_VAR_DIR=str(tmp_path),
                   **PRODUCTION)
    out = subprocess.run([sys.executable, "-c", code], env=environ, capture_output=True, text=True, check=True,
                         timeout=60).stdout
    assert json.loads(out) == [True, 31536000, True, False, ["HTTP_X_FORWARDED_PROTO", "https"], True, True]
