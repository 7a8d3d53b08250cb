# The front door: `make play` and `make test` work on a fresh machine with only
# Python 3.11+ and make. The virtual environment is created on first use and
# reinstalled whenever pyproject.toml changes.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
LINT_STAMP := $(VENV)/.installed-lint

.PHONY: play test test-fast test-stress lint format docs bench check bless clean fuzz

play: $(STAMP)
	@$(BIN)/chronicle play

test: $(STAMP)
	$(BIN)/python -m pytest -q

# Everything but the slow end-to-end files (marked `slow` in tests/conftest.py), spread over
# the machine's cores. (`make test`, which CI runs, stays in one process: its terminal and
# browser tests time real keystrokes.)
test-fast: $(STAMP)
	$(BIN)/python -m pytest -q -m "not slow" -n auto

# The long fuzz (tests/test_fuzz.py): every command on FUZZ_EXAMPLES mutated stories, compiled
# stories, saves and piped inputs each (`make test` runs a short round), then the web fuzz on
# WEB_FUZZ_EXAMPLES pages with hostile localStorage; each prints how many it tried.
FUZZ_EXAMPLES ?= 2000
WEB_FUZZ_EXAMPLES ?= 300
fuzz: $(STAMP)
	CHRONICLE_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/python -m pytest -q -s tests/test_fuzz.py
	CHRONICLE_WEB_FUZZ_EXAMPLES=$(WEB_FUZZ_EXAMPLES) $(BIN)/python -m pytest -q -s tests/test_web_hostile.py

# Before a release: the whole suite beside two CPU-bound loops, with a fresh Hypothesis seed
# (tools/stress.py; `python -m tools.stress --runs 3` for three in a row).
test-stress: $(STAMP)
	$(BIN)/python -m tools.stress

# The same three checks as .pre-commit-config.yaml and .ci/run.
lint: $(LINT_STAMP)
	$(BIN)/ruff check engine tests benchmarks tools
	$(BIN)/ruff format --check engine tests benchmarks tools
	$(BIN)/mypy

# Rewrite what ruff can fix by itself (imports, formatting); mypy's findings stay for a person.
format: $(LINT_STAMP)
	$(BIN)/ruff check --fix engine tests benchmarks tools
	$(BIN)/ruff format engine tests benchmarks tools

# Regenerate docs/diagnostics.md and AUTHORING.md's output blocks (tools/docs.py).
docs: $(STAMP)
	$(BIN)/python -m tools.docs

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

$(LINT_STAMP): $(STAMP)
	@echo "Installing the lint tools into $(VENV)..."
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test,lint]'
	@touch $(LINT_STAMP)

clean:
	rm -rf $(VENV) build *.egg-info .cache
