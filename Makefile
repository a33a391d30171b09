# The team's vocabulary. `make test` sets everything up on a fresh machine, `make mock` what serving needs.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
export PATH := $(BIN):$(CURDIR)/node_modules/.bin:$(PATH)

SPEC_DIR := openapi/vonage_account_spec
SPEC := $(SPEC_DIR)/account.yaml
CONTROL_SPEC := $(SPEC_DIR)/mock-control.yaml
CALLBACKS_SPEC := $(SPEC_DIR)/callbacks.yaml
CLIENT_CONFIG := openapi/client-config.yaml
CLIENT_PKG := generated_client/vonage_account_client
SPECS := $(SPEC) $(wildcard $(CONTROL_SPEC)) $(wildcard $(CALLBACKS_SPEC))

.PHONY: install install-runtime dist browser generate check-generated lint lint-spec lint-python test unit contract fuzz soak mock prism docs bench bench-instructions mutate clean

install: $(VENV)/.installed node_modules/.installed

# What serving needs and no more (no npm, no dev toolchain): `make mock` on a fresh clone.
install-runtime: $(VENV)/.runtime

# Re-run only when the dependency lists change.
# pip's own progress is shown (one line per package, no progress bars); the full install also marks the runtime one.
$(VENV)/.installed: pyproject.toml
	@echo "==> Python packages, with the development tools, into $(VENV)/ (first time: about a minute)"
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	set -o pipefail; $(BIN)/python -m pip install --progress-bar off -e '.[dev,mcp,docs]' \
		| { grep --line-buffered -E '^(Collecting|Successfully)' || true; }
	touch $@ $(VENV)/.runtime
	@echo "==> Installed. The commands are in $(VENV)/bin: run 'source $(VENV)/bin/activate' to put them on PATH."

$(VENV)/.runtime: pyproject.toml
	@echo "==> The mock's runtime packages into $(VENV)/ (first time: about 20 s; 'make install' adds the rest)"
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	set -o pipefail; $(BIN)/python -m pip install --progress-bar off --disable-pip-version-check -e . \
		| { grep --line-buffered -E '^(Collecting|Successfully)' || true; }
	touch $@
	@echo "==> Installed. The commands are in $(VENV)/bin: run 'source $(VENV)/bin/activate' to put them on PATH."

node_modules/.installed: package.json package-lock.json
	@echo "==> npm packages (Prism, Spectral) from package-lock.json"
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

OPERATION_IDS := $(SPEC_DIR)/operation_ids.py

generate: install
	openapi-python-client generate --path $(SPEC) --config $(CLIENT_CONFIG) --meta none \
		--output-path $(CLIENT_PKG) --overwrite
	touch $(CLIENT_PKG)/py.typed
	python openapi/generate_operation_ids.py $(OPERATION_IDS)

check-generated: install
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	openapi-python-client generate --path $(SPEC) --config $(CLIENT_CONFIG) --meta none \
		--output-path "$$tmp/pkg" --overwrite >/dev/null && touch "$$tmp/pkg/py.typed" && \
	diff -r -x __pycache__ "$$tmp/pkg" $(CLIENT_PKG) && echo "generated client is up to date" || \
	{ echo "generated_client/ is stale: run 'make generate' and commit the result" >&2; exit 1; }
	@tmp=$$(mktemp) && trap 'rm -f "$$tmp"' EXIT && python openapi/generate_operation_ids.py "$$tmp" && \
	diff "$$tmp" $(OPERATION_IDS) && echo "operation ids are up to date" || \
	{ echo "$(OPERATION_IDS) is stale: run 'make generate' and commit the result" >&2; exit 1; }

lint-spec: install
	openapi-spec-validator $(SPECS)
	spectral lint --fail-severity warn $(SPECS)

lint-python: install
	ruff check .
	ruff format --check .
	mypy
	mypy --config-file= --strict $(CLIENT_PKG)
	lint-imports

lint: lint-spec lint-python

# Debian's Chromium, which the dashboard's browser tests drive through Playwright (its own download cannot work here).
browser:
	command -v chromium >/dev/null || { apt-get update -qq && apt-get install -y -qq chromium; }

unit: install browser
	pytest -q tests examples

contract: install
	pytest -q -p no:xdist contract_tests

