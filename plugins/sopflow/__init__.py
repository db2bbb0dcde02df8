"""sopflow: Standard Operating Procedures of Indonesian local government as Airflow DAGs."""

__version__ = "0.1.0"
