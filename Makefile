# The README's commands. `make demo` and `make test` do all set-up on a fresh machine.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(VENV)/bin/pip
STAMP  := $(VENV)/.installed
# torch + torchvision: override for your platform, e.g. TORCH_SPEC="torch torchvision"
TORCH_SPEC ?= torch==2.14.1 torchvision==0.29.1
PYTEST_ARGS ?=

.PHONY: setup system demo test test-all bench lint clean

setup: system $(STAMP)

system:
	@bash scripts/setup_system.sh

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q $(TORCH_SPEC)
	$(PIP) install -q -e '.[dev,train]'
	@touch $(STAMP)

demo: setup
	$(PY) -m docagent.demo_http

test: setup
	$(PY) -m pytest -q -m "not gpu" $(PYTEST_ARGS)

test-gpu: setup
	$(PY) -m pytest -q -m gpu $(PYTEST_ARGS)

bench: setup
	$(PY) -m bench.run_all

lint: setup
	$(VENV)/bin/ruff check docagent indexing vlm workers tests bench

clean:
	rm -rf var bench/out .pytest_cache
