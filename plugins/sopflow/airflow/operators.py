"""Operators of sopflow's DAGs: the human-step sensor (deferrable) and the auto-step operator."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from airflow.sdk import BaseOperator, BaseSensorOperator
from airflow.sdk.exceptions import AirflowSkipException

from sopflow.airflow.runctx import RunContext, run_context
from sopflow.airflow.triggers import StepTrigger

log = logging.getLogger(__name__)


def _flush_mail() -> None:
    """Send what the step queued now; whatever fails stays in the outbox for the outbox DAG."""
    from sopflow.mail import send_pending

    try:
        report = send_pending()
        log.info("sopflow mail: %s", report)
    except Exception as exc:  # the outbox keeps the mail; a later drain retries
        log.warning("sopflow mail: sending failed, kept in the outbox: %s", exc)


def _prepare(sop_id: str, step_id: str, context: Any, batch: bool = False):
    """The office configuration, the SOP and step, the run, and the run's reporting period.

    In a batch (SOP VIII) the run is the domain run of the bundle this mapped task works on.
    Domain modules are imported here, not at module level: DAG files import this module and
    must parse fast.
    """
    from sopflow.domain.office import load_office
    from sopflow.domain.period import periode_for
    from sopflow.settings import get_settings

    office = load_office(get_settings().config_dir)
    sop = office.sop(sop_id)
    step = sop.step(step_id)
    rc = run_context(context)
    if batch:
        rc = bundle_context(rc, context)
    return office, sop, step, rc, periode_for(sop, rc.when, rc.params)


def bundle_context(rc: RunContext, context: Any) -> RunContext:
    """The domain run of the bundle at this mapped task's index in its batch run."""
    from sopflow.domain import spp_flow
    from sopflow.store.db import session_scope

    with session_scope() as session:
        bundle = spp_flow.bundle_at(session, rc.run_id, context["ti"].map_index)
        return RunContext(dag_id=rc.dag_id, run_id=spp_flow.run_key(bundle.id), when=rc.when,
                          params=spp_flow.bundle_params(bundle))


class HumanStepSensor(BaseSensorOperator):
    """A step done by a person. Opens its step instance and task email, then waits without a slot."""

    template_fields = ()
    ui_color = "#fde68a"

    def __init__(self, *, sop_id: str, step_id: str, poll_seconds: float = 10.0, batch: bool = False, **kwargs: Any):
        kwargs.setdefault("deferrable", True)
        kwargs.setdefault("timeout", dt.timedelta(days=120))
        kwargs.setdefault("poke_interval", poll_seconds)
        self.deferrable = kwargs.pop("deferrable")
        super().__init__(**kwargs)
        self.sop_id, self.step_id, self.poll_seconds, self.batch = sop_id, step_id, poll_seconds, batch

    def _open(self, context: Any) -> bool:
        from sopflow.domain import steps
        from sopflow.store.db import session_scope

        office, sop, step, rc, periode = _prepare(self.sop_id, self.step_id, context, self.batch)
        self._rc = rc
        with session_scope() as session:
            steps.ensure_run(session, sop=sop, dag_id=rc.dag_id, run_id=rc.run_id, periode=periode, params=rc.params)
            gate = steps.skip_unless_branch_taken(session, sop, step, dag_id=rc.dag_id, run_id=rc.run_id)
            if gate is None:
                opened = steps.open_step(session, office, sop, step, dag_id=rc.dag_id, run_id=rc.run_id)
                self.log.info("sopflow: step %s opened %d instance(s)", step.id, len(opened))
            resolved = steps.step_resolved(session, sop, step, rc.dag_id, rc.run_id)
        _flush_mail()
        if gate is not None:
            raise AirflowSkipException(f"step {step.no} not needed: step {gate.no} decided IYA")
        return resolved

    def execute(self, context: Any) -> Any:
        if self._open(context):
            return {"step_id": self.step_id, "status": "resolved"}
        if not self.deferrable:
            return super().execute(context)
        rc = self._rc
        self.defer(trigger=StepTrigger(self.sop_id, self.step_id, rc.dag_id, rc.run_id, self.poll_seconds),
                   method_name="execute_complete", timeout=self.timeout if self.timeout else None)

    def poke(self, context: Any) -> bool:
        from sopflow.domain import steps
        from sopflow.store.db import session_scope

        office, sop, step, rc, _ = _prepare(self.sop_id, self.step_id, context, self.batch)
        self._rc = rc
        with session_scope() as session:
            return steps.step_resolved(session, sop, step, rc.dag_id, rc.run_id)

    def execute_complete(self, context: Any, event: dict | None = None) -> Any:
        if not self.poke(context):  # the trigger fired on a state that changed since: wait again
            rc = self._rc
            self.defer(trigger=StepTrigger(self.sop_id, self.step_id, rc.dag_id, rc.run_id, self.poll_seconds),
                       method_name="execute_complete")
        _flush_mail()
        return {"step_id": self.step_id, "status": "resolved"}


class AutoStepOperator(BaseOperator):
    """A step the system does: archive the run's record and final documents, distribute them."""

    ui_color = "#bfdbfe"

    def __init__(self, *, sop_id: str, step_id: str, batch: bool = False, **kwargs: Any):
        super().__init__(**kwargs)
        self.sop_id, self.step_id, self.batch = sop_id, step_id, batch

    def execute(self, context: Any) -> Any:
        from sopflow.domain import steps
        from sopflow.domain.auto import run_auto_step
        from sopflow.settings import get_settings
        from sopflow.store.db import session_scope

        office, sop, step, rc, periode = _prepare(self.sop_id, self.step_id, context, self.batch)
        with session_scope() as session:
            steps.ensure_run(session, sop=sop, dag_id=rc.dag_id, run_id=rc.run_id, periode=periode, params=rc.params)
            gate = steps.skip_unless_branch_taken(session, sop, step, dag_id=rc.dag_id, run_id=rc.run_id)
            if gate is None:
                inst = run_auto_step(session, office, sop, step, dag_id=rc.dag_id, run_id=rc.run_id,
                                     documents_dir=get_settings().documents_dir)
                result = {"step_id": step.id, "instance_id": inst.id, "actions": list(step.actions)}
        if gate is not None:
            raise AirflowSkipException(f"step {step.no} not needed: step {gate.no} decided IYA")
        _flush_mail()
        return result


class OutboxOperator(BaseOperator):
    """Drains the mail outbox: retries what an SMTP outage left behind."""

    def execute(self, context: Any) -> Any:
        from sopflow.mail import send_pending

        report = send_pending()
        return {"sent": report.sent, "failed": report.failed}
