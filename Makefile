# `make deploy` deploys the dev stack; `make test` checks everything without AWS, Docker or the Pulumi CLI.
# Both use ./venv, the virtualenv Pulumi.yaml names, so the CLI and the tests run the same packages.
PYTHON ?= python3
STACK ?= dev
VENV := venv
BIN := $(VENV)/bin
READY := $(VENV)/.requirements-installed

.PHONY: test lint typecheck unit deploy preview clean

$(READY): requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

test: lint typecheck unit

lint: $(READY)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/hadolint Dockerfile

typecheck: $(READY)
	$(BIN)/mypy
	$(BIN)/mypy bootstrap/__main__.py

unit: $(READY)
	$(BIN)/pytest

preview:
	pulumi preview --stack $(STACK) --diff

deploy:
	pulumi up --stack $(STACK)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
