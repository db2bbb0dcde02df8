#!/bin/bash
# Creates sopflow's domain database beside Airflow's metadata database (first start only).
set -euo pipefail
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" <<SQL
CREATE USER sopflow WITH PASSWORD '${SOPFLOW_DB_PASSWORD}';
CREATE DATABASE sopflow OWNER sopflow;
SQL
