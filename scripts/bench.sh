#!/usr/bin/env bash
# `make bench`: the three benchmarks of bench/ (figures, not tests; see bench/README.md).
# Each uses its own temp homes; the second starts a private `airflow standalone` on port 8093
# (BENCH_API_PORT to change it) and stops it again. Arguments for each: set
# PARSE_ARGS / WAIT_ARGS / SPP_ARGS, e.g. PARSE_ARGS="--warm 20" WAIT_ARGS="--k 5".
# The SPP batch runs 200 bundles here (about 5 min for both engines on 2 cores); the issue's
# 2,000 take about 35 min per engine: SPP_ARGS="--bundles 2000" (a later --bundles wins).
set -uo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PY="$REPO/.venv/bin/python"
cd "$REPO"
status=0

echo "=== 1/3 parse time: dags/ (YAML through the factory) vs bench/handwritten/ (literal DAGs) ==="
# shellcheck disable=SC2086
"$PY" bench/parse_time.py ${PARSE_ARGS:-} || status=1

echo
echo "=== 2/3 waiting steps: 20 human steps waiting in a real airflow standalone (about 10 min) ==="
# shellcheck disable=SC2086
"$PY" bench/waiting_steps.py --port "${BENCH_API_PORT:-8093}" ${WAIT_ARGS:-} || status=1

echo
echo "=== 3/3 SPP batch: SOP VIII's automated part (validation, numbering, PDFs) on SQLite and PostgreSQL ==="
# shellcheck disable=SC2086
"$PY" bench/spp_batch.py --bundles 200 ${SPP_ARGS:-} || status=1

exit $status
