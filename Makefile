# Governor's front door. `make demo` and `make test` are all a newcomer needs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Plain log lines for the person watching the demo (LOG_FORMAT=json to get JSON).
PLAIN_LOGS := LOG_FORMAT=$${LOG_FORMAT:-plain}
DEMO_ENV := CELERY_BROKER_URL=filesystem:// DEBUG=1 $(PLAIN_LOGS)
# The production shape on one machine. Point DATABASE_URL, CELERY_BROKER_URL
# and CACHE_URL at PostgreSQL and Redis; without them it falls back to SQLite
# and the filesystem broker under var/ so the command always starts.
# honcho gives each process PORT, from 5000 unless told: the web server takes 8000.
SERVE_ENV := DEBUG=0 GOVERNOR_MANIFEST_STATIC=1 PROMETHEUS_MULTIPROC_DIR=$(CURDIR)/var/prometheus \
	CELERY_BROKER_URL=$(or $(CELERY_BROKER_URL),filesystem://) PORT=$(or $(PORT),8000)

.PHONY: demo test lint bench load serve venv clean fuzz

venv: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: venv
	$(PLAIN_LOGS) $(BIN)/python manage.py migrate --noinput
	$(PLAIN_LOGS) $(BIN)/python manage.py load_demo
	$(DEMO_ENV) PATH=$(CURDIR)/$(BIN):$$PATH $(BIN)/honcho -f Procfile.demo start

serve: venv
	rm -rf var/prometheus && mkdir -p var/prometheus
	$(SERVE_ENV) $(BIN)/python manage.py migrate --noinput
	$(SERVE_ENV) $(BIN)/python manage.py collectstatic --noinput --verbosity 0
	$(SERVE_ENV) PATH=$(CURDIR)/$(BIN):$$PATH $(BIN)/honcho -f Procfile start

# Two workers: the suite mostly waits on databases, browsers and live processes.
# loadfile keeps a module on one worker, so its module-scoped live stack starts once.
PYTEST_ARGS ?= -n 2 --dist loadfile

# The browser tests need a Chromium: tests/chromium.py finds one or installs it
# (Debian's package, else Playwright's download) and stops here if it cannot.
test: venv
	@browser=$$($(BIN)/python -m tests.chromium) && \
	GOVERNOR_CHROMIUM="$$browser" $(BIN)/python -m pytest $(PYTEST_ARGS)

lint: venv
	$(BIN)/ruff check governance tests benchmarks
	$(BIN)/ruff format --check governance tests benchmarks
	$(BIN)/mypy governance
	$(BIN)/lint-imports

# Each script writes its section of benchmarks/RESULTS.md; the dashboard one loads 5M calls (slow).
bench: venv
	$(BIN)/python benchmarks/ingest.py
	$(BIN)/python benchmarks/otlp.py
	$(BIN)/python benchmarks/policy.py
	$(BIN)/python benchmarks/dashboard.py
	$(BIN)/python benchmarks/runs_batch.py
	$(BIN)/python benchmarks/advisor.py

# Mixed load (ingestion, decisions, pages) on loopback; LOAD_ARGS="--duration 300".
load: venv
	$(BIN)/python benchmarks/load.py $(LOAD_ARGS)

# The long schema-driven fuzz: every phase (stateful included), 1,000 cases per
# operation, against the production web server on a fresh PostgreSQL database
# (created on FUZZ_DATABASE_URL's server, dropped afterwards). No 5xx allowed.
# FUZZ_ARGS="--examples 200 --timeout 900" for a shorter run.
FUZZ_DATABASE_URL ?= $(or $(filter postgres%,$(DATABASE_URL)),postgres://postgres@127.0.0.1:5432/postgres)
fuzz: venv
	DATABASE_URL=$(FUZZ_DATABASE_URL) $(BIN)/python -m tests.ops.fuzz $(FUZZ_ARGS)

clean:
	rm -rf var/*.sqlite3* var/celery-broker var/celerybeat-schedule*
