PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint format bench bench-quick clean lock

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Installs exactly the versions in requirements-dev.lock (runtime and dev tools, linters
# included); the package itself goes in editable, without resolving anything again.
$(STAMP): pyproject.toml requirements-dev.lock | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.lock
	$(BIN)/pip install --quiet --no-deps -e .
	touch $(STAMP)

# After changing dependencies in pyproject.toml: make lock (needs uv: pip install uv).
lock:
	uv pip compile pyproject.toml --python-version 3.11 --no-header -o requirements.lock
	uv pip compile pyproject.toml --extra dev --python-version 3.11 --no-header \
		-o requirements-dev.lock

run: $(STAMP)
	CELLBOT_HOME="$${CELLBOT_HOME:-$(CURDIR)}" $(BIN)/cellbot run  # .env and data/ of the checkout

# One pytest worker per core (pytest-xdist): every test has its own database, so they run
# side by side; then, alone, the few that measure how the bot schedules updates (a worker
# beside them changes what they measure).
test: $(STAMP)
	$(BIN)/pytest -q -n auto -m "not serial"
	$(BIN)/pytest -q -m serial

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Every Bot API call waits LATENCY_MS (a server in Viet Nam to Telegram); LATENCY_MS=0 for none.
LATENCY_MS ?= 50

bench: $(STAMP)
	$(BIN)/python -m benchmarks.run --latency-ms $(LATENCY_MS)

bench-quick: $(STAMP)
	$(BIN)/python -m benchmarks.run --quick --latency-ms $(LATENCY_MS)

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .mypy_cache .ruff_cache
