"""signing keys sealed under the KEK

The private signing keys were plain PEM in this table: anyone who read the database could sign
an admin token. They are retired (deleted; everyone signs in again, a new key is made sealed
under RENCAI_SIGNING_KEK at the first sign-in), and the column now holds only sealed keys.

Revision ID: 2febe1983cb9
Revises: 4f391947d2fb
Create Date: 2026-11-26 12:36:30.398493

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '2febe1983cb9'
down_revision: Union[str, Sequence[str], None] = '4f391947d2fb'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.execute("DELETE FROM signing_key")
    with op.batch_alter_table('signing_key', schema=None) as batch_op:
        batch_op.alter_column('private_pem', new_column_name='private_key_sealed',
                              existing_type=sa.Text(), existing_nullable=False)


def downgrade() -> None:
    op.execute("DELETE FROM signing_key")
    with op.batch_alter_table('signing_key', schema=None) as batch_op:
        batch_op.alter_column('private_key_sealed', new_column_name='private_pem',
                              existing_type=sa.Text(), existing_nullable=False)
