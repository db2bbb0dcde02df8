#!/usr/bin/env bash
# `make test`: the whole suite, with the PostgreSQL test database prepared first.
# On CI (CI=true) the PostgreSQL tests must run: a server that does not answer is a failure.
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"
export SOPFLOW_TEST_PG_URL="${SOPFLOW_TEST_PG_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/sopflow_test}"
if ! .venv/bin/python scripts/ensure_pg_db.py "$SOPFLOW_TEST_PG_URL"; then
  if [ "${CI:-}" = "true" ] && command -v pg_ctlcluster >/dev/null 2>&1; then
    echo "PostgreSQL did not answer; starting it"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || true
    sleep 3
    .venv/bin/python scripts/ensure_pg_db.py "$SOPFLOW_TEST_PG_URL" || true
  fi
fi
mkdir -p test-artifacts
exec .venv/bin/python -m pytest "$@"
