"""DAG of config/sops/05_data_kinerja.yaml (built by the sopflow DAG factory)."""

from sopflow.airflow.factory import dag_from_yaml

dag = dag_from_yaml("05_data_kinerja.yaml")
