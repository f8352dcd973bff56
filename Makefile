# hana-infra. Every target installs what it needs on first use (a .venv from PyPI), so each
# works on a fresh clone. `make help` lists them.

PYTHON ?= python3
VENV   := .venv
TOOLS  := .venv-tools
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
TOOLS_STAMP := $(TOOLS)/.installed
CHECKOV_VERSION := 3.3.30

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

security: $(TOOLS_STAMP) ## checkov over out/ (offline: --skip-download)
	$(TOOLS)/bin/checkov -d out --framework cloudformation --skip-download --quiet --compact

test: check-templates pytest lint security ## everything CI runs: drift, tests, lint, security

bench: $(STAMP) ## generation and deployer benchmarks (figures go in the README)
	$(PY) bench/generate_bench.py
	$(PY) bench/deploy_bench.py
	$(PY) bench/preflight_bench.py

cost: $(STAMP) ## monthly cost of every environment from out/ (no AWS credentials needed)
	$(PY) -m hana_cost --env all

demo: $(STAMP) ## the dev deployment on the local AWS emulator: deploy, status, no-op re-run, delete (offline)
	$(PY) -m hana_emulator.demo

clean: ## remove the virtualenvs and caches (out/ is committed and stays)
	rm -rf $(VENV) $(TOOLS) .pytest_cache .ruff_cache build *.egg-info
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
