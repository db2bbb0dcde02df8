# Environment of the embedded default (sourced by run.sh, scripts/airflow and the tests).
# Everything lives under var/ in the checkout unless SOPFLOW_HOME says otherwise.
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export SOPFLOW_HOME="${SOPFLOW_HOME:-$REPO/var}"
export AIRFLOW_HOME="${AIRFLOW_HOME:-$SOPFLOW_HOME/airflow}"
export PATH="$REPO/.venv/bin:$PATH"
export AIRFLOW__CORE__DAGS_FOLDER="$REPO/dags"
export AIRFLOW__CORE__PLUGINS_FOLDER="$REPO/plugins"
export AIRFLOW__CORE__LOAD_EXAMPLES=False
export AIRFLOW__CORE__PARALLELISM="${AIRFLOW__CORE__PARALLELISM:-4}"
export AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS="${AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS:-admin:admin}"
export AIRFLOW__API__HOST="${AIRFLOW__API__HOST:-127.0.0.1}"
export AIRFLOW__API__PORT="${AIRFLOW__API__PORT:-8080}"
# Workers reach the execution API through the base URL: it must follow the port.
export AIRFLOW__API__BASE_URL="${AIRFLOW__API__BASE_URL:-http://127.0.0.1:${AIRFLOW__API__PORT}}"
export AIRFLOW__LOGGING__LOGGING_LEVEL="${AIRFLOW__LOGGING__LOGGING_LEVEL:-INFO}"
export SOPFLOW_SMTP_HOST="${SOPFLOW_SMTP_HOST:-127.0.0.1}"
export SOPFLOW_SMTP_PORT="${SOPFLOW_SMTP_PORT:-8025}"
export SOPFLOW_MAIL_DIR="${SOPFLOW_MAIL_DIR:-$SOPFLOW_HOME/mail}"
export SOPFLOW_BASE_URL="${SOPFLOW_BASE_URL:-http://127.0.0.1:${AIRFLOW__API__PORT}/sop}"
export SOPFLOW_POLL_SECONDS="${SOPFLOW_POLL_SECONDS:-5}"
mkdir -p "$SOPFLOW_HOME" "$AIRFLOW_HOME" "$SOPFLOW_MAIL_DIR"
# Airflow's generated JWT secret is too short and warns: keep a 64-byte one per installation.
if [ ! -s "$SOPFLOW_HOME/jwt_secret" ]; then
  (umask 077; head -c 48 /dev/urandom | base64 | tr -d '\n=+/' > "$SOPFLOW_HOME/jwt_secret"; head -c 48 /dev/urandom | base64 | tr -d '\n=+/' >> "$SOPFLOW_HOME/jwt_secret")
fi
export AIRFLOW__API_AUTH__JWT_SECRET="$(cat "$SOPFLOW_HOME/jwt_secret")"
# The key that signs task links and web sessions: one per installation, kept out of the repository.
if [ -z "${SOPFLOW_SECRET_KEY:-}" ]; then
  if [ ! -s "$SOPFLOW_HOME/secret_key" ]; then
    (umask 077; head -c 48 /dev/urandom | base64 | tr -d '\n=+/' > "$SOPFLOW_HOME/secret_key")
  fi
  export SOPFLOW_SECRET_KEY="$(cat "$SOPFLOW_HOME/secret_key")"
fi
