"""The sopflow web app (FastAPI): task pages, sign-in, "Tugas saya", the SPJ intake and the admin pages.

Mounted at /sop in the Airflow API server by the sopflow AirflowPlugin; Airflow does not
authenticate mounted apps, so every page checks its own access (signed link or session).
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse

from sopflow.web import admin, signin, spj, tasks
from sopflow.web.common import signed_in


def create_app() -> FastAPI:
    app = FastAPI(title="sopflow", docs_url=None, redoc_url=None, openapi_url=None)
    app.include_router(tasks.router)
    app.include_router(signin.router)
    app.include_router(admin.router)
    app.include_router(spj.router)

    @app.get("/", include_in_schema=False)
    def index(request: Request) -> RedirectResponse:
        target = "/tugas" if signed_in(request) else "/masuk"
        return RedirectResponse(request.scope.get("root_path", "").rstrip("/") + target, status_code=303)

    return app
