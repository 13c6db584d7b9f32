#!/usr/bin/env bash
# The README's test command (via `make test`) and CI's: lint, then the whole suite against the
# real local services. The stack is started here and stopped on exit, even on failure.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=.venv/bin

echo "==> [test] ruff + mypy"
$VENV/ruff check .
$VENV/mypy gladiator gladiator_cli local_emulation streaming lambdas glue_jobs infra

echo "==> [test] starting the local stack"
$VENV/gladiator local up --no-ingestion  # tests read the shared landing queue themselves
trap '$VENV/gladiator local down || true' EXIT

mkdir -p test-artifacts
# One Spark session serves the whole suite (tests/conftest.py) and the stream's 200k-event test
# runs late in it: a 3 GB driver heap leaves room for what earlier tests left cached (24 GiB here).
export GLADIATOR_DRIVER_MEMORY="${GLADIATOR_DRIVER_MEMORY:-3g}"
echo "==> [test] pytest (unit, integration and slow end-to-end tiers)"
set +e
$VENV/pytest -p no:cacheprovider --durations=25 --junitxml=test-artifacts/junit.xml "$@"
rc=$?
set -e
if [ "$rc" -eq 5 ]; then
  echo "error: [test] pytest collected no tests" >&2
fi
exit "$rc"
