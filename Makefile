# `make preview [STACK=production]` and `make test` set up .venv by themselves.

STACK ?= staging
# The real-server tier's Debian release: 13 (trixie) or 12 (bookworm).
DEBIAN ?= 13
# What `make diff` compares with, and the stateful resources it may replace or delete (names).
REF ?= origin/main
ALLOW ?=
PYTHON ?= $(shell command -v python3.11 || command -v python3)
# `make preview DETAILS=1` prints every input of every resource, as a tree, and each section in full.
DETAILS ?=
VENV := .venv
BIN := $(VENV)/bin
# Two sets, each installed once: what the preview needs (requirements-preview.txt: the program's SDKs, the policy
# pack's runtime), and everything the tests and linters need besides (requirements-dev.txt, which includes it).
PREVIEW_SET := $(VENV)/.installed-preview
DEV_SET := $(VENV)/.installed-dev
INSTALL := $(BIN)/pip install --quiet --disable-pip-version-check

.PHONY: venv preview diff test lint typecheck unit real-server system-packages benchmark clean restore-drill

$(BIN)/python:
	@$(PYTHON) -m venv $(VENV)

$(PREVIEW_SET): requirements.txt requirements-preview.txt | $(BIN)/python
	@echo "Setting up $(VENV) for the preview (first run only, about 30 s)…" >&2
	@$(INSTALL) -r requirements-preview.txt
	@touch $@

# The dev set includes the preview set, so installing it stamps both.
$(DEV_SET): requirements.txt requirements-preview.txt requirements-dev.txt | $(BIN)/python
	@echo "Setting up $(VENV) for the tests and linters (first run only, up to a minute)…" >&2
	@$(INSTALL) -r requirements-dev.txt
	@touch $@ $(PREVIEW_SET)

venv: $(DEV_SET)

preview: $(PREVIEW_SET)
	@$(BIN)/python -m preview --stack $(STACK) $(if $(DETAILS),--details)

# The quarterly restore drill: the newest backup of SOURCE (default STACK) restored into a scratch database on
# STACK's server, each table's rows counted against what the backup recorded; PASS or FAIL, exit status to match.
# Needs the Pulumi CLI logged in, AGE_IDENTITY_FILE, and SSH to the server as its admin user. STACK must be a
# staging stack unless FORCE_PRODUCTION_TARGET=1.
SOURCE ?=
FORCE_PRODUCTION_TARGET ?=
restore-drill:
	@bash components/scripts/restore-drill.sh --stack $(STACK) --source $(or $(SOURCE),$(STACK)) \
		$(if $(FORCE_PRODUCTION_TARGET),--allow-production-target)

# What `pulumi up` would change in a stack deployed from REF; fails on a stateful replacement not in ALLOW.
diff: $(PREVIEW_SET)
	@$(BIN)/python -m preview --stack $(STACK) --against $(REF) $(foreach name,$(ALLOW),--allow $(name))

test: lint typecheck unit real-server

lint: $(DEV_SET)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(DEV_SET)
	$(BIN)/mypy

unit: $(DEV_SET) system-packages
	$(BIN)/pytest -m "not server"

# A booted Debian server, the production stack deployed on it step by step (tests/server/; needs root).
real-server: $(DEV_SET) system-packages
	REAL_SERVER_DEBIAN=$(DEBIAN) $(BIN)/pytest -m server tests/server

system-packages:
	@.ci/install-system-packages

benchmark: $(DEV_SET)
	$(BIN)/python benchmarks/preview_time.py
	$(BIN)/python -m benchmarks.policy_pack_time

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache
