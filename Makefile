# Pressroom: `make run` and `make test` do all the set-up on a fresh clone.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test setup lint bench translations clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

setup: $(STAMP) translations

translations: $(STAMP)
	$(BIN)/pybabel -q compile -d pressroom/translations

run: setup
	$(BIN)/pressroom db upgrade
	$(BIN)/pressroom seed-demo
	@echo "Pressroom on http://$(HOST):$(PORT)/login  (Ctrl-C stops web and worker)"
	$(BIN)/pressroom serve --with-worker --host $(HOST) --port $(PORT)

# The suite runs in parallel processes (pytest-xdist), one per core up to 4; each has its own
# databases. TEST_WORKERS=0 runs it in one process.
TEST_WORKERS ?= auto --maxprocesses 4

test: setup
	$(BIN)/python -m pytest -n $(TEST_WORKERS) tests
	@if [ -n "$$PRESSROOM_TEST_DATABASE_URL" ]; then \
	  echo "== the same suite on PostgreSQL ($$PRESSROOM_TEST_DATABASE_URL) =="; \
	  PRESSROOM_TEST_BACKEND=postgresql $(BIN)/python -m pytest -n $(TEST_WORKERS) tests -m "not browser"; \
	fi

lint: setup
	$(BIN)/ruff check pressroom jobs tests bench config.py

bench: setup
	@for b in bench/[!_]*.py; do $(BIN)/python $$b; done

clean:
	rm -rf $(VENV) instance .pytest_cache
