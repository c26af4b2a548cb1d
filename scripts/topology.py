"""The production topology on one machine, from the services already running (docs/topology.md).

    python scripts/topology.py start  [--run-dir var/topology] [--fresh] [--cases 20] …
    python scripts/topology.py status [--run-dir …]
    python scripts/topology.py stop   [--run-dir …]
    python scripts/topology.py exec   [--run-dir …] -- COMMAND …   (a command with the topology's environment)

`start` creates the database (PostgreSQL, e.g. shenpi_topology) and the broker's virtual host when
missing, migrates and seeds it once (the demo city at a small scale, an API token for the load), then
starts what is not already running: two gunicorn app servers on two ports, two Celery workers, exactly
one Celery beat and the sandbox server of outside systems, and waits until each is ready. Redis is the
shared cache of the app servers. Pid files, logs and the shared var folder (keys) are under the run
directory; `topology.json` there records the configuration for `status`, `stop`, the tests and
scripts/faults.py; the options (ports, addresses) are read on the first start or with --fresh, later
commands use the recorded ones. Exit status: 0, 1 when something did not start or is not running (one
line on stderr).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
READY_SECONDS = 90.0

# What every process of the topology reads besides its addresses: short leases and timeouts so that a
# worker killed mid-delivery is replaced within seconds (still SHENPI_EXCHANGE_LEASE > TIMEOUT).
TUNING = {"SHENPI_EXCHANGE_TIMEOUT": "5", "SHENPI_EXCHANGE_LEASE": "15", "SHENPI_EXCHANGE_RETRY_MAX": "10",
          "SHENPI_EXCHANGE_RETRY_FIRST": "1", "SHENPI_LOG_LEVEL": "INFO"}

SEED = """
import json, sys
from shenpi.accounts.models import User
from shenpi.api import tokens
from shenpi.catalog.models import Item
clerk = User.objects.get(username="clerk")
token, key = tokens.create(clerk, name="拓扑负载", act=True, days=30)
items = []
for item in Item.objects.filter(department_id=clerk.department_id).order_by("code"):
    version = item.current_version()
    if version is None:
        continue
    items.append({"code": item.code, "materials": [m.pk for m in version.materials.all()]})
print(json.dumps({"token": key, "items": items[:5]}))
"""


class Failed(Exception):
    pass


# -- configuration ----------------------------------------------------------------------------------

def config_of(args) -> dict:
    run = Path(args.run_dir).resolve()
    saved = run / "topology.json"
    if saved.exists() and not getattr(args, "fresh", False):
        return json.loads(saved.read_text())
    database = args.database_url or _database_url()
    name = urlsplit(database).path.lstrip("/")
    return {
        "run_dir": str(run),
        "database_url": database,
        "cache_url": args.cache_url,
        "broker_url": args.broker_url or f"amqp://guest:guest@127.0.0.1:5672/{name}",
        "web_ports": [int(p) for p in args.web_ports.split(",")],
        "sandbox_port": args.sandbox_port,
        "supervise_interval": args.supervise_interval,
        "cases": args.cases,
    }


def _database_url() -> str:
    """DATABASE_URL's server with a database of its own (<name>_topology), else shenpi_topology."""
    base = os.environ.get("DATABASE_URL", "")
    if not base.startswith("postgres"):
        return "postgres://postgres@127.0.0.1:5432/shenpi_topology"
    parts = urlsplit(base)
    return urlunsplit(parts._replace(path=f"/{parts.path.lstrip('/') or 'shenpi'}_topology"))


def environment(config: dict) -> dict[str, str]:
    run = Path(config["run_dir"])
    env = {key: value for key, value in os.environ.items() if not key.startswith(("SHENPI_", "DJANGO_"))}
    env.update({key: os.environ.get(key, value) for key, value in TUNING.items()})
    env.update({
        "DJANGO_SETTINGS_MODULE": "shenpi.settings",
        "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), *filter(None, [os.environ.get("PYTHONPATH")])]),
        "DATABASE_URL": config["database_url"],
        "SHENPI_VAR_DIR": str(run / "var"),  # one secret key and field key ring for every process
        "SHENPI_CACHE_URL": config["cache_url"],
        "SHENPI_BROKER_URL": config["broker_url"],
        "SHENPI_SANDBOX_URL": f"http://127.0.0.1:{config['sandbox_port']}",
        "SHENPI_SUPERVISE_INTERVAL": str(config["supervise_interval"]),
        "SHENPI_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SHENPI_SERVE_ADDRESS": f"127.0.0.1:{config['web_ports'][0]}",
    })
    return env


