"""outbox index of unsent rows

The relay's round asks for the unsent rows in order (sent_at IS NULL ORDER BY seq LIMIT n).
An index on sent_at held every row, and each row's first version (sent_at NULL) until a
vacuum removed it: the round read all of those, then sorted what was left. A partial index
on seq of the unsent rows is that range in order; marking a row sent takes it out, and the
update no longer adds an entry for the new sent_at.

Revision ID: 99d576de0575
Revises: b316f0bde24d
Create Date: 2026-11-26 22:00:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '99d576de0575'
down_revision: Union[str, Sequence[str], None] = 'b316f0bde24d'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

UNSENT = sa.text("sent_at IS NULL")


def upgrade() -> None:
    op.create_index("ix_outbox_unsent", "outbox", ["seq"],
                    postgresql_where=UNSENT, sqlite_where=UNSENT)
    op.drop_index("ix_outbox_sent_at", table_name="outbox")


def downgrade() -> None:
    op.create_index("ix_outbox_sent_at", "outbox", ["sent_at"])
    op.drop_index("ix_outbox_unsent", table_name="outbox")
