#!/usr/bin/env bash
# `make run`: Airflow standalone on SQLite with sopflow's DAGs and plugin, the local mail sink,
# and the demo staff directory. Ctrl-C stops everything (the whole process group).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$REPO"

if (exec 3<>/dev/tcp/127.0.0.1/"$AIRFLOW__API__PORT") 2>/dev/null; then
  echo "Port $AIRFLOW__API__PORT is already in use: is sopflow already running? (set AIRFLOW__API__PORT to use another)" >&2
  exit 1
fi

sopflow validate
sopflow db upgrade >/dev/null
airflow db migrate >"$SOPFLOW_HOME/airflow-migrate.log" 2>&1 || { cat "$SOPFLOW_HOME/airflow-migrate.log"; exit 1; }

pids=()
cleanup() {
  trap - INT TERM EXIT
  echo; echo "Stopping sopflow ..."
  for pid in "${pids[@]}"; do kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup INT TERM EXIT

setsid python -m sopflow.mailsink --host "$SOPFLOW_SMTP_HOST" --port "$SOPFLOW_SMTP_PORT" --dir "$SOPFLOW_MAIL_DIR" \
  >"$SOPFLOW_HOME/mailsink.log" 2>&1 &
pids+=($!)
setsid airflow standalone >"$SOPFLOW_HOME/airflow-standalone.log" 2>&1 &
pids+=($!)

echo "Starting Airflow (30 s to a few minutes; log: $SOPFLOW_HOME/airflow-standalone.log) ..."
for _ in $(seq 1 300); do
  if curl -fsS "http://127.0.0.1:$AIRFLOW__API__PORT/api/v2/monitor/health" >/dev/null 2>&1; then break; fi
  if ! kill -0 "${pids[1]}" 2>/dev/null; then echo "Airflow exited; see $SOPFLOW_HOME/airflow-standalone.log" >&2; exit 1; fi
  sleep 1
done
password=$(python -c "import json,sys; print(json.load(open(sys.argv[1])).get('admin','?'))" \
  "$AIRFLOW_HOME/simple_auth_manager_passwords.json.generated" 2>/dev/null || echo "(see $AIRFLOW_HOME/simple_auth_manager_passwords.json.generated)")
cat <<MSG

  sopflow is running (embedded default: Airflow standalone on SQLite).
    Airflow UI:   http://127.0.0.1:$AIRFLOW__API__PORT   login: admin / $password
    sopflow pages: $SOPFLOW_BASE_URL   (task pages open from the links in the mails;
                  sign in for "Tugas saya" and the admin dashboard at $SOPFLOW_BASE_URL/masuk)
    Mail sink:    smtp://$SOPFLOW_SMTP_HOST:$SOPFLOW_SMTP_PORT, every message saved as .eml in $SOPFLOW_MAIL_DIR
                  and listed below as it arrives, with the link to its page
    Staff:        config/staff.yaml (demo office, example.org addresses; admin: admin.sopflow@example.org)
    Commands:     scripts/sopflow tasks | scripts/airflow dags list   (README: walk-through)
  Press Ctrl-C to stop.

MSG
# The mails as they arrive: recipient, subject and the page link (from the sink's log).
setsid bash -c 'tail -n +1 -F "$0" 2>/dev/null | grep --line-buffered -v "listening on"' "$SOPFLOW_HOME/mailsink.log" &
pids+=($!)
wait "${pids[1]}"
