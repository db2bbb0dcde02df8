"""SOP VIII's Airflow side: the batch's first task (taking the day's bundles) and the day's
transmittal to BPKAD (its own DAG, `sop08_spp_kirim`). The rules are `domain.spp_flow`'s."""

from __future__ import annotations

import datetime as dt
from typing import Any

from airflow.sdk import DAG, BaseOperator

from sopflow.airflow.runctx import run_context
from sopflow.airflow.timetables import EveryWorkingDayTimetable

TRANSMITTAL_DAG_ID = "sop08_spp_kirim"


class CollectBatchOperator(BaseOperator):
    """Takes every SPJ bundle submitted up to the run's cut-off; returns their ids, which the
    per-bundle task group is mapped over."""

    ui_color = "#c7d2fe"

    def __init__(self, *, sop_id: str, **kwargs: Any):
        super().__init__(**kwargs)
        self.sop_id = sop_id

    def execute(self, context: Any) -> list[int]:
        from sopflow.domain import spp_flow
        from sopflow.domain.office import load_office
        from sopflow.settings import get_settings
        from sopflow.store.db import session_scope

        office = load_office(get_settings().config_dir)
        rc = run_context(context)
        # A scheduled run's cut-off is its logical date (the working day at jam potong); a manual
        # run takes what was submitted until it was asked for.
        with session_scope() as session:
            ids = spp_flow.collect_batch(session, office, office.sop(self.sop_id), batch_run_id=rc.run_id,
                                         cutoff=rc.when)
        self.log.info("sopflow: batch %s takes %d SPJ bundle(s): %s", rc.run_id, len(ids), ids)
        return ids


class TransmittalOperator(BaseOperator):
    """Sends every signed bundle to BPKAD in one mail; does nothing on a day without any."""

    ui_color = "#bfdbfe"

    def execute(self, context: Any) -> dict:
        from sopflow.airflow.operators import _flush_mail
        from sopflow.domain import spp_flow
        from sopflow.domain.office import load_office
        from sopflow.settings import get_settings
        from sopflow.store.db import session_scope

        settings = get_settings()
        office = load_office(settings.config_dir)
        with session_scope() as session:
            sent = spp_flow.send_transmittal(session, office, documents_dir=settings.documents_dir)
            result = {"label": sent.label, "bundles": sent.bundles} if sent else {"bundles": []}
        _flush_mail()
        self.log.info("sopflow: transmittal to BPKAD: %s", result)
        return result


def transmittal_dag() -> DAG:
    from sopflow.domain.spp_checklist import spp_config
    from sopflow.settings import get_settings

    at = spp_config(get_settings().config_dir).jam_kirim
    with DAG(
        dag_id=TRANSMITTAL_DAG_ID,
        description="SOP VIII langkah 13: berkas yang ditandatangani PA dikirim ke BPKAD, satu surat pengantar per hari kerja",
        schedule=EveryWorkingDayTimetable(at.hour, at.minute),
        start_date=dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc),
        catchup=False,
        max_active_runs=1,
        is_paused_upon_creation=False,
        tags=["sopflow", "sop08", "bpkad"],
        doc_md="Setiap hari kerja pada `jam_kirim` (config/spp.yaml): semua SPJ yang sudah ditandatangani PA "
               "dikirim ke BPKAD dalam satu email (Surat Pengantar, berkas SPP/SPM, register).",
        default_args={"retries": 2, "retry_delay": dt.timedelta(seconds=30)},
    ) as dag:
        TransmittalOperator(task_id="kirim_ke_bpkad")
    return dag