# The behaviour tests on two workers (much of them waits on sockets and subprocesses), the contract tests beside them
# in one process: schemathesis gives every operation's test the same node id, so pytest-xdist would run only one.
# The contract run's output waits in a file and is shown after the behaviour run's, each under its own heading.
test: lint check-generated browser
	@log=$$(mktemp) && trap 'rm -f "$$log"' EXIT; \
	pytest -q -p no:xdist contract_tests > "$$log" 2>&1 & contract=$$!; \
	echo "==> behaviour tests (tests/, examples/; two workers)"; \
	pytest -q -n 2 --dist loadfile tests examples; behaviour=$$?; \
	wait $$contract; contract=$$?; \
	echo "==> contract tests (contract_tests/: schemathesis, hypothesis, Prism)"; cat "$$log"; \
	exit $$(( behaviour || contract ))

# PORT=8099 HOST=... pass on as the variables serve reads ($VONAGE_ACCOUNT_MOCK_PORT, $VONAGE_ACCOUNT_MOCK_HOST).
mock: $(VENV)/.runtime
	$(if $(PORT),VONAGE_ACCOUNT_MOCK_PORT=$(PORT)) $(if $(HOST),VONAGE_ACCOUNT_MOCK_HOST=$(HOST)) \
		vonage-account-mock serve

# The sdist and the wheel built from it, into dist/: what another team installs (docs/how-to/install.md).
dist: $(VENV)/.installed
	rm -rf dist
	python -m build --outdir dist .

# Prism's stateless mock of the spec, for teams that want one.
prism: install
	prism mock $(SPEC) --host 127.0.0.1 --port $${PORT:-4010}

# Nightly: the contract run with far more examples, against the CLI server (EXAMPLES=1000 by default).
FUZZ_PORT ?= 18765
fuzz: install
	@vonage-account-mock serve --port $(FUZZ_PORT) --strict --seed contract_tests/fuzz-accounts.yaml \
		--log-level warning & pid=$$!; trap "kill $$pid" EXIT; \
	for _ in $$(seq 100); do curl -s -o /dev/null http://127.0.0.1:$(FUZZ_PORT)/ui/ && break; sleep 0.1; done; \
	VONAGE_FUZZ_URL=http://127.0.0.1:$(FUZZ_PORT) VONAGE_FUZZ_EXAMPLES=$${EXAMPLES:-1000} \
		VONAGE_CONTRACT_COUNTS=$${COUNTS:-/dev/null} pytest -q -p no:cacheprovider contract_tests/test_mock_conforms.py

# Mixed valid and hostile traffic against the CLI server (SOAK_SECONDS=60), then the journal, the answers and the
# server's memory are checked; then traffic against `serve --state` (one process, then two workers) killed -9 and
# restarted twice, every answered change checked (SOAK_STATE_SECONDS=30).
soak: install
	python -m bench.soak
	python -m bench.soak_state
	SOAK_WORKERS=2 python -m bench.soak_state

# The documentation site (mkdocs.yml, docs/) into site/; --strict: a broken link or reference fails the build.
docs: $(VENV)/.installed
	NO_MKDOCS_2_WARNING=1 mkdocs build --strict --site-dir site

# Benchmarks are not tests: figures go to docs/bench/, nothing asserts on them. The peers (WireMock, Mockoon) and
# the consumer suites' stub libraries are installed here only, never by `make install` or `make test`.
bench: install bench/peers/node_modules/.installed
	command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }
	command -v java >/dev/null || { apt-get update -qq && apt-get install -y -qq openjdk-17-jre-headless; }
	python -m pip install --quiet -e '.[dev,mcp,bench]'
	python -m bench.run
	python -m bench.consumer_suites
	python -m bench.mcp

bench/peers/node_modules/.installed: bench/peers/package.json bench/peers/package-lock.json
	@echo "==> the bench's peers (WireMock's standalone jar, the Mockoon CLI) from bench/peers/package-lock.json"
	npm ci --prefix bench/peers --no-audit --no-fund --loglevel=error
	touch $@

# Instructions per create+revoke request, counted by valgrind: steady where req/s is not (BENCH_AGAINST=PATH compares
# with another checkout).
bench-instructions: install
	command -v valgrind >/dev/null || { apt-get update -qq && apt-get install -y -qq valgrind; }
	python -m bench.instructions $(if $(BENCH_AGAINST),--against $(BENCH_AGAINST))

# Mutation testing of the modules that hold the promises, into docs/mutation.md; not part of `make test` (over an
# hour on two cores: the first run took about 70 minutes). GROUPS="models journal" runs some groups (mutation/run.py names them).
mutate: install
	python -m pip install --quiet -e '.[dev,mcp,mutate]'
	python -m mutation.run $(GROUPS)

clean:
	rm -rf $(VENV) node_modules bench/peers/node_modules site .pytest_cache .mypy_cache .ruff_cache .hypothesis build dist
