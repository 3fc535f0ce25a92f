# Two commands on a fresh Debian machine:  make demo   |   make test
.PHONY: setup influxdb-matrix demo test clean member-role bench-setup bench

setup: node_modules/.setup-done .venv-checkov/bin/checkov influxdb-matrix

# The probe and host tests' version matrix: real InfluxDB 1.8.10, 1.13.2 and 2.7.12
# built from the Go module proxy into ~/.cache/influxguard (once; needs Go, and
# Rust for 1.13/2.x). Without the toolchains they are skipped, and `make test` says so.
influxdb-matrix:
	@scripts/influxdb-build.sh --if-toolchains

node_modules/.setup-done: package.json package-lock.json
	@command -v node >/dev/null || { echo "Node.js >= 20 is required" >&2; exit 1; }
	npm ci --no-audit --no-fund
	python3 -c 'import moto.server, flask_cors' 2>/dev/null || python3 -m pip install --quiet 'moto[server]>=5.1'
	command -v cfn-lint >/dev/null || python3 -m pip install --quiet cfn-lint
	@# Real servers for the probe tests: Debian's influxdb (1.6.7), nginx and openssl.
	command -v influxd >/dev/null && command -v nginx >/dev/null && command -v openssl >/dev/null || { \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends influxdb nginx-light openssl; }
	@touch $@

# checkov (PyPI) pins old boto3/botocore/packaging: its own virtualenv keeps them away from moto's.
.venv-checkov/bin/checkov:
	python3 -m venv .venv-checkov || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3-venv && python3 -m venv .venv-checkov; }
	.venv-checkov/bin/pip install --quiet checkov

# The demo and the tests run in a private network namespace with only loopback up.
demo: setup
	npm run build
	scripts/sandbox.sh node dist/scripts/demo.js

test: setup
	@scripts/influxdb-build.sh --status
	npm run typecheck
	npm run lint
	scripts/sandbox.sh npm test -- --json --outputFile=.test-results.json

# Regenerate cloudformation/member-role.yml (after collector/collect.sh changes).
member-role:
	node serverless/member-role.cjs

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
	rm -rf dist node_modules/.setup-done .test-results.json .venv-checkov .bench
