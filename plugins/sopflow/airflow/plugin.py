"""The AirflowPlugin of sopflow. The web app (/sop) and custom timetables register here."""

from airflow.plugins_manager import AirflowPlugin


class SopflowPlugin(AirflowPlugin):
    name = "sopflow"
