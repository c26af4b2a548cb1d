"""The bench database: created for a run, migrated by Django, dropped afterwards.

Django reads DATABASE_URL when its settings are imported, so the database must exist and the
environment must point at it before `django.setup()`; a process sets Django up once.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

DEFAULT_SERVER = "postgres://postgres@127.0.0.1:5432"


@dataclass(frozen=True)
class BenchDatabase:
    url: str
    name: str
    created: bool


def server_url() -> str:
    """Where bench databases are created: BENCH_PG_URL, else the server of DATABASE_URL, else local."""
    explicit = os.environ.get("BENCH_PG_URL")
    if explicit:
        return explicit.rstrip("/")
    current = os.environ.get("DATABASE_URL", "")
    if current.startswith(("postgres://", "postgresql://")):
        parts = urlsplit(current)
        return urlunsplit((parts.scheme, parts.netloc, "", "", "")).rstrip("/")
    return DEFAULT_SERVER


def _name_of(url: str) -> str:
    return urlsplit(url).path.lstrip("/")


def _client_args(server: str) -> list[str]:
    parts = urlsplit(server)
    args = ["-h", parts.hostname or "127.0.0.1", "-p", str(parts.port or 5432)]
    if parts.username:
        args += ["-U", parts.username]
    return args


def _client_env(server: str) -> dict[str, str]:
    env = dict(os.environ)
    password = urlsplit(server).password
    if password:
        env["PGPASSWORD"] = password
    return env


def require_bench_name(url: str) -> str:
    """Benchmarks truncate and drop what they use: refuse anything not named bench_*."""
    name = _name_of(url)
    if not name.startswith("bench_"):
        raise SystemExit(f"refusing to use database {name!r}: bench databases must be named bench_*")
    return name


@contextmanager
def bench_database(label: str, existing: str | None = None, keep: bool = False):
    """Yield a BenchDatabase; a database this run created is dropped afterwards unless kept."""
    if existing:
        yield BenchDatabase(existing, require_bench_name(existing), created=False)
        return
    server = server_url()
    name = f"bench_{label}_{os.getpid()}"
    subprocess.run(["createdb", *_client_args(server), name], check=True, env=_client_env(server))
    database = BenchDatabase(f"{server}/{name}", name, created=True)
    try:
        yield database
    finally:
        if keep:
            print(f"kept database {database.url}")
        else:
            drop_database(database)


def drop_database(database: BenchDatabase) -> None:
    from django.db import connections

    # Django's own connection would block the drop; close it first.
    connections.close_all()
    server = server_url()
    subprocess.run(["dropdb", *_client_args(server), "--if-exists", "--force", database.name],
                   check=False, env=_client_env(server))


@contextmanager
def var_dir():
    """A throw-away SHENPI_VAR_DIR: the generated secret key (and so the field key) lives there."""
    path = tempfile.mkdtemp(prefix="shenpi-bench-")
    # WhiteNoise warns once per process about a missing static root; the bench serves no static files.
    os.mkdir(os.path.join(path, "static"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def setup_django(database_url: str, var_path: str) -> None:
    """Point Django at the bench database and migrate it (the bench's own schema comes from Django)."""
    os.environ["DATABASE_URL"] = database_url
    os.environ["SHENPI_VAR_DIR"] = var_path
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shenpi.settings")
    os.environ.setdefault("SHENPI_LOG_LEVEL", "ERROR")
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


class OwnSchema:
    """A bench side's own tables in a schema of their own: made before the run, dropped after it."""

    schema: str
    schema_sql: tuple[str, ...]  # CREATE statements, after CREATE SCHEMA

    def create_table(self) -> None:
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute(f"CREATE SCHEMA IF NOT EXISTS {self.schema}")
            for statement in self.schema_sql:
                cursor.execute(statement)

    def drop_table(self) -> None:
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute(f"DROP SCHEMA IF EXISTS {self.schema} CASCADE")
