"""Pure domain: SOP definitions, staff, working time, step lifecycle, outbox. No Airflow import."""
