"""var/ (the embedded database, the key) and the stored materials are readable by the service's user only."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"
# A fresh process with the usual umask 022: it opens the embedded database, writes, stores a material.
CODE = """
import json, os
os.umask(0o022)
import django
django.setup()
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection
with connection.cursor() as cursor:
    cursor.execute("CREATE TABLE IF NOT EXISTS probe (x integer)")
    cursor.execute("INSERT INTO probe VALUES (1)")
# The write-ahead log exists while the connection is open (SQLite removes it at the last close).
wal = oct(os.stat(connection.settings_dict["NAME"] + "-wal").st_mode & 0o777)
print(json.dumps([default_storage.save("materials/2026/12/probe.pdf", ContentFile(b"%PDF-1.7")), wal]))
"""


def _run(var: Path, **env) -> str:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("SHENPI_") and k != "DATABASE_URL"}
    environ.update(PYTHONPATH=str(SRC), DJANGO_SETTINGS_MODULE="shenpi.settings", SHENPI_VAR_DIR=str(var), **env)
    return subprocess.run([sys.executable, "-c", CODE], env=environ, capture_output=True, text=True, check=True,
                          timeout=120, cwd=var.parent).stdout


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_var_the_database_and_stored_files_are_private(tmp_path):
    var = tmp_path / "var"
    stored, wal = json.loads(_run(var))
    assert _mode(var) == 0o700
    assert _mode(var / "shenpi.sqlite3") == 0o600
    assert wal == "0o600"  # SQLite gives its log the database file's mode
    assert _mode(var / "secret_key") == 0o600
    material = var / "media" / stored
    assert _mode(material) == 0o600
    assert _mode(material.parent) == 0o700 and _mode(var / "media" / "materials") == 0o700


def test_an_existing_world_readable_database_is_made_private(tmp_path):
    var = tmp_path / "var"
    var.mkdir(mode=0o755)
    var.chmod(0o755)
    (var / "shenpi.sqlite3").touch()
    (var / "shenpi.sqlite3").chmod(0o644)
    _run(var)
    assert _mode(var) == 0o700 and _mode(var / "shenpi.sqlite3") == 0o600


def test_a_media_root_elsewhere_is_private_too(tmp_path):
    media = tmp_path / "shared" / "media"
    stored, _ = json.loads(_run(tmp_path / "var", SHENPI_MEDIA_ROOT=str(media)))
    assert _mode(media / stored) == 0o600 and _mode((media / stored).parent) == 0o700
