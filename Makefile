# Shenpi: the two commands that matter are `make run` and `make test` (see README.md).
VENV   ?= .venv
PYTHON ?= python3
BIN     = $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000
# The sandboxes of outside systems (identity service, unified sign-in …) listen here: docs/sandboxes.md.
SANDBOX_PORT ?= 8100
# QR codes and SMS links point where the site is served unless SHENPI_PUBLIC_URL says otherwise.
export SHENPI_SERVE_ADDRESS ?= $(HOST):$(PORT)
# Debian packages: Chromium drives the browser tests; a TrueType CJK font renders PDF notices;
# poppler-utils (pdftotext, pdftoppm) lets the tests read the notices back.
SYSTEM_PACKAGES_TEST = chromium fonts-wqy-microhei poppler-utils
SYSTEM_PACKAGES_RUN  = fonts-wqy-microhei
# wrk drives the list-api benchmark with little CPU of its own (the Python client takes a share of the cores).
SYSTEM_PACKAGES_BENCH = wrk

.PHONY: topology-start topology-stop topology-status venv run test test-sqlite test-postgres lint bench system-run system-test system-bench migrate demo clean schema

venv: $(VENV)/.installed
$(VENV)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -c constraints.txt -e '.[test]'
	touch $@

system-run:
	@sh scripts/system-packages.sh $(SYSTEM_PACKAGES_RUN)
system-test:
	@sh scripts/system-packages.sh $(SYSTEM_PACKAGES_TEST)
system-bench:
	@sh scripts/system-packages.sh $(SYSTEM_PACKAGES_BENCH)

migrate: venv
	$(BIN)/shenpi migrate --noinput

demo: migrate
	$(BIN)/shenpi demo

# collectstatic (compressing the assets) runs on the second core while the demo loads.
run: venv system-run migrate
	@$(BIN)/shenpi collectstatic --noinput -v 0 & collect=$$!; $(BIN)/shenpi demo || exit 1; wait $$collect
	@echo ""
	@echo "Shenpi is served on http://$(HOST):$(PORT)/  (Ctrl-C stops it)"
	@$(BIN)/shenpi sandboxes serve --address 127.0.0.1:$(SANDBOX_PORT) & sandboxes=$$!; \
	trap 'kill $$sandboxes 2>/dev/null' EXIT INT TERM; \
	SHENPI_SANDBOX_URL=$${SHENPI_SANDBOX_URL:-http://127.0.0.1:$(SANDBOX_PORT)} $(BIN)/gunicorn shenpi.wsgi -b $(HOST):$(PORT) -w 2 --threads 4 --access-logfile - 

# ruff, then the import contracts of pyproject.toml (layers, no cycles; docs/architecture.md).
lint: venv
	$(BIN)/ruff check src tests bench
	PYTHONPATH=src $(BIN)/lint-imports --no-cache --no-logo

# The whole suite on the embedded SQLite, then the tests that depend on the current day once more
# at 16:30 UTC (already the next day in Asia/Shanghai, whatever hour `make test` runs at), then
# the whole suite on PostgreSQL when DATABASE_URL points at one, and after it, on its own, the
# production topology end to end (docs/topology.md: two app servers, two Celery workers and beat on
# the local RabbitMQ and Redis, a database of its own; it restarts none of them).
test: venv system-test lint
	$(BIN)/shenpi makemigrations --check --dry-run > /dev/null
	env -u DATABASE_URL $(BIN)/python -m pytest
	env -u DATABASE_URL $(BIN)/python -m pytest -q -m clocks --utc-clock=16:30
	@case "$$DATABASE_URL" in postgres*) $(BIN)/python -m pytest && \
	  SHENPI_TEST_TOPOLOGY=1 $(BIN)/python -m pytest -q tests/topology ;; \
	  *) echo "DATABASE_URL is not PostgreSQL: PostgreSQL and topology runs skipped" ;; esac

# The production topology on this machine (docs/topology.md), from the local PostgreSQL, Redis and RabbitMQ.
topology-start: venv
	$(BIN)/python scripts/topology.py start
topology-status:
	$(BIN)/python scripts/topology.py status
topology-stop:
	$(BIN)/python scripts/topology.py stop

bench: venv system-bench
	$(BIN)/python -m bench

schema: venv
	$(BIN)/shenpi spectacular --api-version v1 --file docs/openapi.yaml --validate

clean:
	rm -rf $(VENV) var/shenpi.sqlite3* var/static
