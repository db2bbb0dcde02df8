"""DAG of config/sops/02_renja.yaml (built by the sopflow DAG factory)."""

from sopflow.airflow.factory import dag_from_yaml

dag = dag_from_yaml("02_renja.yaml")
