"""Thin Airflow adapters: the DAG factory, the human-step sensor and its trigger, the auto-step
operator and the AirflowPlugin. Every decision is delegated to `sopflow.domain`."""
