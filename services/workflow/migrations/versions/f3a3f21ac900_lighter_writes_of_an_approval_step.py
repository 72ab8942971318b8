"""lighter writes of an approval step: the outbox index of unsent rows, no index on
task.due_at, the instance's engine state compressed with lz4

- outbox: the relay's round asks for the unsent rows in order (sent_at IS NULL ORDER BY seq
  LIMIT n). An index on sent_at held every row, and each row's first version (sent_at NULL)
  until a vacuum removed it: the round read all of those, then sorted what was left. A
  partial index on seq of the unsent rows is that range in order; marking a row sent takes
  it out, and the update no longer adds an entry for the new sent_at.
- task.due_at: every query on it is about open tasks of a group or an assignee, which the
  partial indexes of migration c3f1a9e5d7b2 carry (due_at included); the index on every
  task was one more entry to write on each task's INSERT and UPDATE, read by nothing.
- instance.serialized (PostgreSQL 14+ built with lz4): SpiffWorkflow's dump (8 KB for the
  bench's five-step chain, more with real forms) is written on every step: an UPDATE of it
  took 0.15-0.20 ms with pglz, 0.06-0.09 ms with lz4 (2.1 KB instead of 1.8 KB stored).
  Rows keep their old compression until they are written again.

Revision ID: f3a3f21ac900
Revises: a71c927cc982
Create Date: 2026-11-26 22:00:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = 'f3a3f21ac900'
down_revision: Union[str, Sequence[str], None] = 'a71c927cc982'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

UNSENT = sa.text("sent_at IS NULL")


def _lz4(bind) -> bool:
    """Whether the server can compress with lz4: it lists the methods it was built with."""
    return bind.dialect.name == "postgresql" and bind.execute(sa.text(
        "SELECT 1 FROM pg_settings WHERE name = 'default_toast_compression'"
        " AND 'lz4' = ANY(enumvals)")).first() is not None


def upgrade() -> None:
    op.create_index("ix_outbox_unsent", "outbox", ["seq"],
                    postgresql_where=UNSENT, sqlite_where=UNSENT)
    op.drop_index("ix_outbox_sent_at", table_name="outbox")
    op.drop_index("ix_task_due_at", table_name="task")
    if _lz4(op.get_bind()):
        op.execute("ALTER TABLE instance ALTER COLUMN serialized SET COMPRESSION lz4")


def downgrade() -> None:
    if _lz4(op.get_bind()):
        op.execute("ALTER TABLE instance ALTER COLUMN serialized SET COMPRESSION default")
    op.create_index("ix_task_due_at", "task", ["due_at"])
    op.create_index("ix_outbox_sent_at", "outbox", ["sent_at"])
    op.drop_index("ix_outbox_unsent", table_name="outbox")
