"""The AirflowPlugin of sopflow: registers the working-day timetable (and later the web app)."""

from airflow.plugins_manager import AirflowPlugin

from sopflow.airflow.timetables import WorkingDayTimetable


class SopflowPlugin(AirflowPlugin):
    name = "sopflow"
    timetables = [WorkingDayTimetable]
