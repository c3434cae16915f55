# Pathway Navigator: `make run` to try it, `make test` to test it.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
HOST_PORT ?= 127.0.0.1:8000
NHSUK_FRONTEND_VERSION ?=

.PHONY: run test test-quick lint check-migrations vendor-nhsuk-frontend clean bench-search

$(PY):
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' || { \
	  echo "Pathway Navigator needs Python 3.12 or newer (Django 6.1); '$(PYTHON)' is $$($(PYTHON) --version 2>&1)."; \
	  echo "Install Python 3.12+ (pyenv reads .python-version) or run: make PYTHON=python3.13 ..."; \
	  exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $@

run: $(VENV)/.installed
	DJANGO_DEBUG=1 $(PY) manage.py migrate --no-input
	DJANGO_DEBUG=1 $(PY) manage.py loaddata fixtures/*.json
	DJANGO_DEBUG=1 $(PY) manage.py record_history_baseline
	DJANGO_DEBUG=1 $(PY) manage.py runserver $(HOST_PORT)

test: $(VENV)/.installed
	$(BIN)/pytest

# Everything but the browser tests, for a quick loop while working.
test-quick: $(VENV)/.installed
	$(BIN)/pytest -m "not browser"

lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

check-migrations: $(VENV)/.installed
	$(PY) manage.py makemigrations --check --dry-run

# Refresh the vendored NHS.UK frontend (static/vendor/nhsuk-frontend) from the npm registry.
vendor-nhsuk-frontend:
	scripts/vendor-nhsuk-frontend.sh $(NHSUK_FRONTEND_VERSION)

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles .pytest_cache .ruff_cache .hypothesis

# Search latency at 10,000 entries on PostgreSQL, with and without the GIN index
# (needs a running PostgreSQL; see bench/search_benchmark.py). Not part of make test.
bench-search: $(VENV)/.installed
	$(PY) bench/search_benchmark.py
