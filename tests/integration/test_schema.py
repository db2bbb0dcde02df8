"""The migrations are the schema: they match the models, and SCHEMA_HEAD names the newest."""

from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from sopflow.store import db
from sopflow.store.models import Base


def test_schema_head_constant_is_alembics_head():
    script = ScriptDirectory.from_config(db.alembic_config("sqlite://"))
    assert script.get_current_head() == db.SCHEMA_HEAD


def test_migrations_create_every_model_table_and_column(db_url):
    engine = db.get_engine(db_url)
    inspector = inspect(engine)
    for table in Base.metadata.sorted_tables:
        columns = {c["name"] for c in inspector.get_columns(table.name)}
        assert columns == {c.name for c in table.columns}, table.name
    assert db.at_head(engine)
