"""SOP VIII step 13: the day's transmittal of signed SPJ bundles to BPKAD."""
from sopflow.airflow.spp import transmittal_dag

dag = transmittal_dag()
