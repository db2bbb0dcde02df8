"""The append-only audit log: who did what, when, from where, and on whose behalf."""

from __future__ import annotations

from sqlalchemy.orm import Session

from sopflow.store.models import AuditEntry, StepInstance


def record(session: Session, *, actor: str, action: str, source: str, instance: StepInstance | None = None,
           dag_id: str | None = None, run_id: str | None = None, detail: dict | None = None,
           on_behalf_of: str | None = None) -> AuditEntry:
    detail = dict(detail or {})
    if on_behalf_of:
        detail["on_behalf_of"] = on_behalf_of
    if instance is not None:
        session.flush()
        dag_id, run_id = instance.dag_id, instance.run_id
    entry = AuditEntry(actor=actor, action=action, source=source, dag_id=dag_id, run_id=run_id,
                       step_instance_id=instance.id if instance is not None else None, detail=detail)
    session.add(entry)
    return entry
