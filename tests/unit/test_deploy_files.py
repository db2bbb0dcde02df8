"""The production files parse and say what operations rely on (no Docker engine runs here)."""

from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
AIRFLOW_SERVICES = {"api-server", "scheduler", "dag-processor", "triggerer", "worker"}


def _compose() -> dict:
    return yaml.safe_load((REPO / "docker-compose.yml").read_text())


def test_compose_has_the_production_stack():
    services = _compose()["services"]
    assert AIRFLOW_SERVICES | {"postgres", "redis", "airflow-init"} <= set(services)
    commands = {name: " ".join(services[name]["command"]) for name in AIRFLOW_SERVICES}
    assert commands["worker"] == "airflow celery worker"
    assert commands["triggerer"] == "airflow triggerer"
    for name in AIRFLOW_SERVICES:
        env = services[name]["environment"]
        assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"
        assert env["AIRFLOW__CELERY__BROKER_URL"].startswith("redis://redis:6379")
        assert env["SOPFLOW_DATABASE_URL"].startswith("postgresql+psycopg://")


def test_compose_secrets_have_no_working_default():
    env = _compose()["services"]["scheduler"]["environment"]
    for key in ("AIRFLOW__API_AUTH__JWT_SECRET", "AIRFLOW__CORE__FERNET_KEY", "SOPFLOW_SECRET_KEY"):
        assert env[key].startswith("${") and ":?" in env[key], f"{key} must be required, not defaulted"
    assert ":?" in env["SOPFLOW_DATABASE_URL"]


def test_dockerfile_installs_from_the_lock_and_ships_config():
    text = (REPO / "Dockerfile").read_text()
    assert "uv pip sync --system --no-cache --compile-bytecode requirements.lock" in text
    for folder in ("plugins", "dags", "include", "config"):
        assert f"COPY {folder} ./{folder}" in text
    assert "apache-airflow-providers-celery==" in (REPO / "requirements.lock").read_text()
