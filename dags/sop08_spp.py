"""DAG of config/sops/08_spp.yaml (built by the sopflow DAG factory)."""

from sopflow.airflow.factory import dag_from_yaml

dag = dag_from_yaml("08_spp.yaml")
