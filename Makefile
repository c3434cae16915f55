# Pathway Navigator: `make run` to try it, `make test` to test it.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
HOST_PORT ?= 127.0.0.1:8000
NHSUK_FRONTEND_VERSION ?=

.PHONY: run serve test test-quick coverage fhir-validators lint check-migrations check-deploy bench bench-search bench-phone \
	backup restore vendor-nhsuk-frontend clean

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

# The production stack on this machine: DJANGO_ENV=production, static files collected and
# served compressed by WhiteNoise, gunicorn with config/gunicorn.conf.py. Plain HTTP on
# 127.0.0.1, so no redirect to HTTPS; open http://localhost:8000 (browsers keep the
# HTTPS-only cookies for localhost). SQLite unless DATABASE_URL says otherwise. Like `make
# run` it loads the fixtures: a local trial, not a deployment (docs/deploy.md).
serve: $(VENV)/.installed
	@export DJANGO_ENV=production GUNICORN_BIND="$(HOST_PORT)" \
	  ALLOWED_HOSTS="$${ALLOWED_HOSTS:-127.0.0.1,localhost}" \
	  SECURE_SSL_REDIRECT="$${SECURE_SSL_REDIRECT:-0}" \
	  SECRET_KEY="$${SECRET_KEY:-$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(50))')}" && \
	$(PY) manage.py migrate --no-input && \
	$(PY) manage.py loaddata fixtures/*.json && \
	$(PY) manage.py collectstatic --no-input --verbosity 0 && \
	exec $(BIN)/gunicorn --config config/gunicorn.conf.py

# The FHIR validators the tests run (tests/integration/fhir_validation.py), test-only node
# packages pinned by their package-lock.json: installed again only when that changes. Needs
# node 20.19 or newer and the npm registry.
VALIDATORS := tests/integration/validators
$(VALIDATORS)/node_modules/.package-lock.json: $(VALIDATORS)/package-lock.json
	cd $(VALIDATORS) && npm ci --no-audit --no-fund

fhir-validators: $(VALIDATORS)/node_modules/.package-lock.json

# Over every core (pytest-xdist): each worker has its own test database. TEST_WORKERS=0 runs
# in this one process.
TEST_WORKERS ?= auto

# The suite, then the two-person rule's state machine on its own (its two shares side by side:
# its time is its own, with a budget of 3 minutes a database).
MACHINE := tests/editing/test_approval_machine.py
test: $(VENV)/.installed fhir-validators
	HYPOTHESIS_PROFILE=$${HYPOTHESIS_PROFILE:-full} $(BIN)/pytest -n $(TEST_WORKERS) --ignore=$(MACHINE)
	HYPOTHESIS_PROFILE=$${HYPOTHESIS_PROFILE:-full} $(BIN)/pytest -n $(TEST_WORKERS) $(MACHINE)

# Everything but the browser tests, with a few examples per property test, for a quick loop
# while working.
test-quick: $(VENV)/.installed fhir-validators
	HYPOTHESIS_PROFILE=quick APPROVAL_MACHINE_EXAMPLES=10 $(BIN)/pytest -n $(TEST_WORKERS) -m "not browser"

# Line coverage of pathways/ and config/ over the whole suite, workers combined.
coverage: $(VENV)/.installed fhir-validators
	HYPOTHESIS_PROFILE=$${HYPOTHESIS_PROFILE:-full} $(BIN)/pytest -n $(TEST_WORKERS) \
	  --cov --cov-report=term:skip-covered

lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

check-migrations: $(VENV)/.installed
	$(PY) manage.py makemigrations --check --dry-run

# Django's deployment checklist against the production settings, warnings counted as failures.
# The key and host are placeholders: the check needs them set, not real.
check-deploy: $(VENV)/.installed
	DJANGO_ENV=production ALLOWED_HOSTS=pathways.example.nhs.uk \
	  SECRET_KEY="$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(50))')" \
	  $(PY) manage.py check --deploy --fail-level WARNING

# Speed at scale and load on the production stack against PostgreSQL: a few minutes, not part
# of `make test`. Results in bench/results/; see docs/benchmarks.md.
bench: $(VENV)/.installed
	$(PY) bench/bench.py

# The Infant Mental Health page as a health visitor's phone gets it: Lighthouse's mobile profile
# against a static copy of the same page, and the htmx update under 150 ms RTT, 1.6 Mbps and
# CPU 4x slower, on the production stack with the fixtures. About ten minutes, not part of
# `make test`; needs root (apt, PostgreSQL) and the npm registry (Lighthouse). Results in
# bench/results/phone-*/; see docs/benchmarks.md, "On a health visitor's phone".
bench-phone: $(VENV)/.installed
	$(PY) bench/phone.py

# The pathway content (not accounts) to backups/<timestamp>.json, and back into an empty
# database. Both use DATABASE_URL like everything else.
backup: $(VENV)/.installed
	$(PY) manage.py backup

restore: $(VENV)/.installed
	@test -n "$(FILE)" || { echo "Usage: make restore FILE=backups/<timestamp>.json [REPLACE=1]"; exit 2; }
	$(PY) manage.py migrate --no-input
	$(PY) manage.py restore "$(FILE)" $(if $(REPLACE),--replace)

# Refresh the vendored NHS.UK frontend (static/vendor/nhsuk-frontend) from the npm registry,
# then rebuild the one stylesheet from it.
vendor-nhsuk-frontend:
	scripts/vendor-nhsuk-frontend.sh $(NHSUK_FRONTEND_VERSION)
	scripts/build-stylesheet.sh

# Rebuild static/pathways/styles.css after editing static/pathways/site.css or using an NHS.UK
# class no page used before: the NHS.UK rules our markup uses (PurgeCSS), then site.css.
.PHONY: css
css:
	scripts/build-stylesheet.sh

clean:
	rm -rf $(VENV) db.sqlite3 .test-db.sqlite3* .coverage* staticfiles var .pytest_cache .ruff_cache .hypothesis bench/results

# Search latency at 10,000 entries on PostgreSQL, with and without the GIN index
# (needs a running PostgreSQL; see bench/search_benchmark.py). Not part of make test.
bench-search: $(VENV)/.installed
	$(PY) bench/search_benchmark.py
