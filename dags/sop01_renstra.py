"""DAG of config/sops/01_renstra.yaml (built by the sopflow DAG factory)."""

from sopflow.airflow.factory import dag_from_yaml

dag = dag_from_yaml("01_renstra.yaml")
