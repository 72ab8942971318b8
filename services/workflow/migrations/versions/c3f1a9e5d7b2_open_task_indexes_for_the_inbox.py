"""open-task indexes for the inbox

The inbox reads open tasks only (a tenth of the table once a year has passed): partial
indexes on status = 'ready', one per sort key, carry what the filters and counts look at
(assignee, due_at) so a page, a count and the counts per group are index-only ranges.
On PostgreSQL a trigram index serves the applicant filter (a substring match).

Revision ID: c3f1a9e5d7b2
Revises: 4aeb9ec9d1d0
Create Date: 2026-11-26 15:40:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = 'c3f1a9e5d7b2'
down_revision: Union[str, Sequence[str], None] = '4aeb9ec9d1d0'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

OPEN = sa.text("status = 'ready'")


def upgrade() -> None:
    # Trailing key columns rather than INCLUDE: SQLite has no INCLUDE, and both then read a
    # page or a count from the index alone.
    op.create_index("ix_task_ready_group_created", "task",
                    ["candidate_group", "created_at", "id", "assignee", "due_at"],
                    postgresql_where=OPEN, sqlite_where=OPEN)
    op.create_index("ix_task_ready_group_due", "task",
                    ["candidate_group", "due_at", "id", "assignee"],
                    postgresql_where=OPEN, sqlite_where=OPEN)
    op.create_index("ix_task_ready_assignee", "task",
                    ["assignee", "created_at", "id", "candidate_group", "due_at"],
                    postgresql_where=OPEN, sqlite_where=OPEN)
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.create_index("ix_instance_applicant_name_trgm", "instance", ["applicant_name"],
                        postgresql_using="gin",
                        postgresql_ops={"applicant_name": "gin_trgm_ops"})


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index("ix_instance_applicant_name_trgm", table_name="instance")
    op.drop_index("ix_task_ready_assignee", table_name="task")
    op.drop_index("ix_task_ready_group_due", table_name="task")
    op.drop_index("ix_task_ready_group_created", table_name="task")
