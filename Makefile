# Barnraise: `make demo` serves a seeded marketplace, `make test` runs the whole suite.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PORT   ?= 8000
VENDOR := src/barnraise/web/static/vendor

.PHONY: demo test test-fast test-browser test-cluster lint format install install-dev assets clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.lock pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $@

$(VENV)/.installed-dev: requirements-dev.lock pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -r requirements-dev.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $@ $(VENV)/.installed

# Front-end libraries come from npm at build time and are served by Barnraise itself (no CDN).
$(VENDOR)/.stamp: package.json package-lock.json
	npm ci --silent --no-progress
	mkdir -p $(VENDOR)/pico $(VENDOR)/htmx $(VENDOR)/leaflet $(VENDOR)/chartjs
	cp node_modules/@picocss/pico/css/pico.min.css $(VENDOR)/pico/
	cp node_modules/htmx.org/dist/htmx.min.js $(VENDOR)/htmx/
	cp -r node_modules/leaflet/dist/leaflet.js node_modules/leaflet/dist/leaflet.js.map node_modules/leaflet/dist/leaflet.css node_modules/leaflet/dist/images $(VENDOR)/leaflet/
	cp node_modules/chart.js/dist/chart.umd.min.js node_modules/chart.js/dist/chart.umd.min.js.map $(VENDOR)/chartjs/
	touch $@

install: $(VENV)/.installed $(VENDOR)/.stamp
install-dev: $(VENV)/.installed-dev $(VENDOR)/.stamp
assets: $(VENDOR)/.stamp

demo: install
	$(BIN)/barnraise demo --port $(PORT)

test: install-dev
	$(BIN)/pytest

test-fast: install-dev
	$(BIN)/pytest -m "not slow and not browser and not cluster"

test-browser: install-dev
	$(BIN)/pytest -m browser

# The cluster test (tests/cluster, docs/development.md): PostgreSQL, Redis, S3 (moto), the fake
# Stripe, two app processes behind nginx and two workers, under locust's load, through faults.
# locust and moto live in a virtualenv of their own: locust needs brotli, which would make the
# app's collectstatic compress every file with it. CLUSTER_PROFILE=long for the long profile.
CLUSTER_VENV := $(VENV)-cluster
$(CLUSTER_VENV)/.installed: tests/cluster/requirements.lock | $(BIN)/python
	$(BIN)/python -m venv $(CLUSTER_VENV)
	$(CLUSTER_VENV)/bin/python -m pip install --quiet -r tests/cluster/requirements.lock
	touch $@

test-cluster: install-dev $(CLUSTER_VENV)/.installed
	CLUSTER_TOOLS_PYTHON=$(abspath $(CLUSTER_VENV))/bin/python $(BIN)/pytest -m cluster -p no:cacheprovider tests/cluster -s

lint: install-dev
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests
	$(BIN)/mypy src
	$(BIN)/barnraise manage check --fail-level WARNING

format: install-dev
	$(BIN)/ruff format src tests
	$(BIN)/ruff check --fix src tests

clean:
	rm -rf $(VENV) $(VENV)-cluster node_modules $(VENDOR) .pytest_cache .mypy_cache .ruff_cache
