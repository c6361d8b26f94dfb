# Portail: the two commands are `make run` and `make test`; everything else is a step of theirs.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: help install protos run test test-unit test-integration test-browser bench bench-load bench-events lint fmt buf-lint clean

help:
	@echo "make run    start the whole suite locally with demo data"
	@echo "make test   install what is needed and run every test"
	@echo "make lint   ruff + buf lint;  make fmt   format;  make bench   benchmarks"

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check --upgrade pip
	$(PY) -m pip install -q --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

protos: $(STAMP)
	$(PY) tools/gen_protos.py

run: protos
	$(PY) -m deploy.local.run

# The browser tests (a real headless Chromium on the web portal) run in a process
# of their own: Playwright's sync API keeps an event loop that asyncio tests
# sharing its process could not start theirs beside.
test: protos lint
	$(PY) -m pytest -n 2 --dist loadgroup
	$(PY) -m pytest -p no:randomly tests/browser

test-unit: protos
	$(PY) -m pytest tests/unit

test-integration: protos
	$(PY) -m pytest -n 2 --dist loadgroup tests/integration tests/e2e

# Needs Chromium (Debian: apt-get install chromium chromium-driver); screenshots of each
# step go to the tests' tmp dirs, or elsewhere with SHOTS=folder.
test-browser: protos
	$(PY) -m pytest tests/browser $(if $(SHOTS),--browser-shots $(SHOTS))

# The load bench (issue 13) drives HTTP with wrk: installed here when missing.
bench: protos
	@command -v wrk >/dev/null || apt-get install -y wrk || sudo apt-get install -y wrk
	$(PY) -m tests.bench.load --json var/bench/load.json
	$(PY) -m tests.bench.events --json var/bench/events.json
	$(PY) -m pytest tests/bench -p no:cacheprovider --benchmark-columns=min,mean,median,max,rounds

# Only the load bench; e.g. make bench-load BENCH_ARGS="--databases sqlite --seconds 3"
bench-load: protos
	@command -v wrk >/dev/null || apt-get install -y wrk || sudo apt-get install -y wrk
	$(PY) -m tests.bench.load --json var/bench/load.json $(BENCH_ARGS)

# Only the domain events bench (outbox relay throughput, commit -> handled latency);
# e.g. make bench-events BENCH_ARGS="--databases sqlite --events 5000"
bench-events: protos
	$(PY) -m tests.bench.events --json var/bench/events.json $(BENCH_ARGS)

lint: protos
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

buf-lint:
	tools/buf_lint.sh

fmt: $(STAMP)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

clean:
	rm -rf portal var .pytest_cache
