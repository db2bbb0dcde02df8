#!/usr/bin/env bash
# `make bench`: the two benchmarks of bench/ (figures, not tests; see bench/README.md).
# Each uses its own temp homes; the second starts a private `airflow standalone` on port 8093
# (BENCH_API_PORT to change it) and stops it again. Arguments for each: set
# PARSE_ARGS / WAIT_ARGS, e.g. PARSE_ARGS="--warm 20" WAIT_ARGS="--k 5".
set -uo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PY="$REPO/.venv/bin/python"
cd "$REPO"
status=0

echo "=== 1/2 parse time: dags/ (YAML through the factory) vs bench/handwritten/ (literal DAGs) ==="
# shellcheck disable=SC2086
"$PY" bench/parse_time.py ${PARSE_ARGS:-} || status=1

echo
echo "=== 2/2 waiting steps: 20 human steps waiting in a real airflow standalone (about 10 min) ==="
# shellcheck disable=SC2086
"$PY" bench/waiting_steps.py --port "${BENCH_API_PORT:-8093}" ${WAIT_ARGS:-} || status=1

exit $status
