"""The one file Airflow's plugin loader reads: it registers sopflow's AirflowPlugin.

The package itself sits in plugins/sopflow/ and is listed in plugins/.airflowignore, because
the loader would otherwise import each of its files as a top-level module (see docs/decisions.md).
"""

from sopflow.airflow.plugin import SopflowPlugin  # noqa: F401
