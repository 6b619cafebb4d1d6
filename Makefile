# `make preview [STACK=production]` and `make test` set up .venv by themselves.

STACK ?= staging
# The real-server tier's Debian release: 13 (trixie) or 12 (bookworm).
DEBIAN ?= 13
# What `make diff` compares with, and the stateful resources it may replace or delete (names).
REF ?= origin/main
ALLOW ?=
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed

.PHONY: venv preview diff test lint typecheck unit real-server system-packages benchmark clean

$(INSTALLED): requirements.txt requirements-dev.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@touch $@

venv: $(INSTALLED)

preview: $(INSTALLED)
	@$(BIN)/python -m preview --stack $(STACK)

# What `pulumi up` would change in a stack deployed from REF; fails on a stateful replacement not in ALLOW.
diff: $(INSTALLED)
	@$(BIN)/python -m preview --stack $(STACK) --against $(REF) $(foreach name,$(ALLOW),--allow $(name))

test: lint typecheck unit real-server

lint: $(INSTALLED)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(INSTALLED)
	$(BIN)/mypy

unit: $(INSTALLED) system-packages
	$(BIN)/pytest -m "not server"

# A booted Debian server, the production stack deployed on it step by step (tests/server/; needs root).
real-server: $(INSTALLED) system-packages
	REAL_SERVER_DEBIAN=$(DEBIAN) $(BIN)/pytest -m server tests/server

system-packages:
	@.ci/install-system-packages

benchmark: $(INSTALLED)
	$(BIN)/python benchmarks/preview_time.py
	$(BIN)/python -m benchmarks.policy_pack_time

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache
