# The front door: `make play` and `make test` work on a fresh machine with only
# Python 3.11+ and make. The virtual environment is created on first use and
# reinstalled whenever pyproject.toml changes.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: play test bench check bless clean

play: $(STAMP)
	@$(BIN)/chronicle play

test: $(STAMP)
	$(BIN)/python -m pytest -q

check: $(STAMP)
	$(BIN)/chronicle check

bless: $(STAMP)
	CHRONICLE_BLESS=1 $(BIN)/python -m pytest -q tests/test_transcripts.py
	@git status --short tests/transcripts/

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "Installing Chronicle into $(VENV) (first run only)..."
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	@touch $(STAMP)

clean:
	rm -rf $(VENV) build *.egg-info .cache
