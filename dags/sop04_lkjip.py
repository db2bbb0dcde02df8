"""DAG of config/sops/04_lkjip.yaml (built by the sopflow DAG factory)."""

from sopflow.airflow.factory import dag_from_yaml

dag = dag_from_yaml("04_lkjip.yaml")
