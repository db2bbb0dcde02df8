# Production image of sopflow: Airflow 3.3 with sopflow's DAGs, plugin and package.
FROM python:3.11-slim-bookworm
ENV PYTHONUNBUFFERED=1 \
    AIRFLOW_HOME=/opt/airflow \
    AIRFLOW__CORE__DAGS_FOLDER=/opt/sopflow/dags \
    AIRFLOW__CORE__PLUGINS_FOLDER=/opt/sopflow/plugins \
    AIRFLOW__CORE__LOAD_EXAMPLES=False \
    SOPFLOW_CONFIG_DIR=/opt/sopflow/config \
    SOPFLOW_TEMPLATES_DIR=/opt/sopflow/include/templates \
    SOPFLOW_HOME=/var/lib/sopflow
RUN apt-get update && apt-get install -y --no-install-recommends \
      libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core curl \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /opt/sopflow
COPY requirements.lock pyproject.toml ./
RUN pip install --no-cache-dir "uv==$(sed -n 's/^uv==//p' requirements.lock)" \
    && uv pip sync --system --no-cache --compile-bytecode requirements.lock
COPY plugins ./plugins
COPY dags ./dags
COPY include ./include
COPY config ./config
RUN uv pip install --system --no-deps --no-cache . && useradd --uid 50000 --create-home airflow \
    && mkdir -p /opt/airflow /var/lib/sopflow && chown -R airflow /opt/airflow /var/lib/sopflow
USER airflow
