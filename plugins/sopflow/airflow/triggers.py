"""The trigger a waiting human step defers to: it polls the domain database, holding no worker slot."""

from __future__ import annotations

import asyncio
from typing import Any, AsyncIterator

from airflow.triggers.base import BaseTrigger, TriggerEvent


def _resolved(sop_id: str, step_id: str, dag_id: str, run_id: str) -> bool:
    from sopflow.domain.office import load_office
    from sopflow.domain.steps import step_resolved
    from sopflow.settings import get_settings
    from sopflow.store.db import session_scope

    office = load_office(get_settings().config_dir)
    sop = office.sop(sop_id)
    with session_scope() as session:
        return step_resolved(session, sop, sop.step(step_id), dag_id, run_id)


class StepTrigger(BaseTrigger):
    """Fires once the step's latest round is through (done, approved, or decided for a branch)."""

    def __init__(self, sop_id: str, step_id: str, dag_id: str, run_id: str, poll_seconds: float = 10.0):
        super().__init__()
        self.sop_id, self.step_id, self.dag_id, self.run_id = sop_id, step_id, dag_id, run_id
        self.poll_seconds = poll_seconds

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return ("sopflow.airflow.triggers.StepTrigger", {
            "sop_id": self.sop_id, "step_id": self.step_id, "dag_id": self.dag_id, "run_id": self.run_id,
            "poll_seconds": self.poll_seconds,
        })

    async def run(self) -> AsyncIterator[TriggerEvent]:
        while True:
            try:
                done = await asyncio.to_thread(_resolved, self.sop_id, self.step_id, self.dag_id, self.run_id)
            except Exception as exc:  # a database hiccup must not kill the wait; log and poll again
                self.log.warning("sopflow: polling step %s of %s failed: %s", self.step_id, self.run_id, exc)
                done = False
            if done:
                yield TriggerEvent({"status": "resolved", "step_id": self.step_id})
                return
            await asyncio.sleep(self.poll_seconds)
