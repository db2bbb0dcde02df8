"""The AirflowPlugin of sopflow: registers the working-day timetable, mounts the web app at /sop
in the API server, and adds a "sopflow" link to the Airflow UI's navigation."""

from __future__ import annotations

from airflow.plugins_manager import AirflowPlugin

from sopflow.airflow.timetables import EveryWorkingDayTimetable, WorkingDayTimetable


class LazyWebApp:
    """An ASGI app that builds the sopflow web app on its first request.

    Every Airflow process imports the plugin (scheduler, workers, dag-processor), but only the
    API server serves pages; the others should not pay for importing FastAPI routes and templates.
    """

    def __init__(self) -> None:
        self._app = None

    async def __call__(self, scope, receive, send) -> None:
        if self._app is None:
            from sopflow.web.app import create_app

            self._app = create_app()
        await self._app(scope, receive, send)


class SopflowPlugin(AirflowPlugin):
    name = "sopflow"
    timetables = [WorkingDayTimetable, EveryWorkingDayTimetable]
    fastapi_apps = [{"app": LazyWebApp(), "url_prefix": "/sop", "name": "sopflow"}]
    external_views = [{"name": "sopflow: tugas dan dasbor", "href": "/sop/admin", "destination": "nav",
                       "category": "browse"}]
