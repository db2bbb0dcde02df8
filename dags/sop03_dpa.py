"""DAG of config/sops/03_dpa.yaml (built by the sopflow DAG factory)."""

from sopflow.airflow.factory import dag_from_yaml

dag = dag_from_yaml("03_dpa.yaml")
