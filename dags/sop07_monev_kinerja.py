"""DAG of config/sops/07_monev_kinerja.yaml (built by the sopflow DAG factory)."""

from sopflow.airflow.factory import dag_from_yaml

dag = dag_from_yaml("07_monev_kinerja.yaml")
