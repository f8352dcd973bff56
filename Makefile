# hana-infra. Every target installs what it needs on first use (a .venv from PyPI), so each
# works on a fresh clone. `make help` lists them.

PYTHON ?= python3
VENV   := .venv
TOOLS  := .venv-tools
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
TOOLS_STAMP := $(TOOLS)/.installed
CHECKOV_VERSION := 3.3.30
# Sceptre, the yardstick of bench/noop_bench.py: its own venv, never a project dependency.
BENCH  := .venv-bench
SCEPTRE_VERSION := 4.7.0
BENCH_STAMP := $(BENCH)/.installed-sceptre-$(SCEPTRE_VERSION)
# cfn-guard and the AWS Control Tower proactive-control rules, both shipped inside this wheel
# (in its jsii tarball): pinned together, so the rules never change under us.
CFNGUARD_VERSION := 0.0.62
GUARD_DIR := $(TOOLS)/cfn-guard
GUARD := $(GUARD_DIR)/cfn-guard
GUARD_RULES := $(GUARD_DIR)/rules/control-tower
GUARD_STAMP := $(GUARD_DIR)/.installed-$(CFNGUARD_VERSION)
GUARD_ENVS := $(notdir $(wildcard out/*))
GUARD_ARCH := $(if $(filter aarch64 arm64,$(shell uname -m)),aarch64,x86_64)

.DEFAULT_GOAL := help
.PHONY: help install templates check-templates test pytest lint security bench cost demo clean

help: ## list the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-16s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --disable-pip-version-check --upgrade pip
	$(VENV)/bin/pip install -q --disable-pip-version-check -e '.[dev]'
	touch $@

# checkov pins an old boto3 and fights pip, so it lives in its own venv.
$(TOOLS_STAMP):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install -q --disable-pip-version-check --upgrade pip
	$(TOOLS)/bin/pip install -q --disable-pip-version-check checkov==$(CHECKOV_VERSION)
	touch $@

# The wheel is a jsii package: the binary (per OS/arch) and the rules sit in its tarball.
$(GUARD_STAMP): $(TOOLS_STAMP)
	$(TOOLS)/bin/pip install -q --disable-pip-version-check --no-deps cdklabs-cdk-validator-cfnguard==$(CFNGUARD_VERSION)
	rm -rf $(GUARD_DIR) && mkdir -p $(GUARD_DIR)/extract
	tar -xzf $$(ls $(TOOLS)/lib/python*/site-packages/cdklabs/cdk_validator_cfnguard/_jsii/*.jsii.tgz) \
		-C $(GUARD_DIR)/extract package/bin/ubuntu/$(GUARD_ARCH)/cfn-guard package/rules/control-tower/cfn-guard
	mv $(GUARD_DIR)/extract/package/bin/ubuntu/$(GUARD_ARCH)/cfn-guard $(GUARD)
	mkdir -p $(GUARD_DIR)/rules && mv $(GUARD_DIR)/extract/package/rules/control-tower/cfn-guard $(GUARD_RULES)
	rm -rf $(GUARD_DIR)/extract
	chmod +x $(GUARD)
	touch $@

install: $(STAMP) ## create .venv and install the project with its dev tools

templates: $(STAMP) ## generate out/<env>/*.yaml for every environment
	$(PY) generate.py

check-templates: $(STAMP) ## fail if out/ is not what generate.py writes
	$(PY) generate.py --check

pytest: $(STAMP) ## run the test suite only
	$(VENV)/bin/pytest -n auto

lint: $(STAMP) ## cfn-lint (informational rules included) over out/, ruff over the Python
	$(VENV)/bin/cfn-lint
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

# cfn-guard: the Control Tower rules ignore Metadata suppressions, so tests/guard_gate.py applies
# them (each with its reason) and fails on any other finding or on a stale suppression.
security: $(STAMP) $(TOOLS_STAMP) $(GUARD_STAMP) ## checkov and cfn-guard (AWS Control Tower proactive controls) over out/, offline
	$(TOOLS)/bin/checkov -d out --framework cloudformation --skip-download --quiet --compact
	$(PY) -m tests.guard_gate $(GUARD) $(GUARD_RULES) $(addprefix out/,$(GUARD_ENVS))

test: check-templates pytest lint security ## everything CI runs: drift, tests, lint, security

$(BENCH_STAMP):
	$(PYTHON) -m venv $(BENCH)
	$(BENCH)/bin/pip install -q --disable-pip-version-check sceptre==$(SCEPTRE_VERSION)
	touch $@

bench: $(STAMP) $(BENCH_STAMP) ## generation and deployer benchmarks, no-op `all` vs Sceptre (figures: docs/benchmarks.md)
	$(PY) bench/generate_bench.py
	$(PY) bench/deploy_bench.py
	$(PY) bench/preflight_bench.py
	$(PY) bench/noop_bench.py

cost: $(STAMP) ## monthly cost of every environment from out/ (no AWS credentials needed)
	$(PY) -m hana_cost --env all

demo: $(STAMP) ## the dev deployment on the local AWS emulator: deploy, status, no-op re-run, delete (offline)
	$(PY) -m hana_emulator.demo

clean: ## remove the virtualenvs and caches (out/ is committed and stays)
	rm -rf $(VENV) $(TOOLS) $(BENCH) .pytest_cache .ruff_cache build *.egg-info
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