def components(config: dict) -> dict[str, list[str]]:
    run = Path(config["run_dir"])
    celery = [PYTHON, "-m", "celery", "-A", "shenpi"]
    found = {}
    for number, port in enumerate(config["web_ports"], 1):
        found[f"web{number}"] = [PYTHON, "-m", "gunicorn", "shenpi.wsgi", "-b", f"127.0.0.1:{port}", "-w", "2",
                                 "--threads", "4", "--graceful-timeout", "5", "--timeout", "60"]
    for number in (1, 2):
        # Threads, not forked children: SIGKILL to the worker ends all of its work at once (a fault run).
        found[f"worker{number}"] = [*celery, "worker", "-n", f"worker{number}@%h", "--pool", "threads",
                                    "--concurrency", "4", "-l", "INFO"]
    found["beat"] = [*celery, "beat", "-l", "INFO", "-s", str(run / "beat-schedule")]
    found["sandboxes"] = [PYTHON, "-m", "shenpi.cli", "sandboxes", "serve", "--address",
                          f"127.0.0.1:{config['sandbox_port']}"]
    return found


# -- processes --------------------------------------------------------------------------------------

def pid_file(config: dict, name: str) -> Path:
    return Path(config["run_dir"]) / "pids" / f"{name}.pid"


def log_file(config: dict, name: str) -> Path:
    return Path(config["run_dir"]) / "logs" / f"{name}.log"


def pid_of(config: dict, name: str) -> int | None:
    """The component's pid when it is running."""
    try:
        pid = int(pid_file(config, name).read_text())
        os.kill(pid, 0)
    except (FileNotFoundError, ValueError, ProcessLookupError):
        return None
    state = Path(f"/proc/{pid}/stat")
    if state.exists() and state.read_text().split(")")[-1].split()[0] == "Z":
        return None  # killed, not yet reaped by whoever started it
    return pid


def launch(config: dict, name: str, command: list[str]) -> int:
    log = log_file(config, name)
    log.parent.mkdir(parents=True, exist_ok=True)
    pid_file(config, name).parent.mkdir(parents=True, exist_ok=True)
    with open(log, "ab") as output:
        process = subprocess.Popen(command, cwd=config["run_dir"], env=environment(config), stdout=output,
                                   stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
    pid_file(config, name).write_text(str(process.pid))
    return process.pid


def ready(config: dict, name: str) -> bool:
    if name.startswith("web"):
        port = config["web_ports"][int(name[3:]) - 1]
        return _answers(f"http://127.0.0.1:{port}/login/")
    if name == "sandboxes":
        return _answers(f"http://127.0.0.1:{config['sandbox_port']}/")
    text = log_file(config, name).read_text(errors="replace") if log_file(config, name).exists() else ""
    started = text.rfind("-------------- " if name.startswith("worker") else "beat: Starting")
    return started >= 0 and (name == "beat" or " ready." in text[started:])


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as answer:  # noqa: S310 - http://127.0.0.1 only
            return answer.status < 500
    except urllib.error.HTTPError as error:
        return error.code < 500
    except OSError:
        return False


def run(config: dict, *command: str) -> str:
    done = subprocess.run(command, cwd=config["run_dir"], env=environment(config), capture_output=True, text=True)
    if done.returncode:
        what = " ".join(part for part in command[1:5] if "\n" not in part)
        raise Failed(f"{what} …: {(done.stderr or done.stdout).strip().splitlines()[-1:]}")
    return done.stdout


# -- the services already running -------------------------------------------------------------------

def create_database(url: str, fresh: bool) -> None:
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    server = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(server, autocommit=True) as connection:
        if fresh:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            connection.execute(f'CREATE DATABASE "{name}"')


def create_vhost(url: str) -> None:
    """The broker's virtual host of its own, so no other consumer of the broker takes its tasks."""
    parts = urlsplit(url)
    vhost = parts.path[1:] or "/"
    if parts.scheme != "amqp" or vhost == "/" or not shutil.which("rabbitmqctl"):
        return
    subprocess.run(["rabbitmqctl", "-q", "add_vhost", vhost], capture_output=True)
    subprocess.run(["rabbitmqctl", "-q", "set_permissions", "-p", vhost, parts.username or "guest", ".*", ".*",
                    ".*"], capture_output=True, check=True)


def seed(config: dict) -> dict:
    run(config, PYTHON, "-m", "shenpi.cli", "migrate", "--noinput", "-v", "0")
    password = secrets.token_urlsafe(12) + "Aa1!"
    run(config, PYTHON, "-m", "shenpi.cli", "demo", "--cases", str(config["cases"]), "--password", password)
    seeded = json.loads(run(config, PYTHON, "-c", "import django; django.setup()\n" + SEED).strip().splitlines()[-1])
    return {"password": password, **seeded}


# -- subcommands ------------------------------------------------------------------------------------

def start(config: dict, fresh: bool) -> None:
    run_dir = Path(config["run_dir"])
    if fresh:
        stop(config, quiet=True)
        shutil.rmtree(run_dir, ignore_errors=True)
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / "topology.json").write_text(json.dumps(config, indent=2))
    seed_file = run_dir / "seed.json"
    if not seed_file.exists():
        create_database(config["database_url"], fresh)
        create_vhost(config["broker_url"])
        seed_file.write_text(json.dumps(seed(config), ensure_ascii=False, indent=2))
        seed_file.chmod(0o600)
    else:
        run(config, PYTHON, "-m", "shenpi.cli", "migrate", "--noinput", "-v", "0")
    started = [name for name, command in components(config).items()
               if pid_of(config, name) is None and launch(config, name, command)]
    deadline = time.monotonic() + READY_SECONDS
    waiting = set(started)
    while waiting and time.monotonic() < deadline:
        for name in sorted(waiting):
            if pid_of(config, name) is None:
                raise Failed(f"{name} 启动失败，见 {log_file(config, name)}")
            if ready(config, name):
                waiting.discard(name)
        time.sleep(0.3)
    if waiting:
        raise Failed(f"{', '.join(sorted(waiting))} 未在 {READY_SECONDS:.0f} 秒内就绪，见 {run_dir / 'logs'}")
    print(f"拓扑已启动：{', '.join(f'http://127.0.0.1:{p}/' for p in config['web_ports'])}（运行目录 {run_dir}）")


