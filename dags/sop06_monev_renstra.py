"""DAG of config/sops/06_monev_renstra.yaml (built by the sopflow DAG factory)."""

from sopflow.airflow.factory import dag_from_yaml

dag = dag_from_yaml("06_monev_renstra.yaml")
