"""sopflow's web pages, served by the Airflow API server under /sop (see `web.app`)."""