def status(config: dict) -> bool:
    everything = True
    for name in components(config):
        pid = pid_of(config, name)
        everything = everything and pid is not None
        print(f"{name:10} {'running' if pid else 'stopped':8} {pid or '-'}")
    return everything


def stop(config: dict, quiet: bool = False) -> None:
    pids = {name: pid_of(config, name) for name in components(config)}
    for pid in filter(None, pids.values()):
        _signal(pid, signal.SIGTERM)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and any(_alive(pid) for pid in filter(None, pids.values())):
        time.sleep(0.2)
    for pid in filter(None, pids.values()):
        if _alive(pid):
            _signal(pid, signal.SIGKILL)
    for name in pids:
        pid_file(config, name).unlink(missing_ok=True)
    if not quiet:
        print("拓扑已停止。")


def _signal(pid: int, number: int) -> None:
    """The component's whole process group: gunicorn's and Celery's children go with it."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, number)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    state = Path(f"/proc/{pid}/stat")
    return not (state.exists() and state.read_text().split(")")[-1].split()[0] == "Z")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="本机启动生产拓扑：两个应用服务器、两个 Celery worker、"
                                                 "一个 beat、沙箱。")
    parser.add_argument("action", choices=["start", "status", "stop", "exec"])
    parser.add_argument("--run-dir", default=str(ROOT / "var" / "topology"))
    parser.add_argument("--fresh", action="store_true", help="start: drop the database and run directory first")
    parser.add_argument("--database-url", default="", help="default: DATABASE_URL's server, database <name>_topology")
    parser.add_argument("--cache-url", default="redis://127.0.0.1:6379/10")
    parser.add_argument("--broker-url", default="", help="default: RabbitMQ on 5672, a vhost named as the database")
    parser.add_argument("--web-ports", default="8201,8202")
    parser.add_argument("--sandbox-port", type=int, default=8210)
    parser.add_argument("--supervise-interval", type=int, default=60)
    parser.add_argument("--cases", type=int, default=20, help="the demo's cases (a small year)")
    argv = sys.argv[1:] if argv is None else argv
    command = argv[argv.index("--") + 1:] if "--" in argv else []
    args = parser.parse_args(argv[:len(argv) - len(command) - (1 if command else 0)])
    try:
        config = config_of(args)
        if args.action == "start":
            start(config, args.fresh)
        elif args.action == "status":
            return 0 if status(config) else 1
        elif args.action == "stop":
            stop(config)
        else:
            return subprocess.run(command, cwd=config["run_dir"], env=environment(config)).returncode
    except (Failed, OSError) as error:
        print(f"topology: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
