# `make demo` and `make test` set up .venv when it is missing, then run.
# torch==2.13.0 is installed first (a CPU build on local disk), so that
# installing kegan's other pins never makes pip fetch another torch.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.kegan-installed
ARGS ?=

.PHONY: demo test lint venv clean

venv: $(STAMP)

$(STAMP): pyproject.toml
	@echo "setting up $(VENV): torch==2.13.0 (CPU, from local disk), then kegan and its pinned dependencies (a minute or two, once)"
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check torch==2.13.0
	$(PY) -m pip install -q --disable-pip-version-check -e '.[test]'
	@touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/kegan demo $(ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests bench

test: $(STAMP) lint
	$(PY) -m pytest -q $(ARGS)

clean:
	rm -rf runs .pytest_cache
