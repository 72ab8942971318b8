"""The write path's indexes after the migrations (embedded's SQLite): each service's outbox
has an index of its unsent rows only, which the relay's round reads in order; workflow's
task.due_at has no index of its own; and one step down and up again gives the same."""
from alembic import command
from sqlalchemy import create_engine, inspect

from services.common.bus.relay import RELAY_ROUND, OutboxRelay
from services.common.config import SERVICES
from services.common.db import Database
from services.common.migrate import alembic_config, upgrade
from services.workflow.model import BUS


def indexes(url: str, table: str) -> dict[str, list[str]]:
    engine = create_engine(url)
    try:
        return {ix["name"]: ix["column_names"] for ix in inspect(engine).get_indexes(table)}
    finally:
        engine.dispose()


def test_the_outbox_indexes_its_unsent_rows_and_task_due_at_has_no_index(tmp_path):
    for service in SERVICES:
        url = f"sqlite:///{tmp_path / service}.db"
        upgrade(service, url)
        assert indexes(url, "outbox") == {"ix_outbox_unsent": ["seq"]}, service
        command.downgrade(alembic_config(service, url), "-1")
        assert indexes(url, "outbox") == {"ix_outbox_sent_at": ["sent_at"]}, service
        upgrade(service, url)
        assert indexes(url, "outbox") == {"ix_outbox_unsent": ["seq"]}, service
    workflow = f"sqlite:///{tmp_path / 'workflow'}.db"
    assert not [name for name, columns in indexes(workflow, "task").items()
                if columns == ["due_at"]]


def test_the_relay_round_reads_the_unsent_rows_from_their_index(tmp_path):
    url = f"sqlite:///{tmp_path / 'workflow'}.db"
    upgrade("workflow", url)
    db = Database(url)
    statement = OutboxRelay(db, BUS.outbox)._unsent(RELAY_ROUND).compile(db.engine)
    with db.engine.connect() as connection:
        plan = " ".join(str(row[-1]) for row in connection.exec_driver_sql(
            f"EXPLAIN QUERY PLAN {statement}", tuple(statement.params.values())))
    db.engine.dispose()
    assert "ix_outbox_unsent" in plan, plan
    assert "TEMP B-TREE" not in plan, plan  # in seq order already: no sort
