# Governor's front door. `make demo` and `make test` are all a newcomer needs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_ENV := CELERY_BROKER_URL=filesystem:// DEBUG=1

.PHONY: demo test lint bench serve venv clean

venv: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: venv
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py load_demo
	$(DEMO_ENV) PATH=$(CURDIR)/$(BIN):$$PATH $(BIN)/honcho -f Procfile.demo start

test: venv
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: venv
	$(BIN)/ruff check governance tests benchmarks
	$(BIN)/ruff format --check governance tests benchmarks

bench: venv
	$(BIN)/python benchmarks/ingest.py

clean:
	rm -rf var/*.sqlite3* var/celery-broker var/celerybeat-schedule*
