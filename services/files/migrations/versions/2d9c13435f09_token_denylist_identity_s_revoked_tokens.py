"""token denylist: this service's copy of identity's revoked access tokens
(identity.tokens.revoked, services/common/denylist.py)

Revision ID: 2d9c13435f09
Revises: 11830b2cb9f1
Create Date: 2026-11-26 18:31:48.956651

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '2d9c13435f09'
down_revision: Union[str, Sequence[str], None] = '11830b2cb9f1'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('token_denylist',
    sa.Column('jti', sa.String(length=64), nullable=False),
    sa.Column('exp', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('jti')
    )
    with op.batch_alter_table('token_denylist', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_token_denylist_exp'), ['exp'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('token_denylist', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_token_denylist_exp'))

    op.drop_table('token_denylist')
